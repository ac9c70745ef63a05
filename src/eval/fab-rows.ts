// FAB's rows and the stepper interface, and stepping rows on the calling thread: shared by the
// stepper chooser (fab-steps.ts) and the worker pool it loads on demand (fab-steps-node.ts).
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
  /** Threads stepping rows besides the caller's (0: `begin` steps them on the caller's thread). */
  readonly workers: number;
  /** All threads the stepper was made for, where known (the caller's ONNX Runtime gets those the workers leave). */
  readonly threads?: number;
  /** Rows for up to `n` examples of `features` values, in memory the stepper's threads can read. */
  rows(n: number, features: number): FabRows;
  /**
   * Starts fabStep on the first `m` rows (x1 in place), once the step in flight (if any) has finished.
   * With workers it returns at once; `end(rows)` waits for it.
   */
  begin(norm: NormName, rows: FabRows, m: number): void;
  /** Returns once the step begun on `rows` has finished. */
  end(rows: FabRows): void;
}

/** fabStep over rows [from, to) on the calling thread. */
export function stepRows(norm: NormName, r: FabRows, from: number, to: number, scratch: ReturnType<typeof fabScratch>): void {
  const f = r.features;
  for (let j = from; j < to; j++) fabStep(norm, r.x1.subarray(j * f, (j + 1) * f), r.x0.subarray(j * f, (j + 1) * f), r.df[j], r.dg.subarray(j * f, (j + 1) * f), scratch);
}

/** Every step on the calling thread, in `begin`. */
export function inlineSteps(): FabStepper {
  const scratches = new Map<number, ReturnType<typeof fabScratch>>();
  return {
    workers: 0,
    rows: (n, features) => ({ x1: new Float32Array(n * features), x0: new Float32Array(n * features), dg: new Float32Array(n * features), df: new Float32Array(n), features }),
    begin(norm, rows, m) {
      let s = scratches.get(rows.features);
      if (!s) scratches.set(rows.features, (s = fabScratch(rows.features)));
      stepRows(norm, rows, 0, m, s);
    },
    end() {},
  };
}
