// The flags that set a training config, shared by `a3t train` and `a3t reproduce`.
import { ConfigError, DEFAULT_CONFIG, type TrainConfig } from '../train/config.js';
import { type Parsed, type Specs, UsageError } from './args.js';

const d = DEFAULT_CONFIG;

/** flag → config key. */
export const CONFIG_FLAGS: Readonly<Record<string, keyof TrainConfig>> = {
  'train-eps': 'trainEps',
  'train-attack': 'trainAttack',
  'attack-steps': 'attackSteps',
  'attack-step-size': 'attackStepSize',
  'trades-beta': 'tradesBeta',
  epochs: 'epochs',
  'batch-size': 'batchSize',
  optimizer: 'optimizer',
  lr: 'lr',
  'd-lr': 'dLr',
  momentum: 'momentum',
  k: 'discriminatorSteps',
  validation: 'validation',
  'train-size': 'trainSize',
  hidden: 'hidden',
  layer: 'split',
  slope: 'slope',
  'd-hidden': 'discriminatorHidden',
  'd-dropout': 'discriminatorDropout',
  threads: 'threads',
};

export const TRAIN_SPECS: Specs = {
  'train-eps': { kind: 'number', min: 0, max: 1, help: `ε of the training examples (default ${d.trainEps}, the paper's setup)` },
  'train-attack': { kind: 'string', choices: ['fgsm', 'pgd'], help: `how the training examples are made (default ${d.trainAttack}; set by --regime)` },
  'attack-steps': { kind: 'int', min: 1, max: 1000, help: `steps of the PGD training attack and of TRADES's inner maximisation (default ${d.attackSteps})` },
  'attack-step-size': { kind: 'number', min: 0, minOpen: true, max: 10, help: `their step size, a fraction of ε (default ${d.attackStepSize})` },
  'trades-beta': { kind: 'number', min: 0, max: 1e6, help: `TRADES's weight of its KL term (default ${d.tradesBeta})` },
  epochs: { kind: 'int', min: 1, max: 100000, help: `epochs (default ${d.epochs})` },
  'batch-size': { kind: 'int', min: 1, max: 65536, help: `batch size (default ${d.batchSize})` },
  optimizer: { kind: 'string', choices: ['adam', 'sgd'], help: `adam or sgd (default ${d.optimizer})` },
  lr: { kind: 'number', min: 0, minOpen: true, max: 10, help: `classifier learning rate (default ${d.lr})` },
  'd-lr': { kind: 'number', min: 0, minOpen: true, max: 10, help: `discriminator learning rate (default ${d.dLr})` },
  momentum: { kind: 'number', min: 0, max: 0.999, help: `SGD momentum (default ${d.momentum})` },
  k: { kind: 'int', min: 1, max: 100, help: `discriminator updates per classifier update (default ${d.discriminatorSteps})` },
  validation: { kind: 'int', min: 0, help: `training images held out for validation (default ${d.validation})` },
  'train-size': { kind: 'int', min: 1, help: 'train on the first N images of the training split (default: all)' },
  hidden: { kind: 'ints', min: 1, max: 65536, help: `hidden layer sizes (default ${d.hidden.join(',')})` },
  layer: { kind: 'int', min: 1, help: `hidden layer ℓ the discriminator reads (default ${d.split})` },
  slope: { kind: 'number', min: 0, max: 0.999, help: `leaky ReLU slope (default ${d.slope})` },
  'd-hidden': { kind: 'int', min: 1, max: 65536, help: `discriminator hidden units (default ${d.discriminatorHidden})` },
  'd-dropout': { kind: 'number', min: 0, max: 0.99, help: `discriminator dropout (default ${d.discriminatorDropout})` },
  threads: { kind: 'int', min: 0, max: 1024, help: 'ONNX Runtime threads per run (default: all cores)' },
};

/** The config settings given on the command line. */
export function configSettings(p: Parsed): Partial<TrainConfig> {
  const s: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(CONFIG_FLAGS)) if (flag in p.flags) s[key] = p.flags[flag];
  return s as Partial<TrainConfig>;
}

/** A config error as the usage error of the flag that set it. */
export function asUsageError(e: unknown): unknown {
  if (!(e instanceof ConfigError)) return e;
  const flag = Object.entries(CONFIG_FLAGS).find(([, key]) => key === e.setting)?.[0];
  return new UsageError(flag ? e.message.replace(new RegExp(`^${e.setting}`), `--${flag}`) : e.message);
}
