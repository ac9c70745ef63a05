// FAB's steps on worker threads (Node only). Rows live in SharedArrayBuffers; for each step this thread
// and the workers claim blocks of rows from one shared counter until none are left, so a late worker
// only takes fewer blocks. Steps are signalled through Atomics on a shared control array, not messages:
// with a message each way per step, 200 rows took 41 µs a row, with Atomics 33 (one thread: 62).
// The workers are unreferenced (they never keep a process alive) and sleep in Atomics.wait between steps.
// Trap: ONNX Runtime's intra-op threads spin for a while after each run (its allow_spinning, on by
// default) and take a core from the steps that follow: on FAB-T (2 targets, 200 images, 2 cores) the steps
// took 2.5 s with spinning and 1.4 s with the session option allow_spinning = 0, the graph 1.4 s either way.
import os from 'node:os';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { fabScratch } from '../attacks/fab.js';
import type { NormName } from '../attacks/norms.js';
import { type FabRows, type FabStepper, inlineSteps, stepRows } from './fab-steps.js';

/** Rows per claim: about 0.3 ms of work, so claiming costs nothing and the threads finish together. */
const BLOCK = 8;

/** The control array's slots (Int32). */
export const CONTROL = {
  /** Bumped to start a step; −1 tells the workers to exit. */
  generation: 0,
  /** The next unclaimed row. */
  next: 1,
  /** Workers done with the current step. */
  done: 2,
  /** Rows in the step. */
  rows: 3,
  /** The step's norm (index into NORM_IDS). */
  norm: 4,
  /** Set by a worker whose step threw (it sends the error on its port, and still counts as done). */
  failed: 5,
} as const;
export const NORM_IDS: readonly NormName[] = ['linf', 'l2'];

/** The claim loop, the same on this thread and in the workers. */
export function claimRows(control: Int32Array, rows: FabRows, scratch: ReturnType<typeof fabScratch>): void {
  const m = Atomics.load(control, CONTROL.rows);
  const norm = NORM_IDS[Atomics.load(control, CONTROL.norm)];
  for (;;) {
    const from = Atomics.add(control, CONTROL.next, BLOCK);
    if (from >= m) return;
    stepRows(norm, rows, from, Math.min(from + BLOCK, m), scratch);
  }
}

const shared = (n: number) => new Float32Array(new SharedArrayBuffer(4 * Math.max(1, n)));

/** The worker's entry: this file's sibling, or under tsx its .ts source loaded through tsx's hooks (Node 20 does not run --import hooks in workers). */
function workerUrl(): URL {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(ts ? './fab-steps-worker.ts' : './fab-steps-worker.js', import.meta.url);
  if (!ts) return entry;
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/** `threads` threads in all (default: the cores): this one and threads − 1 workers. */
export function workerSteps(threads?: number): FabStepper {
  const count = Math.max(0, (threads ?? os.availableParallelism()) - 1);
  if (count === 0) return inlineSteps();
  const control = new Int32Array(new SharedArrayBuffer(4 * 8));
  let ports: MessagePort[] = [];
  let workers: Worker[] = [];
  let sent: FabRows | undefined;
  let failure: Error | undefined;
  const start = () => {
    for (let k = 0; k < count; k++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(workerUrl(), { workerData: { control, port: port2, generation: Atomics.load(control, CONTROL.generation) }, transferList: [port2] });
      // Listening refs a port: unref after.
      port1.on('message', (e: Error) => (failure ??= e));
      w.on('error', (e) => (failure ??= e));
      port1.unref();
      w.unref();
      ports.push(port1);
      workers.push(w);
    }
  };
  const scratches = new Map<number, ReturnType<typeof fabScratch>>();
  return {
    rows: (n, features) => ({ x1: shared(n * features), x0: shared(n * features), dg: shared(n * features), df: shared(n), features }),
    async step(norm, rows, m) {
      if (failure) throw failure;
      if (!(rows.x1.buffer instanceof SharedArrayBuffer)) return inlineSteps().step(norm, rows, m);
      if (!workers.length) start();
      // Workers read new rows from their ports (synchronously) when the step wakes them.
      if (sent !== rows) for (const p of ports) p.postMessage(rows);
      sent = rows;
      Atomics.store(control, CONTROL.next, 0);
      Atomics.store(control, CONTROL.done, 0);
      Atomics.store(control, CONTROL.rows, m);
      Atomics.store(control, CONTROL.norm, NORM_IDS.indexOf(norm));
      Atomics.add(control, CONTROL.generation, 1);
      Atomics.notify(control, CONTROL.generation);
      let s = scratches.get(rows.features);
      if (!s) scratches.set(rows.features, (s = fabScratch(rows.features)));
      claimRows(control, rows, s);
      // The workers finish their last blocks. A worker that died without counting itself done (killed,
      // out of memory) leaves this thread waiting: after 60 s with no worker finishing, give up.
      let waited = 0;
      for (let done = Atomics.load(control, CONTROL.done); done < count; done = Atomics.load(control, CONTROL.done)) {
        if (Atomics.wait(control, CONTROL.done, done, 1000) === 'timed-out' && ++waited >= 60) {
          failure = new Error(`FAB's step workers stopped answering (${done} of ${count} finished a step in 60 s)`);
          break;
        }
      }
      if (Atomics.load(control, CONTROL.failed)) {
        // The worker's error arrives on its port; let the event loop deliver it.
        await new Promise((r) => setImmediate(r));
        failure ??= new Error("a FAB step worker failed");
      }
      if (failure) {
        Atomics.store(control, CONTROL.generation, -1);
        Atomics.notify(control, CONTROL.generation);
        [ports, workers] = [[], []];
        throw failure;
      }
    },
  };
}
