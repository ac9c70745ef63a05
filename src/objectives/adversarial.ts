// The paper's family: α·CE(x) + (1−α)·CE(x_adv) − β·log D(E(x_adv)) for the classifier, BCE for D,
// adversarial examples from the current weights (FGSM, or any attack: PGD-AT is α = 0 with PGD).
// plain, AT, A2T and A3T are points (α, β) of it.
import { ATTACKS, type GraphAttack, attackPoint } from '../attacks/spec.js';
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { discriminate, discriminatorSpecs } from '../model/discriminator.js';
import { flatFeatures, network } from '../model/network.js';
import { adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { usageError } from '../errors.js';
import { checkSetting } from '../settings.js';
import type { GroupSpec, MetricInfo, Objective } from './objective.js';
import { accuracy, bceOnes, bceZeros, crossEntropy, fractionPositive, rampedEps } from './terms.js';

export interface AdversarialOptions {
  /** Weight of the clean cross-entropy; 1 − α weighs the adversarial one. */
  alpha: number;
  /** Weight of the encoder's adversarial loss −log D(E(x_adv)); 0 drops the discriminator. */
  beta: number;
  /** ε of the training examples. */
  eps: number;
  /** Updates over which ε rises linearly from 0 to `eps` (default 0: from the start). */
  warmup?: number;
  /** How the training examples are made (default FGSM). */
  attack?: GraphAttack;
  /** The classifier's optimizer (default Adam, learning rate 10⁻³). */
  optimizer?: Optimizer;
  /** The discriminator's optimizer (default Adam, 10⁻³) and its updates per classifier update (default 1). */
  discriminator?: { optimizer?: Optimizer; updates?: number };
}

/** The discriminator's accuracies (A3T, A2T, A3T-PGD): the same keys in training and validation. */
export const DISCRIMINATOR_METRICS: readonly [clean: MetricInfo, adversarial: MetricInfo] = [
  { key: 'dacc.clean', label: 'clean features', short: 'clean', meaning: 'fraction of clean inputs whose features the discriminator calls clean', attacked: false, formerly: 'dClean' },
  {
    key: 'dacc.adv',
    label: 'FGSM features',
    short: 'adv',
    meaning: 'fraction of attacked inputs (the training attack in training, FGSM in validation) whose features the discriminator calls attacked',
    attacked: true,
    formerly: 'dAdv',
  },
];
const [D_CLEAN, D_ADV] = DISCRIMINATOR_METRICS;

export function adversarial(opts: AdversarialOptions, name = `adversarial(α=${opts.alpha}, β=${opts.beta})`): Objective {
  const { alpha, beta, eps } = opts;
  checkSetting('alpha', alpha);
  checkSetting('beta', beta);
  checkSetting('trainEps', eps);
  const attack = opts.attack ?? ATTACKS.fgsm;
  if (attack.target !== 'none' || attack.restarts !== 1) throw usageError(`training examples come from an untargeted attack without restarts, got ${attack.name}`);
  const withD = beta > 0;
  const needAdv = alpha < 1 || withD;
  // An attack that starts at x takes its first step along the gradient of α·CE(x), which the clean
  // term needs anyway: one backward pass gives both (the step ignores the positive factor α).
  const sharesGradient = attack.routine === 'steps' && !attack.randomStart;
  const classifierOptimizer = opts.optimizer ?? adam();
  const dOptimizer = opts.discriminator?.optimizer ?? adam();
  if (opts.discriminator?.updates !== undefined) checkSetting('discriminatorSteps', opts.discriminator.updates);
  return {
    name,
    ...(withD ? { metrics: DISCRIMINATOR_METRICS } : {}),
    groups(m) {
      const groups: Record<string, GroupSpec> = { classifier: { specs: network(m.classifier).params, optimizer: classifierOptimizer } };
      if (withD) groups.discriminator = { specs: discriminatorSpecs(m.discriminator), optimizer: dOptimizer, updates: opts.discriminator?.updates ?? 1 };
      return groups;
    },
    build({ model, x, y, onehot, params, noise, classifier: f, step }) {
      const p = params.classifier;
      const z = f.encode(x, { stats: true });
      const out = f.residual(z);
      const ceClean = crossEntropy(out, onehot);
      const metrics: Record<string, Tensor> = { 'acc.clean': accuracy(out, y) };
      if (!needAdv) return { losses: { classifier: ceClean }, metrics: { ...metrics, 'loss.classifier': ceClean } };
      const names = Object.keys(p);
      const splitClean = sharesGradient && alpha > 0;
      const [gx, ...known] = sharesGradient ? grad(o.mul(ceClean, alpha > 0 ? alpha : 1), splitClean ? [x, ...names.map((n) => p[n])] : [x]) : [];
      const start = attack.randomStart ? noise('attack.start', x.shape as number[]) : undefined;
      const xAdv = attackPoint(attack, { x, eps: rampedEps(eps, opts.warmup ?? 0, step), logits: (v) => f.residual(f.encode(v)), start, cleanGradient: gx }, onehot);
      const zAdv = f.encode(xAdv);
      const outAdv = f.residual(zAdv);
      const ceAdv = crossEntropy(outAdv, onehot);
      metrics['acc.adv'] = accuracy(outAdv, y);
      let rest = o.mul(ceAdv, 1 - alpha);
      const losses: Record<string, Tensor> = {};
      if (withD) {
        const d = model.discriminator;
        const rows = x.shape[0] as number;
        // Separate D passes over clean and adversarial features: the encoder's term then reaches only
        // the adversarial path. Each group differentiates only its own parameters, so D's loss never
        // moves the encoder and the encoder's term never moves D.
        const dp = params.discriminator;
        const lClean = discriminate(d, dp, flatFeatures(z), noise('dropout.clean', [rows, d.hidden]));
        const lAdv = discriminate(d, dp, flatFeatures(zAdv), noise('dropout.adv', [rows, d.hidden]));
        losses.discriminator = o.add(bceOnes(lClean), bceZeros(lAdv));
        rest = o.add(rest, o.mul(bceOnes(lAdv), beta));
        metrics['loss.discriminator'] = losses.discriminator;
        metrics[D_CLEAN.key] = fractionPositive(lClean);
        metrics[D_ADV.key] = fractionPositive(o.neg(lAdv));
      }
      // α = 0 (PGD-AT) leaves the clean pass out of the gradient: its forward pass still gives acc.clean.
      losses.classifier = alpha > 0 ? o.add(o.mul(ceClean, alpha), rest) : rest;
      metrics['loss.classifier'] = losses.classifier;
      const partial = splitClean ? { classifier: { rest, known: Object.fromEntries(names.map((n, i) => [n, known[i]])) } } : undefined;
      return { losses, metrics, partial };
    },
    // The discriminator's accuracy on clean features (says clean) and on attacked ones (says attacked),
    // without dropout.
    probes: withD
      ? ({ model, params, clean, adversarial: adv }) => {
          const d = { ...model.discriminator, dropout: 0 };
          const says = (z: Tensor) => discriminate(d, params.discriminator, flatFeatures(z), z);
          return { [D_CLEAN.key]: o.greater(says(clean), 0), [D_ADV.key]: o.lessOrEqual(says(adv), 0) };
        }
      : undefined,
  };
}
