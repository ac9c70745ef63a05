// Summary statistics and number formatting for reports: mean ± sample std over seeds, percentages.

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

/** A fraction as a percentage string: percent(0.9812) === '98.12%'. */
export function percent(x: number, digits = 2): string {
  if (!Number.isFinite(x)) throw new RangeError(`percent: value is ${x}, expected a finite number`);
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new RangeError(`percent: digits is ${digits}, expected an integer in [0, 20]`);
  }
  // `+ 0` turns the -0 of a rounded tiny negative into 0, so no '-0.00%'.
  return `${(Number((x * 100).toFixed(digits)) + 0).toFixed(digits)}%`;
}
