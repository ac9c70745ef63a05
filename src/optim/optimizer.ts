// The optimizer contract: a graph transform (params, grads, state, step) -> (params', state').
import type { Tensor } from '../engine/tensor.js';
import { usageError } from '../errors.js';

export interface Optimizer {
  readonly name: string;
  /** Names of the state vectors it keeps, each as long as the parameter vector. */
  readonly slots: readonly string[];
  /** `step` is the 1-based update count, a float scalar. */
  update(params: Tensor, grad: Tensor, state: Readonly<Record<string, Tensor>>, step: Tensor): { params: Tensor; state: Record<string, Tensor> };
}

export function checkRange(what: string, v: number, lo: number, hi: number, loOpen = false): void {
  const ok = Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi;
  if (!ok) throw usageError(`${what} must be in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${v}`);
}
