// Minimum-norm robustness: per example, the smallest ε at which some attack of the suite finds a
// misclassified point — from minimum-norm attacks (FAB) directly, and by bisection with the suite's
// fixed-ε attacks between the largest grid ε where every attack failed and the smallest where one
// succeeded — and the robust accuracy as a function of ε that follows from it.
import { type AttackSpec, isMinimumNorm, reportsMinimalNorms } from '../attacks/spec.js';
import type { Model } from './model.js';
import type { AttackBench, RobustnessReport } from './robustness.js';

export interface MinNormReport {
  /** Per example: the smallest ε found (0: misclassified clean; Infinity: no attack succeeded up to the grid's largest ε). */
  norms: Float64Array;
  /** The median over all examples (Infinity when more than half withstood the whole grid). */
  median: number;
  /** Robust accuracy at each ε of a fine grid: the fraction of examples whose smallest ε is larger. */
  curve: { eps: number[]; accuracy: number[] };
  /** Bisection steps per example (each halves its bracket). */
  steps: number;
  /** The attacks run at the bisection's radii, and those whose minimal norms were read directly. */
  bisected: string[];
  minimumNorm: string[];
}

export interface MinNormOptions {
  attacks: readonly AttackSpec[];
  steps: number;
  /** Points of the derived curve (default 61). */
  points?: number;
  onProgress?(done: number, total: number, what: string): void;
}

/** The lower median: sorted[⌊(n − 1)/2⌋]. */
export function lowerMedian(v: Float64Array): number {
  const s = Float64Array.from(v).sort();
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

export async function minimumNorms(model: Model, bench: AttackBench, suite: RobustnessReport, opts: MinNormOptions): Promise<MinNormReport> {
  const n = bench.data.count;
  const clean = await bench.clean(model);
  const grid = [...suite.epsilons].sort((a, b) => a - b);
  const fixed = opts.attacks.filter((a) => !isMinimumNorm(a));
  const direct = opts.attacks.filter(reportsMinimalNorms);
  // Brackets from the grid: lo where every attack failed, hi (the smallest such ε) where one succeeded.
  // Float64: a grid ε stored as float32 would round above itself and count its examples as robust there.
  const lo = new Float64Array(n);
  const hi = new Float64Array(n).fill(Infinity);
  const found = Float64Array.from(clean, (c) => (c ? Infinity : 0));
  for (const eps of grid) {
    if (eps === 0) continue;
    const fooled = new Uint8Array(n);
    for (const spec of opts.attacks) {
      const r = await bench.result(model, spec, eps);
      r.robust.forEach((ok, i) => !ok && (fooled[i] = 1));
      if (r.minNorm) r.minNorm.forEach((m, i) => (found[i] = Math.min(found[i], m)));
    }
    for (let i = 0; i < n; i++) {
      if (!clean[i] || hi[i] !== Infinity) continue;
      if (fooled[i]) hi[i] = eps;
      else lo[i] = eps;
    }
  }
  const searched = fixed.length ? [...Array(n).keys()].filter((i) => clean[i] && Number.isFinite(hi[i]) && hi[i] > lo[i]) : [];
  for (let s = 0; s < opts.steps && searched.length; s++) {
    opts.onProgress?.(s, opts.steps, `bisection step ${s + 1} of ${opts.steps} on ${searched.length} examples`);
    // The radius the attack runs at is a float32: the bracket moves to exactly that value.
    const mid = Float64Array.from(searched, (i) => Math.fround((lo[i] + hi[i]) / 2));
    const fooled = new Uint8Array(searched.length);
    const index = new Map(searched.map((i, j) => [i, j]));
    for (const spec of fixed) {
      const rows = searched.filter((_, j) => !fooled[j]);
      if (!rows.length) break;
      const r = await bench.resultOn(model, spec, rows, Float32Array.from(rows, (i) => mid[index.get(i)!]), `bisection ${s}`);
      rows.forEach((i, k) => !r.robust[k] && (fooled[index.get(i)!] = 1));
      if (r.minNorm) rows.forEach((i, k) => (found[i] = Math.min(found[i], r.minNorm![k])));
    }
    searched.forEach((i, j) => (fooled[j] ? (hi[i] = mid[j]) : (lo[i] = mid[j])));
  }
  const norms = Float64Array.from(found, (f, i) => Math.min(f, clean[i] ? hi[i] : 0));
  const top = grid[grid.length - 1] ?? 0;
  const points = opts.points ?? 61;
  const eps = Array.from({ length: points }, (_, k) => +((top * k) / (points - 1)).toPrecision(6));
  const accuracy = eps.map((e) => norms.reduce((c, v) => c + (v > e ? 1 : 0), 0) / n);
  return { norms, median: lowerMedian(norms), curve: { eps, accuracy }, steps: opts.steps, bisected: fixed.map((a) => a.name), minimumNorm: direct.map((a) => a.name) };
}
