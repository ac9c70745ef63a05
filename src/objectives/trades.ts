// TRADES (Zhang et al. 2019): CE(f(x), y) + β·KL(f(x) ‖ f(x')), x' the point of the ε-ball that
// maximises that KL, found by the gradient-step routine from a start 0.001 away from x.
import { LINF } from '../attacks/norms.js';
import type { StepsAttack } from '../attacks/spec.js';
import { gradientSteps } from '../attacks/steps.js';
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { network } from '../model/network.js';
import { adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { checkSetting } from '../settings.js';
import type { Objective } from './objective.js';
import { accuracy, crossEntropy, rampedEps } from './terms.js';

export interface TradesOptions {
  /** Weight of the KL term (TRADES's 1/λ; its MNIST script uses 1, its CIFAR-10 script 6). */
  beta: number;
  eps: number;
  /** Updates over which ε rises linearly from 0 to `eps` (default 0: from the start). */
  warmup?: number;
  /** The inner maximisation: steps and step size (a fraction of ε) of an L∞ step attack. */
  attack: Pick<StepsAttack, 'steps' | 'stepSize'>;
  /** The classifier's optimizer (default Adam, learning rate 10⁻³). */
  optimizer?: Optimizer;
}

/** KL(p ‖ softmax(z)) per row, p given as log-probabilities. */
const klRows = (logP: Tensor, z: Tensor): Tensor => o.reduceSum(o.mul(o.exp(logP), o.sub(logP, o.logSoftmax(z))), 1);

export function trades({ beta, eps, attack, warmup = 0, optimizer = adam() }: TradesOptions): Objective {
  checkSetting('tradesBeta', beta);
  checkSetting('trainEps', eps);
  checkSetting('attackSteps', attack.steps);
  checkSetting('attackStepSize', attack.stepSize);
  return {
    name: `trades(β=${beta})`,
    groups: (m) => ({ classifier: { specs: network(m.classifier).params, optimizer } }),
    build({ x, y, onehot, noise, classifier: f, step }) {
      const z = f.logits(x, { stats: true });
      const logPClean = o.stopGradient(o.logSoftmax(z));
      // TRADES starts at x + 0.001·N(0, 1); a uniform start of the same scale serves the same purpose.
      const xAdv = gradientSteps(
        { steps: attack.steps, stepSize: attack.stepSize, momentum: 0 },
        { x, eps: rampedEps(eps, warmup, step), norm: LINF, logits: (v) => f.logits(v), loss: (zi) => klRows(logPClean, zi), start: noise('attack.start', x.shape as number[]), startRadius: 0.001 },
      );
      const zAdv = f.logits(xAdv);
      const ce = crossEntropy(z, onehot);
      const kl = o.reduceMean(klRows(o.logSoftmax(z), zAdv));
      const loss = o.add(ce, o.mul(kl, beta));
      return { losses: { classifier: loss }, metrics: { 'acc.clean': accuracy(z, y), 'acc.adv': accuracy(zAdv, y), 'loss.classifier': loss, 'loss.kl': kl } };
    },
  };
}
