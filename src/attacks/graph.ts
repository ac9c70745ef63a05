// What every attack graph is given: the clean batch, the ball, the loss to ascend and the model.
import type { Operand } from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import type { Norm } from './norms.js';

export interface AttackGraphInputs {
  /** Clean inputs [batch, features] in [0, 1]. */
  x: Tensor;
  eps: Operand;
  norm: Norm;
  /** Logits of the attacked model at a point. */
  logits(x: Tensor): Tensor;
  /** The per-row loss the attack ascends, from logits ([batch, classes] → [batch]). */
  loss(logits: Tensor): Tensor;
  /** Uniform noise [batch, features] for a random start; the attack starts at x without it. */
  start?: Tensor;
  /** Radius of the random start (default ε). */
  startRadius?: Operand;
  /**
   * The loss's input gradient at x, already computed (any positive multiple of it: the step directions
   * ignore its scale). An attack that starts at x takes its first step along it instead of differentiating again.
   */
  cleanGradient?: Tensor;
  /**
   * Expectation over transformation (APGD): the model sees each point `eot` times stacked along the
   * batch (a random model draws anew for each copy), `logits` and `loss` then take eot·batch rows, and
   * the gradient is their sum; the loss and logits an attack tracks are the last copy's (AutoAttack's rule).
   */
  eot?: number;
  /** Sees every point the attack reaches and the model's logits there, the last point included. */
  visit?(point: Tensor, logits: Tensor): void;
}
