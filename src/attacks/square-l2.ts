// The Square attack's L2 version, as AutoAttack's square.py runs it, per example in plain TypeScript
// (the model's margins come from a compiled forward pass): each query moves the perturbation's mass
// inside one s×s window to a new pattern (the window's old direction plus AutoAttack's "eta" pattern of
// nested squares with a random sign per channel), empties a second window, and rescales the whole
// perturbation to the sphere of radius ε.

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
