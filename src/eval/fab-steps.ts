// Where FAB's per-example steps (two projections each, in TypeScript) run: on this thread, or under
// Node on a pool of worker threads sharing the rows' memory (fab-steps-node.ts). A step is a pure
// function of its row, so the results do not depend on which thread ran which row.
import { fabScratch, fabStep } from '../attacks/fab.js';
import type { NormName } from '../attacks/norms.js';

/** A chunk's rows for FAB's steps: the current points (stepped in place), the clean points, z_t − z_y and its gradient. */
export interface FabRows {
  x1: Float32Array;
  x0: Float32Array;
  dg: Float32Array;
  df: Float32Array;
  features: number;
}

export interface FabStepper {
  /** Rows for up to `n` examples of `features` values, in memory the stepper's threads can read. */
  rows(n: number, features: number): FabRows;
  /** fabStep on the first `m` rows, x1 in place. */
  step(norm: NormName, rows: FabRows, m: number): Promise<void>;
}

const plainRows = (n: number, features: number): FabRows => ({
  x1: new Float32Array(n * features),
  x0: new Float32Array(n * features),
  dg: new Float32Array(n * features),
  df: new Float32Array(n),
  features,
});

/** fabStep over rows [from, to) on the calling thread. */
export function stepRows(norm: NormName, r: FabRows, from: number, to: number, scratch: ReturnType<typeof fabScratch>): void {
  const f = r.features;
  for (let j = from; j < to; j++) fabStep(norm, r.x1.subarray(j * f, (j + 1) * f), r.x0.subarray(j * f, (j + 1) * f), r.df[j], r.dg.subarray(j * f, (j + 1) * f), scratch);
}

/** Every step on the calling thread. */
export function inlineSteps(): FabStepper {
  const scratches = new Map<number, ReturnType<typeof fabScratch>>();
  return {
    rows: plainRows,
    async step(norm, rows, m) {
      let s = scratches.get(rows.features);
      if (!s) scratches.set(rows.features, (s = fabScratch(rows.features)));
      stepRows(norm, rows, 0, m, s);
    },
  };
}

const steppers = new Map<number, Promise<FabStepper>>();

/**
 * The stepper for `threads` threads in all (default: every core): under Node, this thread and threads − 1
 * workers (one process-wide pool per size); elsewhere, or for one thread, this thread alone.
 */
export function fabStepper(threads?: number): Promise<FabStepper> {
  const key = threads ?? 0;
  let s = steppers.get(key);
  if (!s) {
    const node = typeof process !== 'undefined' && !!process.versions?.node;
    // A dynamic import, so that browser bundles (which stub fab-steps-node.js) never load worker_threads.
    s = node ? import('./fab-steps-node.js').then((m) => m.workerSteps(threads)) : Promise.resolve(inlineSteps());
    steppers.set(key, s);
  }
  return s;
}
