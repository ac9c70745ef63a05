// A worker of fab-steps-node.ts's pool: sleeps until a step starts, takes the rows sent on its port,
// claims blocks of rows until none are left, counts itself done. It never returns to its event loop.
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { fabScratch } from '../attacks/fab.js';
import type { FabRows } from './fab-steps.js';
import { CONTROL, claimRows } from './fab-steps-node.js';

// `generation`: the control's generation when the worker was made; a step started since then (while the
// worker was loading) is the first it runs: the step waits for every worker.
const { control, port, generation } = workerData as { control: Int32Array; port: MessagePort; generation: number };
const scratches = new Map<number, ReturnType<typeof fabScratch>>();
let rows: FabRows | undefined;
let seen = generation;
for (;;) {
  Atomics.wait(control, CONTROL.generation, seen);
  seen = Atomics.load(control, CONTROL.generation);
  if (seen < 0) break;
  try {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) rows = m.message as FabRows;
    if (!rows) throw new Error('FAB step worker: a step started before its rows were sent');
    let s = scratches.get(rows.features);
    if (!s) scratches.set(rows.features, (s = fabScratch(rows.features)));
    claimRows(control, rows, s);
  } catch (e) {
    Atomics.store(control, CONTROL.failed, 1);
    port.postMessage(e);
  }
  Atomics.add(control, CONTROL.done, 1);
  Atomics.notify(control, CONTROL.done);
}
port.close();
