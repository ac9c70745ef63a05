// Loss terms and metrics shared by the objectives.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';

/** Mean cross-entropy of logits [n, k] against one-hot targets [n, k]. */
export const crossEntropy = (logits: Tensor, onehot: Tensor): Tensor => o.neg(o.reduceMean(o.reduceSum(o.mul(o.logSoftmax(logits), onehot), 1)));

/** softplus(x) = log(1 + eˣ), computed as relu(x) + log(1 + e^−|x|) so it never overflows. */
export const softplus = (x: Tensor): Tensor => o.add(o.relu(x), o.log(o.add(o.exp(o.neg(o.abs(x))), 1)));

/** Mean of −log σ(l): binary cross-entropy of logits l against the label 1. */
export const bceOnes = (l: Tensor): Tensor => o.reduceMean(softplus(o.neg(l)));
/** Mean of −log(1 − σ(l)): binary cross-entropy of logits l against the label 0. */
export const bceZeros = (l: Tensor): Tensor => o.reduceMean(softplus(l));

/** Fraction of rows whose argmax is the label. */
export const accuracy = (logits: Tensor, labels: Tensor): Tensor => o.reduceMean(o.cast(o.equal(o.argmax(logits, 1), labels), logits.dtype));

/** ε rising linearly from 0 over the first `warmup` updates (`step` is the 1-based update count), then constant. */
export const rampedEps = (eps: number, warmup: number, step: Tensor): o.Operand => (warmup > 0 ? o.mul(o.minimum(o.div(step, warmup), 1), eps) : eps);

/** Fraction of logits on the expected side of 0. */
export const fractionPositive = (l: Tensor): Tensor => o.reduceMean(o.cast(o.greater(l, 0), l.dtype));
