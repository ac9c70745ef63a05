// FAB (Croce & Hein 2020), targeted, L∞ and L2, as AutoAttack's fab_base.py runs it: at each iteration
// the decision boundary between the label and the target class is replaced by its linearisation, the
// current point and the clean point are both projected onto that hyperplane within the [0, 1] box, and
// the step mixes the two projections (extrapolated by η, with at most α_max of the clean one); once the
// point is misclassified it is pulled back towards the clean point by β. The projections are
// fab_projections.py's projection_linf and projection_l2, here per row in plain TypeScript (L∞ by
// selection, L2 sorting the row once).
import type { NormName } from './norms.js';

/** AutoAttack's FAB settings. */
export const FAB = { alphaMax: 0.1, eta: 1.05, beta: 0.9 } as const;

export type ProjectionScratch = ReturnType<typeof projectionScratch>;

export const projectionScratch = (n: number) => ({
  w: new Float64Array(n),
  p: new Float64Array(n),
  order: new Uint32Array(n),
  s: new Float64Array(n),
  sb: new Float64Array(n),
  keys: new Float64Array(n),
  ends: new Uint32Array(n),
  cp: new Float64Array(n),
  cw: new Float64Array(n),
  hp: new Float64Array(n),
  hw: new Float64Array(n),
  ...float32Bits(),
});

/** One float32 and its bit pattern. */
function float32Bits() {
  const f32 = new Float32Array(1);
  return { f32, bits: new Uint32Array(f32.buffer) };
}

/**
 * Row indices in ascending order of v ≥ 0 (ties by index) into `order`. Entries at 0 or at `high` are
 * placed directly; the rest are packed as v's float32 bit pattern (ordered like v ≥ 0) above the index,
 * exact in a float64, and sorted natively. (A comparator sort cost 240 µs per 784 values.)
 */
function argsort(v: Float64Array, high: number, s: ProjectionScratch): void {
  const n = v.length;
  const { order, ends } = s;
  const slot = 2 ** Math.max(1, Math.ceil(Math.log2(n)));
  let lows = 0;
  let highs = 0;
  let m = 0;
  for (let j = 0; j < n; j++) {
    const x = v[j];
    if (x <= 0) order[lows++] = j;
    else if (x >= high) ends[highs++] = j;
    else {
      s.f32[0] = x;
      s.keys[m++] = s.bits[0] * slot + j;
    }
  }
  const keys = s.keys.subarray(0, m).sort();
  for (let k = 0; k < m; k++) order[lows + k] = keys[k] % slot;
  for (let k = 0; k < highs; k++) order[lows + m + k] = ends[k];
}

/**
 * The smallest-L∞ d with ⟨w, t + d⟩ = b and t + d in [0, 1]ⁿ (the box), as projection_linf computes it,
 * written into `d` (length n).
 *
 * With the sign of w chosen so that b lies below ⟨w, t⟩, coordinate j can move by at most p_j towards
 * its box edge, and moving every coordinate by min(λ, p_j) changes ⟨w, t + d⟩ by g(λ) = −Σ|w_j|·min(λ, p_j).
 * projection_linf sorts p, takes cumulative sums and bisects for the breakpoint where g crosses b; the
 * same breakpoint is found here by selection (quickselect on p, keeping only sums), without the sort
 * (40 → 24 µs per 784-value row of the AT model's FAB iterations; fabStep 80 → 60 µs). Ties and
 * coordinates with w_j = 0 leave λ unchanged, so the result is projection_linf's up to rounding.
 */
export function projectLinf(t: Float64Array, wIn: Float64Array, bIn: number, d: Float64Array, scratch: ProjectionScratch): void {
  const n = d.length;
  const { cp, cw } = scratch;
  let wt = 0;
  for (let j = 0; j < n; j++) wt += wIn[j] * t[j];
  const sign = wt - bIn >= 0 ? 1 : -1;
  // b0 = g(max p) = ⟨w, d⟩ for d at the box's corner; S = Σ|w|; pMin over all coordinates (projection_linf's p[indp[0]]).
  let b0 = 0;
  let total = 0;
  let pMin = Infinity;
  // The candidate breakpoints for the selection: p and |w| where w ≠ 0 (the others add breakpoints to g, not slope).
  let m = 0;
  // Branch-free where the sign of w decides (random signs made these loops misprediction-bound).
  for (let j = 0; j < n; j++) {
    const wj = wIn[j] * sign;
    const a = +(wj < 0);
    const nonzero = +(wj !== 0);
    const dj = (a - t[j]) * nonzero;
    d[j] = dj;
    const pj = a - t[j] * (2 * a - 1);
    const aw = Math.abs(wj);
    b0 -= aw * Math.abs(dj);
    total += aw;
    pMin = Math.min(pMin, pj);
    cp[m] = pj;
    cw[m] = aw;
    m += nonzero;
  }
  const b = bIn * sign - wt * sign;
  // g(pMin) = −S·pMin (projection_linf's sb[-1] − s[-1]·pMin, with sb[-1] = 0); there every coordinate moves by λ < pMin.
  const lambda = b + total * pMin > 0 ? Math.max(b / -total, 0) : b - b0 > 0 ? crossing(m, b, scratch) : Infinity;
  // −sign(w_j)·min(λ, p_j), with d_j = −sign(w_j)·p_j (0 where w_j = 0).
  for (let j = 0; j < n; j++) d[j] = Math.min(lambda, Math.max(-lambda, d[j]));
}

/**
 * λ ≥ 0 with g(λ) = b, for b0 < b ≤ g(pMin), from the m candidates in scratch.cp/cw: the smallest
 * breakpoint v = p_j with g(v) < b bounds the piece of g that crosses b (coordinates with p_j ≥ v move by
 * λ, the rest by p_j). Found by partitioning the candidates around a pivot (median of three) and keeping
 * one side: expected O(n), worst case O(n²).
 */
function crossing(m: number, b: number, s: ProjectionScratch): number {
  let { cp: srcP, cw: srcW, hp: dstP, hw: dstW } = s;
  // above: Σ|w| over coordinates known to move by λ; below: Σ|w|·p over those known to move by p_j.
  let above = 0;
  let below = 0;
  while (m > 0) {
    const x = srcP[0];
    const y = srcP[m >> 1];
    const z = srcP[m - 1];
    const v = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    // One branch-free pass: sums over p > v, p = v and p < v; p > v copied to dst, p < v packed in place
    // at the front of src (the write index never passes the read index).
    let highW = 0;
    let equalW = 0;
    let lowWp = 0;
    let hi = 0;
    let lo = 0;
    for (let k = 0; k < m; k++) {
      const pk = srcP[k];
      const wk = srcW[k];
      const h = +(pk > v);
      const l = +(pk < v);
      highW += h * wk;
      equalW += (1 - h - l) * wk;
      lowWp += l * wk * pk;
      dstP[hi] = pk;
      dstW[hi] = wk;
      hi += h;
      srcP[lo] = pk;
      srcW[lo] = wk;
      lo += l;
    }
    if (-(v * (above + highW + equalW) + below + lowWp) < b) {
      // g(v) < b: v is past the crossing, so p ≥ v move by λ; a smaller breakpoint may be too (p < v).
      above += highW + equalW;
      m = lo;
    } else {
      // g(v) ≥ b: p ≤ v move by p; the breakpoint is among p > v.
      below += v * equalW + lowWp;
      m = hi;
      const [p2, w2] = [srcP, srcW];
      srcP = dstP;
      srcW = dstW;
      dstP = p2;
      dstW = w2;
    }
  }
  // above = 0 only where rounding put b at b0 (the box's corner): every coordinate moves by its p.
  return above > 0 ? Math.max((b + below) / -above, 0) : Infinity;
}

/** Breakpoints beyond the box's reach (AutoAttack's 1e12). */
const FAR = 1e12;

/**
 * The smallest-L2 d with ⟨w, t + d⟩ = b and t + d in [0, 1]ⁿ, as projection_l2 computes it, into `d`.
 * Moving along −w by r_j·w_j takes coordinate j to the box's edge; the coordinates are sorted by r.
 */
export function projectL2(t: Float64Array, wIn: Float64Array, bIn: number, d: Float64Array, scratch: ProjectionScratch): void {
  const n = d.length;
  const { w, p: r, order, s: ws, sb: sAt } = scratch;
  let c = -bIn;
  for (let j = 0; j < n; j++) c += wIn[j] * t[j];
  const sign = c >= 0 ? 1 : -1;
  c *= sign;
  let w5 = 0;
  for (let j = 0; j < n; j++) {
    const wj = wIn[j] * sign;
    w[j] = wj;
    let rj = Math.min(Math.max(Math.max(t[j] / wj, (t[j] - 1) / wj), -FAR), FAR);
    if (Math.abs(wj) < 1e-8 || Number.isNaN(rj)) rj = FAR;
    if (rj === -FAR) rj = FAR;
    r[j] = rj;
    w5 += wj * wj;
  }
  argsort(r, FAR, scratch);
  // rs: sorted r with FAR read as 0; ws[k] = Σ w² over the coordinates after the k-th; s[0..n] the cumulative sums.
  const rs = (k: number) => (k < n && r[order[k]] !== FAR ? r[order[k]] : 0);
  let cum = 0;
  for (let k = 0; k < n; k++) {
    const j = order[k];
    cum += w[j] * w[j];
    ws[k] = w5 - cum;
  }
  // AutoAttack's s has n + 1 entries; the search and the result read only the first n.
  const s = (k: number) => sAt[k];
  sAt[0] = -w5 * rs(0);
  let acc = 0;
  for (let k = 0; k + 1 < n; k++) {
    acc += (rs(k) - rs(k + 1)) * ws[k];
    sAt[k + 1] = acc - w5 * rs(0);
  }
  let dw = 0;
  for (let j = 0; j < n; j++) {
    d[j] = Math.abs(w[j]) > 1e-8 ? -r[j] * w[j] : 0;
    dw += d[j] * w[j];
  }
  const c4 = s(0) + c < 0;
  const c3 = dw + c > 0;
  if (c4) {
    const alpha = c / w5;
    for (let j = 0; j < n; j++) d[j] = -alpha * w[j];
  } else if (!c3) {
    let lb = 0;
    let ub = n - 1;
    for (let it = 0, end = Math.ceil(Math.log2(n)); it < end; it++) {
      const mid = Math.floor((lb + ub) / 2);
      if (s(mid) + c > 0) lb = mid;
      else ub = mid;
    }
    const alpha = ws[lb] === 0 ? 0 : (s(lb) + c) / ws[lb] + rs(lb);
    for (let j = 0; j < n; j++) if (!(alpha > r[j])) d[j] = -alpha * w[j];
  }
  for (let j = 0; j < n; j++) if (!(Math.abs(w[j]) > 1e-8)) d[j] = 0;
}

export const PROJECTIONS: Readonly<Record<NormName, typeof projectLinf>> = { linf: projectLinf, l2: projectL2 };

/** ‖v‖ of a row in the given norm. */
export function normOf(norm: NormName, v: Float64Array): number {
  let a = 0;
  if (norm === 'linf') for (let j = 0; j < v.length; j++) a = Math.max(a, Math.abs(v[j]));
  else {
    for (let j = 0; j < v.length; j++) a += v[j] * v[j];
    a = Math.sqrt(a);
  }
  return a;
}

/** Scratch space for fabStep over rows of n values. */
export const fabScratch = (n: number) => ({ ...projectionScratch(n), x1: new Float64Array(n), x0: new Float64Array(n), g: new Float64Array(n), d1: new Float64Array(n), d2: new Float64Array(n) });

/**
 * One FAB step for one example, in place on `x1`: the boundary z_t − z_y = 0 linearised at x1 (value
 * `df` = z_t − z_y, gradient `dg`), x1 and the clean x0 projected onto it, the mixed and extrapolated step,
 * clipped to [0, 1]. Trap: the rows are copied into the scratch arrays first — V8 ran these loops 2×
 * slower on subarrays of a batch.
 */
export function fabStep(norm: NormName, x1: Float32Array, x0: Float32Array, df: number, dg: Float32Array, scratch: ReturnType<typeof fabScratch>): void {
  const n = x1.length;
  const { x1: a, x0: c, g, d1, d2 } = scratch;
  a.set(x1);
  c.set(x0);
  g.set(dg);
  let b = -df;
  for (let j = 0; j < n; j++) b += g[j] * a[j];
  const project = PROJECTIONS[norm];
  project(a, g, b, d1, scratch);
  project(c, g, b, d2, scratch);
  const a1 = Math.max(normOf(norm, d1), 1e-8);
  const a2 = Math.max(normOf(norm, d2), 1e-8);
  const alpha = Math.min(Math.max(a1 / (a1 + a2), 0), FAB.alphaMax);
  for (let j = 0; j < n; j++) {
    const v = (a[j] + FAB.eta * d1[j]) * (1 - alpha) + (c[j] + d2[j] * FAB.eta) * alpha;
    x1[j] = Math.min(1, Math.max(0, v));
  }
}
