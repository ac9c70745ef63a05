// Summary statistics for reports: mean ± sample std over seeds.

/** Mean and sample standard deviation √(Σ(x−x̄)²/(n−1)); std is 0 for a single value. */
export function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const n = xs.length;
  if (n === 0) throw new RangeError('meanStd: expected at least one value, got an empty list');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(xs[i])) throw new RangeError(`meanStd: value ${i} is ${xs[i]}, expected a finite number`);
    sum += xs[i];
  }
  const mean = sum / n;
  if (n === 1) return { mean, std: 0, n };
  // Two passes, not Σx² − n·x̄²: the one-pass form cancels catastrophically for values like 0.98 ± 0.001.
  let q = 0;
  for (let i = 0; i < n; i++) q += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / (n - 1)), n };
}

import { percent } from '../format.js';

export { percent };

/** Mean and sample std over seeds, as the reports keep them. */
export const meanAndStd = (xs: readonly number[]): { mean: number; std: number } => {
  const { mean, std } = meanStd(xs);
  return { mean, std };
};

/** '98.08% ± 0.14': a mean in percent, its std in percentage points. */
export const plusMinus = (v: { mean: number; std: number }): string => `${percent(v.mean)} ± ${(100 * v.std).toFixed(2)}`;
