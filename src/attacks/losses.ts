// Per-example losses an attack ascends, computed on logits (never on softmax probabilities, whose
// saturation hides the gradient). Each returns one value per row, shape [batch].
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';

/** Cross-entropy of each row: −log softmax(z)_y. */
export const crossEntropyRows = (logits: Tensor, onehot: Tensor): Tensor => o.neg(o.reduceSum(o.mul(o.logSoftmax(logits), onehot), 1));

/** The k largest logits of each row, largest first, each [batch] (ties broken by the lowest class index). */
export function topLogits(logits: Tensor, k: number): Tensor[] {
  const out: Tensor[] = [];
  let rest = o.stopGradient(logits);
  for (let i = 0; i < k; i++) {
    const pick = o.oneHot(o.argmax(rest, 1), logits.shape[1] as number);
    out.push(o.reduceSum(o.mul(logits, pick), 1));
    rest = o.where(o.greater(pick, 0), -3e38, rest);
  }
  return out;
}

/**
 * Difference of Logits Ratio (Croce & Hein 2020), targeted form: −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2),
 * with π the classes sorted by logit. Invariant to shifting and rescaling the logits, so a model that
 * only inflates its logits does not weaken the attack. Needs at least 4 classes.
 */
export function dlrTargetedRows(logits: Tensor, onehot: Tensor, target: Tensor): Tensor {
  const [z1, , z3, z4] = topLogits(logits, 4);
  const zy = o.reduceSum(o.mul(logits, onehot), 1);
  const zt = o.reduceSum(o.mul(logits, target), 1);
  return o.neg(o.div(o.sub(zy, zt), o.add(o.sub(z1, o.mul(o.add(z3, z4), 0.5)), 1e-12)));
}

/**
 * Difference of Logits Ratio, untargeted (AutoAttack's dlr_loss): −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3),
 * with π the classes sorted by logit. Needs at least 3 classes.
 */
export function dlrRows(logits: Tensor, onehot: Tensor): Tensor {
  const [z1, , z3] = topLogits(logits, 3);
  const zy = o.reduceSum(o.mul(logits, onehot), 1);
  const other = o.reduceMax(o.where(o.greater(onehot, 0), -3e38, logits), 1);
  return o.neg(o.div(o.sub(zy, other), o.add(o.sub(z1, z3), 1e-12)));
}
