// The objective a training config names: the (α, β) family with FGSM or PGD examples, or TRADES, each
// with the config's optimizers.
import { ATTACKS, type StepsAttack } from '../attacks/spec.js';
import { adversarial } from '../objectives/adversarial.js';
import type { Objective } from '../objectives/objective.js';
import { trades } from '../objectives/trades.js';
import { adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { sgd } from '../optim/sgd.js';
import type { TrainConfig } from './config.js';

/** The config's PGD training attack: L∞, random start, its steps and step size. */
export const trainingPgd = (c: TrainConfig): StepsAttack => ({ ...ATTACKS['pgd-10'], name: `PGD-${c.attackSteps}`, steps: c.attackSteps, stepSize: c.attackStepSize });

function optimizerFor(config: TrainConfig, lr: number): Optimizer {
  return config.optimizer === 'adam' ? adam({ lr }) : sgd({ lr, momentum: config.momentum });
}

/** The config's objective; `stepsPerEpoch` turns its ε warm-up from epochs into updates. */
export function objectiveOf(c: TrainConfig, stepsPerEpoch = 1): Objective {
  const optimizer = optimizerFor(c, c.lr);
  const warmup = c.epsWarmup * stepsPerEpoch;
  if (c.objective === 'trades') return trades({ beta: c.tradesBeta, eps: c.trainEps, warmup, attack: { steps: c.attackSteps, stepSize: c.attackStepSize }, optimizer });
  return adversarial({
    alpha: c.alpha,
    beta: c.beta,
    eps: c.trainEps,
    warmup,
    attack: c.trainAttack === 'pgd' ? trainingPgd(c) : undefined,
    optimizer,
    discriminator: { optimizer: optimizerFor(c, c.dLr), updates: c.discriminatorSteps },
  });
}
