// TRADES (Zhang et al. 2019): CE(f(x), y) + β·KL(f(x) ‖ f(x')), x' the point of the ε-ball that
// maximises that KL, found by the gradient-step routine from a start 0.001 away from x.
import type { AttackSpec } from '../attacks/spec.js';
import { gradientSteps } from '../attacks/steps.js';
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { classifierSpecs, logits } from '../model/classifier.js';
import type { Objective } from './objective.js';
import { accuracy, crossEntropy } from './terms.js';

export interface TradesOptions {
  /** Weight of the KL term (TRADES's 1/λ; its MNIST script uses 1, its CIFAR-10 script 6). */
  beta: number;
  eps: number;
  /** The inner maximisation: steps and step size (a fraction of ε) of an L∞ step attack. */
  attack: Pick<AttackSpec, 'steps' | 'stepSize'>;
}

/** KL(p ‖ softmax(z)) per row, p given as log-probabilities. */
const klRows = (logP: Tensor, z: Tensor): Tensor => o.reduceSum(o.mul(o.exp(logP), o.sub(logP, o.logSoftmax(z))), 1);

export function trades({ beta, eps, attack }: TradesOptions): Objective {
  if (!(beta >= 0 && Number.isFinite(beta))) throw new RangeError(`TRADES β must be ≥ 0, got ${beta}`);
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`eps must be in [0, 1], got ${eps}`);
  return {
    name: `trades(β=${beta})`,
    groups: (m) => ({ classifier: classifierSpecs(m.classifier) }),
    build({ model, x, y, onehot, params, noise }) {
      const c = model.classifier;
      const p = params.classifier;
      const f = (v: Tensor) => logits(c, p, v);
      const z = f(x);
      const logPClean = o.stopGradient(o.logSoftmax(z));
      // TRADES starts at x + 0.001·N(0, 1); a uniform start of the same scale serves the same purpose.
      const xAdv = gradientSteps(
        { steps: attack.steps, stepSize: attack.stepSize, momentum: 0 },
        { x, eps, norm: 'linf', logits: f, loss: (zi) => klRows(logPClean, zi), start: noise('attack.start', x.shape as number[]), startRadius: 0.001 },
      );
      const zAdv = f(xAdv);
      const ce = crossEntropy(z, onehot);
      const kl = o.reduceMean(klRows(o.logSoftmax(z), zAdv));
      const loss = o.add(ce, o.mul(kl, beta));
      return { losses: { classifier: loss }, metrics: { 'acc.clean': accuracy(z, y), 'acc.adv': accuracy(zAdv, y), 'loss.classifier': loss, 'loss.kl': kl } };
    },
  };
}
