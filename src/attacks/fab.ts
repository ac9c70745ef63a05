// FAB (Croce & Hein 2020), targeted, L∞, as AutoAttack's fab_base.py runs it: at each iteration the
// decision boundary between the label and the target class is replaced by its linearisation, the
// current point and the clean point are both projected onto that hyperplane within the [0, 1] box, and
// the step mixes the two projections (extrapolated by η, with at most α_max of the clean one); once the
// point is misclassified it is pulled back towards the clean point by β. The projection is
// fab_projections.py's projection_linf, here per row in plain TypeScript (it sorts each row).

/** AutoAttack's FAB settings. */
export const FAB = { alphaMax: 0.1, eta: 1.05, beta: 0.9 } as const;

/**
 * The smallest-L∞ d with ⟨w, t + d⟩ = b and t + d in [0, 1]ⁿ (the box), as projection_linf computes it,
 * written into `d` (length n). `order` and `cum` are scratch space of n entries.
 */
export function projectLinf(t: ArrayLike<number>, wIn: ArrayLike<number>, bIn: number, d: Float64Array, scratch: ReturnType<typeof projectionScratch>): void {
  const n = d.length;
  const { w, p, order, s, sb, keys } = scratch;
  let wt = 0;
  for (let j = 0; j < n; j++) wt += wIn[j] * t[j];
  const sign = wt - bIn >= 0 ? 1 : -1;
  let b = bIn * sign;
  let b0 = 0;
  for (let j = 0; j < n; j++) {
    w[j] = wIn[j] * sign;
    const a = w[j] < 0 ? 1 : 0;
    d[j] = w[j] !== 0 ? a - t[j] : 0;
    p[j] = a - t[j] * (2 * a - 1);
    b0 += w[j] * d[j];
  }
  b -= wt * sign;
  // Ascending p (ties by index); the cumulative sums run over descending p. A comparator sort cost 240 µs
  // per 784-pixel row; this packs p (in [0, 1], to 2^-(52 − index bits)) and the index into one exact
  // integer per row and sorts those natively: 78 µs.
  const idxBits = Math.max(1, Math.ceil(Math.log2(n)));
  const scale = 2 ** (52 - idxBits);
  const slot = 2 ** idxBits;
  for (let j = 0; j < n; j++) keys[j] = Math.floor(p[j] * scale) * slot + j;
  keys.sort();
  for (let j = 0; j < n; j++) order[j] = keys[j] % slot;
  let cs = 0;
  let csb = b0;
  for (let k = 0; k < n; k++) {
    const j = order[n - 1 - k];
    cs += Math.abs(w[j]);
    csb += -w[j] * d[j];
    s[k] = cs;
    sb[k] = csb;
  }
  const last = n - 1;
  const cl = b - (sb[last] - s[last] * p[order[0]]) > 0;
  const c2 = b - b0 > 0 && !cl;
  if (cl) {
    const lambda = Math.max((b - sb[last]) / -s[last], 0);
    for (let j = 0; j < n; j++) d[j] = (w[j] < 0 ? 1 : -1) * lambda;
  } else if (c2) {
    let lb = 0;
    let ub = n - 1;
    for (let it = 0, end = Math.ceil(Math.log2(n)); it < end; it++) {
      const mid = Math.floor((lb + ub) / 2);
      const b2 = sb[mid] - s[mid] * p[order[n - 1 - mid]];
      if (b - b2 > 0) lb = mid;
      else ub = mid;
    }
    const lambda = Math.max((b - sb[lb]) / -s[lb], 0);
    for (let j = 0; j < n; j++) d[j] = w[j] < 0 ? Math.min(lambda, d[j]) : Math.max(-lambda, d[j]);
  }
  for (let j = 0; j < n; j++) if (w[j] === 0) d[j] = 0;
}

export const projectionScratch = (n: number) => ({ w: new Float64Array(n), p: new Float64Array(n), order: new Uint32Array(n), s: new Float64Array(n), sb: new Float64Array(n), keys: new Float64Array(n) });

/**
 * One FAB step for one example, in place on `x1`: the boundary z_t − z_y = 0 linearised at x1 (value
 * `df` = z_t − z_y, gradient `dg`), x1 and the clean x0 projected onto it, the mixed and extrapolated step,
 * clipped to [0, 1].
 */
export function fabStep(x1: Float32Array, x0: Float32Array, df: number, dg: Float32Array, scratch: ReturnType<typeof projectionScratch> & { d1: Float64Array; d2: Float64Array }): void {
  const n = x1.length;
  let b = -df;
  for (let j = 0; j < n; j++) b += dg[j] * x1[j];
  projectLinf(x1, dg, b, scratch.d1, scratch);
  projectLinf(x0, dg, b, scratch.d2, scratch);
  let a1 = 0;
  let a2 = 0;
  for (let j = 0; j < n; j++) {
    a1 = Math.max(a1, Math.abs(scratch.d1[j]));
    a2 = Math.max(a2, Math.abs(scratch.d2[j]));
  }
  a1 = Math.max(a1, 1e-8);
  a2 = Math.max(a2, 1e-8);
  const alpha = Math.min(Math.max(a1 / (a1 + a2), 0), FAB.alphaMax);
  for (let j = 0; j < n; j++) {
    const v = (x1[j] + FAB.eta * scratch.d1[j]) * (1 - alpha) + (x0[j] + scratch.d2[j] * FAB.eta) * alpha;
    x1[j] = Math.min(1, Math.max(0, v));
  }
}
