// Perturbation balls as values: for L∞ and L2, the steepest-ascent direction, the projection back into
// the ball and into [0, 1], a random starting point and the largest meaningful ε. All per row of a
// [batch, features] tensor.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';

export type NormName = 'linf' | 'l2';

export interface Norm {
  readonly name: NormName;
  /** Shown in reports. */
  readonly label: string;
  /** The unit-norm direction of steepest ascent for gradient g. */
  ascent(g: Tensor): Tensor;
  /** The point of the ε-ball around x nearest to xi, then clipped to [0, 1]. */
  project(x: Tensor, xi: Tensor, eps: o.Operand): Tensor;
  /** A random point of the ball from uniform noise u ∈ [0, 1)^(batch×features), clipped to [0, 1]. */
  randomStart(x: Tensor, eps: o.Operand, u: Tensor): Tensor;
  /** The radius of the ball around [0, 1]^features: beyond it every ε is the same. */
  largest(features: number): number;
  /** ‖t‖ of each row, shape [batch, 1]. */
  size(t: Tensor): Tensor;
}

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

/** Clipping to [0, 1] only moves coordinates towards x (which lies in [0, 1]), so the norm bound holds. */
const unit = (t: Tensor): Tensor => o.clip(t, 0, 1);

export const LINF: Norm = {
  name: 'linf',
  label: 'L∞',
  ascent: (g) => o.sign(g),
  project: (x, xi, eps) => unit(o.add(x, o.minimum(o.maximum(o.sub(xi, x), scale(eps, -1)), eps))),
  // Uniform in the cube.
  randomStart: (x, eps, u) => unit(o.add(x, o.mul(o.sub(o.mul(u, 2), 1), eps))),
  largest: () => 1,
  size: (t) => o.reduceMax(o.abs(t), 1, true),
};

export const L2: Norm = {
  name: 'l2',
  label: 'L2',
  ascent: (g) => o.div(g, o.add(rowL2(g), TINY)),
  project(x, xi, eps) {
    const d = o.sub(xi, x);
    return unit(o.add(x, o.mul(d, o.minimum(o.div(eps, o.add(rowL2(d), TINY)), 1))));
  },
  // On the sphere of radius ε along the direction 2u − 1 (AutoAttack's start).
  randomStart(x, eps, u) {
    const v = o.sub(o.mul(u, 2), 1);
    return unit(o.add(x, o.mul(o.div(v, o.add(rowL2(v), TINY)), eps)));
  },
  largest: (features) => Math.sqrt(features),
  size: rowL2,
};

export const NORMS: Readonly<Record<NormName, Norm>> = { linf: LINF, l2: L2 };
export const NORM_NAMES = Object.keys(NORMS) as NormName[];

/**
 * One step of length `size` along `direction` from xi. From the clean point itself (`fromClean`), a step no
 * longer than ε stays in the ball, so only the [0, 1] clip applies (FGSM is exactly clip(x + ε·sign(g))).
 */
export function step(norm: Norm, x: Tensor, xi: Tensor, direction: Tensor, size: o.Operand, eps: o.Operand, fromClean: boolean): Tensor {
  const moved = o.add(xi, o.mul(direction, size));
  return fromClean ? unit(moved) : norm.project(x, moved, eps);
}
