// Perturbation balls under L∞ and L2: steepest-ascent directions, projections back into the ball
// and into [0, 1], and random starting points. All per row of a [batch, features] tensor.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';

export type Norm = 'linf' | 'l2';
export const NORMS: readonly Norm[] = ['linf', 'l2'];

/** Keeps divisions by a zero norm finite (a zero gradient then gives a zero step, as sign(0) = 0). */
const TINY = 1e-12;

/** k·a, for a number or a tensor. */
export const scale = (a: o.Operand, k: number): o.Operand => (typeof a === 'number' ? a * k : o.mul(a, k));

/** A per-row vector [batch] as a column [batch, 1], to select or scale whole rows. */
export const column = (t: Tensor): Tensor => o.reshape(t, [t.shape[0], 1]);

/** ‖t‖₂ of each row, shape [batch, 1]. */
export const rowL2 = (t: Tensor): Tensor => o.sqrt(o.reduceSum(o.mul(t, t), 1, true));
/** ‖t‖₁ of each row, shape [batch, 1]. */
export const rowL1 = (t: Tensor): Tensor => o.reduceSum(o.abs(t), 1, true);

/** The unit-norm direction of steepest ascent for gradient g: sign(g) under L∞, g/‖g‖₂ under L2. */
export function ascent(g: Tensor, norm: Norm): Tensor {
  return norm === 'linf' ? o.sign(g) : o.div(g, o.add(rowL2(g), TINY));
}

/** The point of the ε-ball around x nearest to xi (L∞: clipped; L2: rescaled), then clipped to [0, 1]. */
export function project(x: Tensor, xi: Tensor, eps: o.Operand, norm: Norm): Tensor {
  let d = o.sub(xi, x);
  if (norm === 'linf') d = o.minimum(o.maximum(d, scale(eps, -1)), eps);
  else d = o.mul(d, o.minimum(o.div(eps, o.add(rowL2(d), TINY)), 1));
  // Clipping to [0, 1] only moves coordinates towards x (which lies in [0, 1]), so the norm bound holds.
  return o.clip(o.add(x, d), 0, 1);
}

/**
 * A random point of the ball from uniform noise u ∈ [0, 1)^(batch×features): uniform in the cube under
 * L∞; on the sphere of radius ε along the direction 2u − 1 under L2 (AutoAttack's start). Clipped to [0, 1].
 */
export function randomStart(x: Tensor, eps: o.Operand, u: Tensor, norm: Norm): Tensor {
  const v = o.sub(o.mul(u, 2), 1);
  const d = norm === 'linf' ? o.mul(v, eps) : o.mul(o.div(v, o.add(rowL2(v), TINY)), eps);
  return o.clip(o.add(x, d), 0, 1);
}
