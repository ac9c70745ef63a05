// The training configuration: one typed object, its defaults, and its validation (done once, at the
// API or CLI edge). Every check names the setting and the accepted range.
import { type ClassifierConfig, PAPER_CLASSIFIER, checkClassifier, featureSize } from '../model/classifier.js';
import type { ModelConfig } from '../objectives/objective.js';

export interface TrainConfig {
  /** Hidden sizes, split layer ℓ and leaky slope of the classifier (inputs and classes come from the data). */
  hidden: number[];
  split: number;
  slope: number;
  discriminatorHidden: number;
  discriminatorDropout: number;
  /** Weight of the clean cross-entropy (1 − α weighs the adversarial one). */
  alpha: number;
  /** Weight of the encoder's adversarial loss −log D(E(x_adv)). */
  beta: number;
  /** ε of the training examples. */
  trainEps: number;
  /** The training objective: the paper's (α, β) family, or TRADES. */
  objective: 'adversarial' | 'trades';
  /** How the family's training examples are made: FGSM (the paper) or PGD (PGD-AT, A3T with PGD). */
  trainAttack: 'fgsm' | 'pgd';
  /** Steps and step size (a fraction of ε) of the PGD training attack and of TRADES's inner maximisation. */
  attackSteps: number;
  attackStepSize: number;
  /** TRADES's weight of its KL term. */
  tradesBeta: number;
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
  /** Discriminator learning rate. */
  dLr: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  /** Discriminator updates per classifier update (k). */
  discriminatorSteps: number;
  seed: number;
  /** Images held out of the training split for validation. */
  validation: number;
  /** Train on the first N images of the training split (0: all). */
  trainSize: number;
  threads: number;
  /** Training steps per ONNX Runtime session run. */
  stepsPerRun: number;
}

export const DEFAULT_CONFIG: TrainConfig = {
  hidden: [...PAPER_CLASSIFIER.hidden],
  split: PAPER_CLASSIFIER.split,
  slope: PAPER_CLASSIFIER.slope,
  discriminatorHidden: 128,
  discriminatorDropout: 0.5,
  alpha: 0.5,
  beta: 1,
  trainEps: 0.25,
  objective: 'adversarial',
  trainAttack: 'fgsm',
  attackSteps: 10,
  attackStepSize: 0.25,
  tradesBeta: 1,
  epochs: 20,
  batchSize: 128,
  optimizer: 'adam',
  lr: 1e-3,
  dLr: 1e-3,
  momentum: 0.9,
  discriminatorSteps: 1,
  seed: 0,
  validation: 5000,
  trainSize: 0,
  threads: 0,
  stepsPerRun: 16,
};

/** Thrown for a setting out of range; `setting` is the config key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly setting: keyof TrainConfig,
    message: string,
  ) {
    super(message);
  }
}

type Check = (v: unknown) => boolean;
const int = (lo: number, hi = Number.MAX_SAFE_INTEGER): Check => (v) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const real = (lo: number, hi: number, loOpen = false): Check => (v) => typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi;

const RULES: { [K in keyof TrainConfig]: [Check, string] } = {
  hidden: [(v) => Array.isArray(v) && v.length > 0 && v.every(int(1, 1 << 16)), 'a list of positive integers'],
  split: [int(1), 'an integer from 1 to the number of hidden layers'],
  slope: [real(0, 1), 'a number in [0, 1)'],
  discriminatorHidden: [int(1, 1 << 16), 'a positive integer'],
  discriminatorDropout: [real(0, 0.99), 'a number in [0, 0.99]'],
  alpha: [real(0, 1), 'a number in [0, 1]'],
  beta: [real(0, 1e6), 'a number in [0, 1000000]'],
  trainEps: [real(0, 1), 'a number in [0, 1]'],
  objective: [(v) => v === 'adversarial' || v === 'trades', "'adversarial' or 'trades'"],
  trainAttack: [(v) => v === 'fgsm' || v === 'pgd', "'fgsm' or 'pgd'"],
  attackSteps: [int(1, 1000), 'an integer from 1 to 1000'],
  attackStepSize: [real(0, 10, true), 'a number in (0, 10] (a fraction of ε)'],
  tradesBeta: [real(0, 1e6), 'a number in [0, 1000000]'],
  epochs: [int(1, 100000), 'a positive integer'],
  batchSize: [int(1, 1 << 16), 'a positive integer'],
  optimizer: [(v) => v === 'adam' || v === 'sgd', "'adam' or 'sgd'"],
  lr: [real(0, 10, true), 'a number in (0, 10]'],
  dLr: [real(0, 10, true), 'a number in (0, 10]'],
  momentum: [real(0, 0.999), 'a number in [0, 0.999]'],
  discriminatorSteps: [int(1, 100), 'an integer from 1 to 100'],
  seed: [int(0), 'a non-negative integer'],
  validation: [int(0), 'a non-negative integer smaller than the training set'],
  trainSize: [int(0), 'a non-negative integer (0: the whole training split)'],
  threads: [int(0, 1024), 'a non-negative integer (0: all cores)'],
  stepsPerRun: [int(1, 1024), 'an integer from 1 to 1024'],
};

/** A complete, checked config from partial settings over the defaults. */
export function makeConfig(settings: Partial<TrainConfig> = {}): TrainConfig {
  const config = { ...DEFAULT_CONFIG, ...settings };
  for (const key of Object.keys(settings)) if (!(key in DEFAULT_CONFIG)) throw new ConfigError(key as keyof TrainConfig, `unknown setting '${key}'`);
  for (const [key, [ok, range]] of Object.entries(RULES) as Array<[keyof TrainConfig, [Check, string]]>) {
    if (!ok(config[key])) throw new ConfigError(key, `${key} must be ${range}, got ${JSON.stringify(config[key])}`);
  }
  if (config.objective === 'trades' && config.beta !== 0) throw new ConfigError('beta', `beta (the discriminator's weight) must be 0 with the TRADES objective, got ${config.beta}`);
  if (config.split > config.hidden.length) throw new ConfigError('split', `split must be a hidden layer, from 1 to ${config.hidden.length}, got ${config.split}`);
  return config;
}

/** The model a config describes, for data with `inputs` features and `classes` classes. */
export function modelOf(config: TrainConfig, inputs: number, classes: number): ModelConfig {
  const classifier: ClassifierConfig = { inputs, hidden: config.hidden, classes, slope: config.slope, split: config.split };
  checkClassifier(classifier);
  return { classifier, discriminator: { features: featureSize(classifier), hidden: config.discriminatorHidden, dropout: config.discriminatorDropout } };
}

/** Checks of the settings that depend on the data: `images` in the training set. */
export function checkSizes(config: TrainConfig, images: number): void {
  if (config.validation >= images) throw new ConfigError('validation', `validation must be smaller than the ${images} training images, got ${config.validation}`);
  const rest = images - config.validation;
  if (config.trainSize > rest) throw new ConfigError('trainSize', `trainSize must be at most ${rest} (the training images not held out), got ${config.trainSize}`);
  const used = config.trainSize || rest;
  if (config.batchSize > used) throw new ConfigError('batchSize', `batchSize must be at most the ${used} training images, got ${config.batchSize}`);
}
