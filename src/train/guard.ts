// The divergence guard: a NaN or infinity in a per-step metric (a loss) or in a parameter tensor
// stops training with where it happened.

import { A3tError } from '../errors.js';

/** Training produced a non-finite value; the message says where (epoch, step, tensor). */
export class DivergenceError extends A3tError {
  constructor(message: string) {
    super('input', message);
  }
}

export interface NonFinite {
  /** Metric or tensor name. */
  name: string;
  /** Step within the session run (metrics) or element index (tensors). */
  at: number;
  value: number;
}

/** The first non-finite value among `k` steps of per-step metrics, step by step. */
export function firstBadMetric(metrics: Readonly<Record<string, Float32Array>>, k: number): NonFinite | undefined {
  for (let i = 0; i < k; i++) for (const [name, v] of Object.entries(metrics)) if (!Number.isFinite(v[i])) return { name, at: i, value: v[i] };
  return undefined;
}

/** The first non-finite element of the first tensor holding one. */
export function firstBadTensor(tensors: Iterable<[string, Float32Array]>): NonFinite | undefined {
  for (const [name, t] of tensors) {
    // v − v is 0 exactly when v is finite (and faster than Number.isFinite on a million floats).
    for (let i = 0; i < t.length; i++) if (t[i] - t[i] !== 0) return { name, at: i, value: t[i] };
  }
  return undefined;
}
