// The Square attack's L2 version, as AutoAttack's square.py runs it: each query moves the perturbation's
// mass inside one s×s window to a new pattern (the window's old direction plus AutoAttack's "eta" pattern
// of nested squares with a random sign per channel), empties a second window, and rescales the whole
// perturbation to the sphere of radius ε. K queries as one graph (squareQueriesL2, driven by
// eval/square-runner.ts); the start, and one query's candidate per example in plain TypeScript
// (squareCandidateL2, the reference the graph is tested against).
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { marginRows } from './square.js';

/** AutoAttack's eta_rectangles(x, y): nested rectangles weighted 1/(k+1)², normalised to unit L2 norm. */
function rectangles(x: number, y: number): Float64Array {
  const d = new Float64Array(x * y);
  let [r0, c0] = [Math.floor(x / 2), Math.floor(y / 2)];
  for (let k = 0, end = Math.max(Math.floor(x / 2) + 1, Math.floor(y / 2) + 1); k < end; k++) {
    for (let i = Math.max(r0, 0); i < Math.min(r0 + 2 * k + 1, x); i++)
      for (let j = Math.max(c0, 0); j < Math.min(c0 + 2 * k + 1, y); j++) d[i * y + j] += 1 / (k + 1) ** 2;
    r0 -= 1;
    c0 -= 1;
  }
  return scaleToUnit(d);
}

function scaleToUnit(d: Float64Array): Float64Array {
  let s = 0;
  for (const v of d) s += v * v;
  const norm = Math.sqrt(s);
  for (let i = 0; i < d.length; i++) d[i] /= norm;
  return d;
}

const etaCache = new Map<number, Float64Array>();

/** AutoAttack's eta(s) for L2, s×s row-major: rectangles in the top half, minus rectangles in the bottom half, unit norm (untransposed). */
export function squareEta(s: number): Float64Array {
  let e = etaCache.get(s);
  if (!e) {
    const half = Math.floor(s / 2);
    e = new Float64Array(s * s);
    if (half > 0) e.set(rectangles(half, s));
    const low = rectangles(s - half, s);
    for (let i = 0; i < low.length; i++) e[half * s + i] = -low[i];
    etaCache.set(s, (e = scaleToUnit(e)));
  }
  return e;
}

/** The L2 window's side at query `it`: as L∞'s but at least 3 and odd (AutoAttack), at most the image's side. */
export function squareSideL2(fraction: number, [c, h, w]: readonly [number, number, number]): number {
  let s = Math.max(Math.round(Math.sqrt((fraction * c * h * w) / c)), 3);
  if (s % 2 === 0) s += 1;
  return Math.min(s, h, w);
}

/** eta(s) at (i, j), transposed or not. */
const etaAt = (e: Float64Array, s: number, i: number, j: number, transposed: boolean) => (transposed ? e[j * s + i] : e[i * s + j]);

/**
 * The start's perturbation direction: tiles of eta(h/5) over the image, each with a random sign per
 * channel (`sign(tile, channel)`) and a random transpose (`flip(tile)`), into `delta` (unnormalised).
 */
export function squareStartL2(delta: Float64Array, [c, h, w]: readonly [number, number, number], sign: (tile: number, ch: number) => number, flip: (tile: number) => boolean): void {
  delta.fill(0);
  const s = Math.floor(h / 5);
  if (s < 1) return;
  const e = squareEta(s);
  const offset = Math.floor((h - 5 * s) / 2);
  let tile = 0;
  for (let ti = 0, vh = offset; ti < Math.floor(h / s); ti++, vh += s)
    for (let tj = 0, vw = offset; tj < Math.floor(w / s); tj++, vw += s, tile++) {
      const t = flip(tile);
      for (let ch = 0; ch < c; ch++) {
        const sg = sign(tile, ch);
        for (let i = 0; i < s && vh + i < h; i++) for (let j = 0; j < s && vw + j < w; j++) delta[ch * h * w + (vh + i) * w + vw + j] += etaAt(e, s, i, j, t) * sg;
      }
    }
}

/** x + ε·delta/‖delta‖, clipped to [0, 1], into `out`. */
export function onSphere(x: Float32Array, delta: Float64Array, eps: number, out: Float32Array): void {
  let s = 0;
  for (let j = 0; j < delta.length; j++) s += delta[j] * delta[j];
  const k = eps / (Math.sqrt(s) + 1e-12);
  for (let j = 0; j < delta.length; j++) out[j] = Math.min(1, Math.max(0, x[j] + delta[j] * k));
}

/** Scratch for one window's new pattern, per side (a query's candidates are made one example at a time). */
const freshCache = new Map<number, Float64Array>();
const freshPattern = (s: number): Float64Array => {
  let f = freshCache.get(s);
  if (!f) freshCache.set(s, (f = new Float64Array(s * s)));
  return f;
};

export interface SquareQueryL2 {
  side: number;
  /** Window 1 (gets the new pattern) and window 2 (emptied): top-left corners. */
  row1: number;
  col1: number;
  row2: number;
  col2: number;
  transposed: boolean;
  /** ±1 per channel. */
  signs: ArrayLike<number>;
}

/**
 * One L2 query's candidate for one example, into `out`: from the best point `best` around the clean `x`.
 * `delta` is scratch of the row's length.
 */
export function squareCandidateL2(x: Float32Array, best: Float32Array, eps: number, [c, h, w]: readonly [number, number, number], q: SquareQueryL2, delta: Float64Array, out: Float32Array): void {
  const { side: s, row1, col1, row2, col2 } = q;
  let image = 0;
  for (let j = 0; j < delta.length; j++) {
    delta[j] = best[j] - x[j];
    image += delta[j] * delta[j];
  }
  const e = squareEta(s);
  const in1 = (i: number, j: number) => i >= row1 && i < row1 + s && j >= col1 && j < col1 + s;
  const fresh = freshPattern(s);
  const budget = Math.max(eps * eps - image, 0) / c;
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    // ‖delta‖ over window 1, and over windows 1 ∪ 2 (window 2's pixels outside window 1 added), in this channel.
    let w1 = 0;
    for (let i = row1; i < row1 + s; i++) for (let j = col1; j < col1 + s; j++) w1 += delta[base + i * w + j] ** 2;
    let both = w1;
    for (let i = row2; i < row2 + s; i++) for (let j = col2; j < col2 + s; j++) if (!in1(i, j)) both += delta[base + i * w + j] ** 2;
    w1 = Math.sqrt(w1);
    let norm = 0;
    for (let i = 0; i < s; i++)
      for (let j = 0; j < s; j++) {
        const v = etaAt(e, s, i, j, q.transposed) * q.signs[ch] + delta[base + (row1 + i) * w + col1 + j] / (1e-12 + w1);
        fresh[i * s + j] = v;
        norm += v * v;
      }
    const k = Math.sqrt(budget + both) / (1e-12 + Math.sqrt(norm));
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) delta[base + (row2 + i) * w + col2 + j] = 0;
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) delta[base + (row1 + i) * w + col1 + j] = fresh[i * s + j] * k;
  }
  onSphere(x, delta, eps, out);
}

export interface SquareL2GraphInputs {
  /** Clean inputs [B, C·H·W] and the image's [C, H, W]. */
  x: Tensor;
  image: readonly [number, number, number];
  /** The radius per example [B, 1]. */
  eps: Tensor;
  onehot: Tensor;
  /** The model's logits at a point. */
  logits(x: Tensor): Tensor;
  /** The search's state: best point [B, F], its margin and loss [B]. */
  best: Tensor;
  margin: Tensor;
  loss: Tensor;
  /**
   * Per query k (first axis), over one channel's H·W pixels, the same for every example: window 1 (1 inside),
   * windows 1 and 2 together, and eta placed (and transposed) in window 1 — [K, H·W] each.
   */
  window1: Tensor;
  windows: Tensor;
  eta: Tensor;
  /** Each example's sign per query and channel, ±1 [B, K·C]. */
  signs: Tensor;
}

/**
 * K queries of squareCandidateL2 and AutoAttack's acceptance (kept when the margin loss falls or the
 * example is misclassified) in float32; examples whose margin is already ≤ 0 are left as they are.
 */
export function squareQueriesL2(io: SquareL2GraphInputs): { best: Tensor; margin: Tensor; loss: Tensor } {
  const [b, f] = io.x.shape as [number, number];
  const [c, h, w] = io.image;
  const hw = h * w;
  const k = io.window1.shape[0] as number;
  const x = o.reshape(io.x, [b, c, hw]);
  const eps = o.reshape(io.eps, [b, 1, 1]);
  const pixels = (t: Tensor, q: number) => o.reshape(o.slice(t, 0, q, q + 1), [1, 1, hw]);
  let best = o.reshape(io.best, [b, c, hw]);
  let { margin, loss } = io;
  for (let q = 0; q < k; q++) {
    const [m1, m12, eta] = [pixels(io.window1, q), pixels(io.windows, q), pixels(io.eta, q)];
    const sign = o.reshape(o.slice(io.signs, 1, q * c, (q + 1) * c), [b, c, 1]);
    const delta = o.sub(best, x);
    const d2 = o.mul(delta, delta);
    // What the sphere has left beyond the current perturbation, per channel; the norms over window 1 and over both windows.
    const budget = o.div(o.maximum(o.sub(o.mul(eps, eps), o.reduceSum(d2, [1, 2], true)), 0), c);
    const w1 = o.sqrt(o.reduceSum(o.mul(d2, m1), 2, true));
    const both = o.reduceSum(o.mul(d2, m12), 2, true);
    const fresh = o.add(o.mul(eta, sign), o.div(o.mul(delta, m1), o.add(w1, 1e-12)));
    const scale = o.div(o.sqrt(o.add(budget, both)), o.add(o.sqrt(o.reduceSum(o.mul(fresh, fresh), 2, true)), 1e-12));
    const moved = o.add(o.mul(delta, o.sub(1, m12)), o.mul(fresh, scale));
    const length = o.sqrt(o.reduceSum(o.mul(moved, moved), [1, 2], true));
    const candidate = o.clip(o.add(x, o.mul(moved, o.div(eps, o.add(length, 1e-12)))), 0, 1);
    const m = marginRows(io.logits(o.reshape(candidate, [b, f])), io.onehot);
    const active = o.cast(o.greater(margin, 0), 'float32');
    const lower = o.mul(active, o.cast(o.less(m, loss), 'float32'));
    const take = o.greater(o.maximum(lower, o.mul(active, o.cast(o.lessOrEqual(m, 0), 'float32'))), 0);
    loss = o.where(o.greater(lower, 0), m, loss);
    margin = o.where(take, m, margin);
    best = o.where(o.reshape(take, [b, 1, 1]), candidate, best);
  }
  return { best: o.reshape(best, [b, f]), margin, loss };
}

/** The windows of L2 queries t..t+k−1 as squareQueriesL2 takes them, from AutoAttack's draws `u` (5 per query). */
export function blockWindowsL2(sides: readonly number[], u: Float32Array, [, h, w]: readonly [number, number, number]) {
  const k = sides.length;
  const hw = h * w;
  const window1 = new Float32Array(k * hw);
  const windows = new Float32Array(k * hw);
  const eta = new Float32Array(k * hw);
  const queries: Omit<SquareQueryL2, 'signs'>[] = [];
  for (let q = 0; q < k; q++) {
    const s = sides[q];
    const corner = (v: number, size: number) => Math.floor(v * (size - s));
    const query = { side: s, row1: corner(u[q * 5], h), col1: corner(u[q * 5 + 1], w), row2: corner(u[q * 5 + 2], h), col2: corner(u[q * 5 + 3], w), transposed: u[q * 5 + 4] > 0.5 };
    queries.push(query);
    const e = squareEta(s);
    for (let i = 0; i < s; i++)
      for (let j = 0; j < s; j++) {
        const at1 = q * hw + (query.row1 + i) * w + query.col1 + j;
        window1[at1] = 1;
        windows[at1] = 1;
        windows[q * hw + (query.row2 + i) * w + query.col2 + j] = 1;
        eta[at1] = etaAt(e, s, i, j, query.transposed);
      }
  }
  return { window1, windows, eta, queries };
}
