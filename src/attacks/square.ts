// The Square attack (Andriushchenko et al. 2020), L∞, as AutoAttack's square.py runs it: score-based,
// no gradient. From vertical stripes of ±ε, each query changes one random square window of the best
// point so far to ±ε (a sign per channel; window and signs the same for every example) and keeps the
// change when the margin loss falls or the example is misclassified. The window's side shrinks on AutoAttack's schedule of p (the fraction of
// pixels a window covers). This file builds K queries as one graph; eval/square-runner.ts drives it.
// The L2 version is in square-l2.ts.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import type { DenseFirst } from '../model/network.js';
import { LINF } from './norms.js';

/**
 * AutoAttack's p at query `it`. Its schedule is written for 10,000 queries: the standard ensemble runs
 * 5,000 without rescaling it (resc_schedule=False: p never falls below p_init/128 there); SquareAttack's
 * default rescales it to the budget (`rescaleTo` queries).
 */
export function squareFraction(it: number, pInit: number, rescaleTo?: number): number {
  const i = rescaleTo ? Math.floor((it / rescaleTo) * 10000) : it;
  const steps: [number, number][] = [[10, 1], [50, 2], [200, 4], [500, 8], [1000, 16], [2000, 32], [4000, 64], [6000, 128], [8000, 256]];
  let div = 512;
  for (const [upTo, d] of steps) if (i <= upTo) {
    div = d;
    break;
  }
  return pInit / div;
}

/** The L∞ window's side at query `it`: √(p·pixels per channel), at least 1, at most the image's side. */
export function squareSide(it: number, pInit: number, [c, h, w]: readonly [number, number, number], rescaleTo?: number): number {
  const s = Math.max(Math.round(Math.sqrt((squareFraction(it, pInit, rescaleTo) * c * h * w) / c)), 1);
  return Math.min(s, h, w);
}

/** z_y − max_{j≠y} z_j per row: negative once the example is misclassified. */
export function marginRows(z: Tensor, onehot: Tensor): Tensor {
  const zy = o.reduceSum(o.mul(z, onehot), 1);
  const others = o.reduceMax(o.where(o.greater(onehot, 0), -3e38, z), 1);
  return o.sub(zy, others);
}

export interface SquareGraphInputs {
  /** Clean inputs [B, C·H·W]. */
  x: Tensor;
  /** The radius per example [B, 1]. */
  eps: Tensor;
  onehot: Tensor;
  /** The model's logits at a point (unless `dense` gives the model taken apart). */
  logits?(x: Tensor): Tensor;
  /** The search's state: best point [B, F], its margin and loss [B]. */
  best: Tensor;
  margin: Tensor;
  loss: Tensor;
  /** Per query k (first axis), the window as AutoAttack draws it, the same for every example: ±1 inside (a sign per channel), 0 outside [K, F]. */
  pattern: Tensor;
  /**
   * The model's first layer is dense (x·W + b): each candidate then updates the best point's x·W with
   * the few rows of W its window covers — per query and channel, `band` pixels from `bandStart` [K, C]
   * (int64: whole image rows holding the window).
   */
  dense?: DenseFirst & { bandStart: Tensor; band: number };
}

/** K queries (K = the first axis of `pattern`); examples whose margin is already ≤ 0 are left as they are. */
export function squareQueries(io: SquareGraphInputs): { best: Tensor; margin: Tensor; loss: Tensor } {
  const k = io.pattern.shape[0] as number;
  const [b, f] = io.x.shape as [number, number];
  const { dense } = io;
  let { best, margin, loss } = io;
  // x·W + b of the best point, recomputed once per block (the updates' rounding does not pile up).
  let h = dense ? o.matmul(best, dense.weight, {}, dense.bias) : null;
  for (let q = 0; q < k; q++) {
    const window = o.reshape(o.slice(io.pattern, 0, q, q + 1), [1, f]);
    const active = o.greater(margin, 0);
    let m: Tensor;
    let accept: (take: Tensor) => void;
    if (dense && h) {
      // Only the band of rows holding the window changes: the candidate, x·W and the update are made on it.
      const starts = Array.from({ length: dense.bandStart.shape[1] as number }, (_, ch) => o.reshape(o.slice(o.slice(dense.bandStart, 0, q, q + 1), 1, ch, ch + 1), [1]));
      const band = (t: Tensor) => o.concat(starts.map((s) => o.sliceAt(t, 1, s, dense.band)), 1);
      const bestBand = band(best);
      const candidate = LINF.project(band(io.x), o.add(bestBand, o.mul(band(window), o.mul(io.eps, 2))), io.eps);
      const change = o.sub(candidate, bestBand);
      const hCandidate = o.add(h, o.matmul(change, o.concat(starts.map((s) => o.sliceAt(dense.weight, 0, s, dense.band)), 0)));
      m = marginRows(dense.rest(hCandidate), io.onehot);
      accept = (takeRow) => {
        const kept = o.where(takeRow, change, 0);
        best = starts.reduce((acc, s, ch) => o.add(acc, o.padAt(o.slice(kept, 1, ch * dense.band, (ch + 1) * dense.band), 1, s, f)), best);
        h = o.where(takeRow, hCandidate, h!);
      };
    } else {
      if (!io.logits) throw new Error('squareQueries: needs the model as logits or as dense');
      const candidate = LINF.project(io.x, o.add(best, o.mul(window, o.mul(io.eps, 2))), io.eps);
      m = marginRows(io.logits(candidate), io.onehot);
      accept = (takeRow) => (best = o.where(takeRow, candidate, best));
    }
    const lower = o.mul(o.cast(active, 'float32'), o.cast(o.less(m, loss), 'float32'));
    const take = o.greater(o.maximum(lower, o.mul(o.cast(active, 'float32'), o.cast(o.lessOrEqual(m, 0), 'float32'))), 0);
    loss = o.where(o.greater(lower, 0), m, loss);
    margin = o.where(take, m, margin);
    accept(o.reshape(take, [b, 1]));
  }
  return { best, margin, loss };
}
