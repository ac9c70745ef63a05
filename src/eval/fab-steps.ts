// Where FAB's per-example steps (two projections each, in TypeScript) run: on this thread, or under
// Node on worker threads sharing the rows' memory (fab-steps-node.ts), while this thread runs the next
// graph. A step is a pure function of its row, so the results do not depend on which thread ran which row.
import { type FabStepper, inlineSteps } from './fab-rows.js';

export type { FabRows, FabStepper } from './fab-rows.js';

const steppers = new Map<number, Promise<FabStepper>>();

/**
 * The stepper for `threads` threads in all (default: every core): under Node, workers for half of them
 * (one process-wide pool per size); elsewhere, or for one thread, the caller's thread alone.
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
