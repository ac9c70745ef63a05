// FAB's steps on worker threads (Node only), while the caller's thread runs the next graph. Rows live in
// SharedArrayBuffers; for each step the workers claim blocks of rows from one shared counter until none
// are left (a late worker only takes fewer blocks). Steps are signalled through Atomics on a shared
// control array, not messages: with a message each way per step, 200 rows took 41 µs a row, with Atomics
// 33. The workers are unreferenced (they never keep a process alive) and sleep in Atomics.wait between steps.
// Trap: ONNX Runtime's intra-op threads spin for a while after each run (its allow_spinning, on by
// default) and take a core from steps run after it on the same cores: the steps took 2.5 s after
// 2-thread runs against 1.4 s with allow_spinning = 0 (FAB-T, 2 targets, 200 images, 2 cores). So the
// threads are split: half step rows, the other half run ONNX Runtime, and the runner overlaps the two.
import os from 'node:os';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { fabScratch } from '../attacks/fab.js';
import type { NormName } from '../attacks/norms.js';
import { type FabRows, type FabStepper, inlineSteps, stepRows } from './fab-rows.js';

/** Rows per claim: about 0.5 ms of work, so claiming costs nothing and the workers finish together. */
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

/** The claim loop of the workers, and of the caller's thread when it finishes a step. */
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

/** For `threads` threads in all (default: the cores): ⌊threads / 2⌋ workers; one thread steps on the caller's. */
export function workerSteps(threads?: number): FabStepper {
  const total = threads ?? os.availableParallelism();
  const count = Math.floor(total / 2);
  if (count === 0) return { ...inlineSteps(), threads: total };
  const control = new Int32Array(new SharedArrayBuffer(4 * 8));
  let ports: MessagePort[] = [];
  let workers: Worker[] = [];
  let sent: FabRows | undefined;
  let inFlight: FabRows | undefined;
  let failure: Error | undefined;
  const start = () => {
    for (let k = 0; k < count; k++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(workerUrl(), { workerData: { control, port: port2, generation: Atomics.load(control, CONTROL.generation) }, transferList: [port2] });
      w.on('error', (e) => (failure ??= e));
      w.unref();
      port1.unref();
      ports.push(port1);
      workers.push(w);
    }
  };
  const fail = (e: Error): never => {
    failure = e;
    Atomics.store(control, CONTROL.generation, -1);
    Atomics.notify(control, CONTROL.generation);
    [ports, workers] = [[], []];
    throw e;
  };
  const scratches = new Map<number, ReturnType<typeof fabScratch>>();
  /**
   * Finishes the step in flight: this thread claims the rows the workers have not (so whichever side is
   * ahead helps the other), then waits for the workers. A worker that died without counting itself done
   * (killed, out of memory) would leave it waiting: after 60 s with no worker finishing, give up.
   */
  const finish = () => {
    if (!inFlight) return;
    let s = scratches.get(inFlight.features);
    if (!s) scratches.set(inFlight.features, (s = fabScratch(inFlight.features)));
    claimRows(control, inFlight, s);
    inFlight = undefined;
    let waited = 0;
    for (let done = Atomics.load(control, CONTROL.done); done < count; done = Atomics.load(control, CONTROL.done))
      if (Atomics.wait(control, CONTROL.done, done, 1000) === 'timed-out' && ++waited >= 60) fail(new Error(`FAB's step workers stopped answering (${done} of ${count} finished a step in 60 s)`));
    if (Atomics.load(control, CONTROL.failed)) {
      const sentError = ports.map((p) => receiveMessageOnPort(p)?.message).find((m) => m);
      fail(sentError instanceof Error ? sentError : new Error(`a FAB step worker failed: ${String(sentError ?? 'no message')}`));
    }
  };
  return {
    workers: count,
    threads: total,
    rows: (n, features) => ({ x1: shared(n * features), x0: shared(n * features), dg: shared(n * features), df: shared(n), features }),
    begin(norm, rows, m) {
      if (failure) throw failure;
      if (!(rows.x1.buffer instanceof SharedArrayBuffer)) throw new TypeError('FAB steps on workers need rows from the stepper’s rows()');
      finish();
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
      inFlight = rows;
    },
    end(rows) {
      if (inFlight === rows) finish();
    },
  };
}
