// Gradient-sign steps under L∞, and FGSM as one step of size ε from the clean input.
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';

/** x + α·sign(g), projected onto the ε-ball around x0 and onto [0, 1]. */
export function signStep(x: Tensor, g: Tensor, step: number, x0: Tensor, eps: number): Tensor {
  const moved = o.add(x, o.mul(o.sign(g), step));
  const inBall = o.where(o.greater(moved, o.add(x0, eps)), o.add(x0, eps), o.where(o.less(moved, o.sub(x0, eps)), o.sub(x0, eps), moved));
  return o.clip(inBall, 0, 1);
}

/** FGSM (Goodfellow et al.): clip(x + ε·sign(∇x loss), 0, 1), with no gradient through it. */
export function fgsm(loss: Tensor, x: Tensor, eps: number): Tensor {
  const [g] = grad(loss, [x]);
  return o.stopGradient(o.clip(o.add(x, o.mul(o.sign(g), eps)), 0, 1));
}
