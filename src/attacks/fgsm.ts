// FGSM: one gradient-sign step of size ε from the clean input, clipped to [0, 1].
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';

/** FGSM (Goodfellow et al.): clip(x + ε·sign(∇x loss), 0, 1), with no gradient through it. */
export function fgsm(loss: Tensor, x: Tensor, eps: o.Operand): Tensor {
  return fgsmFromGradient(x, grad(loss, [x])[0], eps);
}

/** FGSM given the input gradient (or any positive multiple of it). */
export function fgsmFromGradient(x: Tensor, g: Tensor, eps: o.Operand): Tensor {
  return o.stopGradient(o.clip(o.add(x, o.mul(o.sign(g), eps)), 0, 1));
}
