// The Square attack (Andriushchenko et al. 2020), L∞, as AutoAttack's square.py runs it: score-based,
// no gradient. From vertical stripes of ±ε, each query changes one random square window of the best
// point so far to ±ε (a sign per channel) and keeps the change when the margin loss falls or the
// example is misclassified. The window's side shrinks on AutoAttack's schedule of p (the fraction of
// pixels a window covers). This file builds K queries as one graph; eval/square-runner.ts drives it.
// The L2 version is in square-l2.ts.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { LINF } from './norms.js';

/**
 * AutoAttack's p at query `it`. Its schedule is written for 10,000 queries; its standard ensemble runs
 * 5,000 without rescaling it (resc_schedule=False), so p never falls below p_init/128 there. So here.
 */
export function squareFraction(it: number, pInit: number): number {
  const i = it;
  const steps: [number, number][] = [[10, 1], [50, 2], [200, 4], [500, 8], [1000, 16], [2000, 32], [4000, 64], [6000, 128], [8000, 256]];
  let div = 512;
  for (const [upTo, d] of steps) if (i <= upTo) {
    div = d;
    break;
  }
  return pInit / div;
}

/** The L∞ window's side at query `it`: √(p·pixels per channel), at least 1, at most the image's side. */
export function squareSide(it: number, pInit: number, [c, h, w]: readonly [number, number, number]): number {
  const s = Math.max(Math.round(Math.sqrt((squareFraction(it, pInit) * c * h * w) / c)), 1);
  return Math.min(s, h, w);
}

/** z_y − max_{j≠y} z_j per row: negative once the example is misclassified. */
export function marginRows(z: Tensor, onehot: Tensor): Tensor {
  const zy = o.reduceSum(o.mul(z, onehot), 1);
  const others = o.reduceMax(o.where(o.greater(onehot, 0), -3e38, z), 1);
  return o.sub(zy, others);
}

export interface SquareGraphInputs {
  /** Clean inputs [B, C·H·W] and the image shape [C, H, W]. */
  x: Tensor;
  image: readonly [number, number, number];
  eps: Tensor;
  onehot: Tensor;
  logits(x: Tensor): Tensor;
  /** The search's state: best point [B, F], its margin and loss [B]. */
  best: Tensor;
  margin: Tensor;
  loss: Tensor;
  /** Per query k (first axis): window rows and columns start [K, B], window side [K], signs [K, B, C] (±1). */
  row: Tensor;
  col: Tensor;
  side: Tensor;
  sign: Tensor;
}

/** K queries (K = the first axis of `row`); examples whose margin is already ≤ 0 are left as they are. */
export function squareQueries(io: SquareGraphInputs): { best: Tensor; margin: Tensor; loss: Tensor } {
  const [c, h, w] = io.image;
  const k = io.row.shape[0] as number;
  const b = io.x.shape[0] as number;
  const rows = o.constant(Array.from({ length: h }, (_, i) => i), [1, h]);
  const cols = o.constant(Array.from({ length: w }, (_, i) => i), [1, w]);
  const inside = (idx: Tensor, start: Tensor, side: Tensor) => o.cast(o.lessOrEqual(o.mul(o.abs(o.sub(o.sub(idx, start), o.mul(o.sub(side, 1), 0.5))), 2), o.sub(side, 1)), 'float32');
  let { best, margin, loss } = io;
  for (let q = 0; q < k; q++) {
    const at = (t: Tensor) => o.reshape(o.slice(t, 0, q, q + 1), t.shape.slice(1));
    const side = at(io.side);
    const rowIn = inside(rows, o.reshape(at(io.row), [b, 1]), side); // [B, H]
    const colIn = inside(cols, o.reshape(at(io.col), [b, 1]), side); // [B, W]
    const window = o.mul(o.reshape(rowIn, [b, 1, h, 1]), o.reshape(colIn, [b, 1, 1, w]));
    const delta = o.reshape(o.mul(window, o.reshape(at(io.sign), [b, c, 1, 1])), [b, c * h * w]);
    const candidate = LINF.project(io.x, o.add(best, o.mul(delta, o.mul(io.eps, 2))), io.eps);
    const m = marginRows(io.logits(candidate), io.onehot);
    const active = o.greater(margin, 0);
    const lower = o.mul(o.cast(active, 'float32'), o.cast(o.less(m, loss), 'float32'));
    const take = o.greater(o.maximum(lower, o.mul(o.cast(active, 'float32'), o.cast(o.lessOrEqual(m, 0), 'float32'))), 0);
    loss = o.where(o.greater(lower, 0), m, loss);
    margin = o.where(take, m, margin);
    best = o.where(o.reshape(take, [b, 1]), candidate, best);
  }
  return { best, margin, loss };
}
