// The paper's family: α·CE(x) + (1−α)·CE(x_adv) − β·log D(E(x_adv)) for the classifier, BCE for D,
// adversarial examples from the current weights (FGSM, or any attack: PGD-AT is α = 0 with PGD).
// plain, AT, A2T and A3T are points (α, β) of it.
import { fgsmFromGradient } from '../attacks/fgsm.js';
import { type AttackSpec, attackPoint } from '../attacks/spec.js';
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { classifierSpecs, encode, residual } from '../model/classifier.js';
import { discriminate, discriminatorSpecs } from '../model/discriminator.js';
import type { Objective } from './objective.js';
import { accuracy, bceOnes, bceZeros, crossEntropy, fractionPositive } from './terms.js';

export interface AdversarialOptions {
  /** Weight of the clean cross-entropy; 1 − α weighs the adversarial one. */
  alpha: number;
  /** Weight of the encoder's adversarial loss −log D(E(x_adv)); 0 drops the discriminator. */
  beta: number;
  /** ε of the training examples. */
  eps: number;
  /** How the training examples are made (default: FGSM, whose backward pass the clean term shares). */
  attack?: AttackSpec;
}

/** FGSM as the paper uses it: one step of ε from the clean point. */
const isPlainFgsm = (a: AttackSpec) => a.routine === 'steps' && a.steps === 1 && a.stepSize === 1 && !a.randomStart && a.target === 'none';

export function adversarial({ alpha, beta, eps, attack }: AdversarialOptions, name = `adversarial(α=${alpha}, β=${beta})`): Objective {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  if (!(beta >= 0 && Number.isFinite(beta))) throw new RangeError(`beta must be ≥ 0, got ${beta}`);
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`eps must be in [0, 1], got ${eps}`);
  if (attack && (attack.target !== 'none' || attack.restarts !== 1)) throw new RangeError(`training examples come from an untargeted attack without restarts, got ${attack.name}`);
  const shared = !attack || isPlainFgsm(attack);
  const withD = beta > 0;
  const needAdv = alpha < 1 || withD;
  return {
    name,
    groups: (m) => ({ classifier: classifierSpecs(m.classifier), ...(withD ? { discriminator: discriminatorSpecs(m.discriminator) } : {}) }),
    build({ model, x, y, onehot, params, noise }) {
      const c = model.classifier;
      const p = params.classifier;
      const z = encode(c, p, x);
      const out = residual(c, p, z);
      const ceClean = crossEntropy(out, onehot);
      const metrics: Record<string, Tensor> = { 'acc.clean': accuracy(out, y) };
      if (!needAdv) return { losses: { classifier: ceClean }, metrics: { ...metrics, 'loss.classifier': ceClean } };
      // One backward pass of α·CE(x) gives both FGSM's input gradient (its sign ignores the positive
      // factor α) and the clean term's parameter gradient, so that term is not differentiated twice.
      const names = Object.keys(p);
      const splitClean = shared && alpha > 0;
      const [gx, ...known] = shared ? grad(o.mul(ceClean, alpha > 0 ? alpha : 1), splitClean ? [x, ...names.map((n) => p[n])] : [x]) : [];
      const xAdv = shared ? fgsmFromGradient(x, gx, eps) : attackPoint(attack!, { x, eps, logits: (v) => residual(c, p, encode(c, p, v)), start: noise('attack.start', x.shape as number[]) }, onehot);
      const zAdv = encode(c, p, xAdv);
      const outAdv = residual(c, p, zAdv);
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
        const lClean = discriminate(d, dp, z, noise('dropout.clean', [rows, d.hidden]));
        const lAdv = discriminate(d, dp, zAdv, noise('dropout.adv', [rows, d.hidden]));
        losses.discriminator = o.add(bceOnes(lClean), bceZeros(lAdv));
        rest = o.add(rest, o.mul(bceOnes(lAdv), beta));
        metrics['loss.discriminator'] = losses.discriminator;
        metrics['dacc.clean'] = fractionPositive(lClean);
        metrics['dacc.adv'] = fractionPositive(o.neg(lAdv));
      }
      losses.classifier = o.add(o.mul(ceClean, alpha), rest);
      metrics['loss.classifier'] = losses.classifier;
      const split = splitClean ? { classifier: { rest, known: Object.fromEntries(names.map((n, i) => [n, known[i]])) } } : undefined;
      return { losses, metrics, split };
    },
  };
}
