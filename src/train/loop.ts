// THE training loop: any point of the (α, β) family, compiled once, up to `stepsPerRun` steps per
// session run; after each epoch the quantities of the paper's Figure 2 on training and validation data.
import { type Dataset, type Split } from '../data/mnist.js';
import { gather, holdOut, shuffledBatches, take } from '../data/split.js';
import { type Key, fold, keyFromSeed, split } from '../engine/rng.js';
import { type Accuracies, compileEvaluator } from '../eval/evaluator.js';
import { adversarial } from '../objectives/adversarial.js';
import type { ModelConfig } from '../objectives/objective.js';
import { adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { sgd } from '../optim/sgd.js';
import { type TrainConfig, makeConfig, modelOf } from './config.js';
import { compileStep } from './step.js';

export interface EpochMetrics {
  epoch: number;
  /** Means of the per-step metrics over the epoch (classifier accuracy on clean and FGSM inputs, D's accuracies, losses). */
  train: Record<string, number>;
  /** End-of-epoch accuracies on the validation split (FGSM at the training ε). */
  validation: Accuracies;
  seconds: number;
  samplesPerSecond: number;
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  samplesPerSecond: number;
}

export interface TrainHooks {
  onProgress?(p: Progress): void;
  onEpoch?(m: EpochMetrics): void;
}

export interface TrainResult {
  config: TrainConfig;
  model: ModelConfig;
  params: { classifier: Float32Array; discriminator?: Float32Array };
  history: EpochMetrics[];
  sizes: { train: number; validation: number };
}

/** The keys of one run, each derived from the seed for one purpose. */
export function runKeys(seed: number): { split: Key; init: Key; shuffle: Key; noise: Key } {
  const [s, i, sh, n] = split(keyFromSeed(seed), 4);
  return { split: s, init: i, shuffle: sh, noise: n };
}

function optimizerFor(config: TrainConfig, lr: number): Optimizer {
  return config.optimizer === 'adam' ? adam({ lr }) : sgd({ lr, momentum: config.momentum });
}

/** The training and validation splits a config trains on. */
export function trainingSplits(config: TrainConfig, data: Dataset): { train: Split; validation: Split } {
  const keys = runKeys(config.seed);
  const parts = holdOut(data.train, config.validation, keys.split);
  if (config.trainSize > parts.train.count) throw new RangeError(`trainSize must be at most ${parts.train.count} (the training split), got ${config.trainSize}`);
  return { train: config.trainSize > 0 ? take(parts.train, config.trainSize) : parts.train, validation: parts.validation };
}

export async function train(settings: Partial<TrainConfig>, data: Dataset, hooks: TrainHooks = {}): Promise<TrainResult> {
  const config = makeConfig(settings);
  const model = modelOf(config, data.train.features, data.classes);
  const keys = runKeys(config.seed);
  const { train: trainSet, validation } = trainingSplits(config, data);
  const batch = config.batchSize;
  if (batch > trainSet.count) throw new RangeError(`batchSize must be at most the ${trainSet.count} training images, got ${batch}`);
  const objective = adversarial({ alpha: config.alpha, beta: config.beta, eps: config.trainEps });
  const withD = config.beta > 0;
  const threads = config.threads || undefined;
  const step = await compileStep({
    objective,
    model,
    optimizers: { classifier: optimizerFor(config, config.lr), ...(withD ? { discriminator: optimizerFor(config, config.dLr) } : {}) },
    batchSize: batch,
    maxSteps: config.stepsPerRun,
    updatesPerStep: withD ? { discriminator: config.discriminatorSteps } : {},
    threads,
  });
  step.init(keys.init);
  const evaluator = await compileEvaluator(model, { withDiscriminator: withD, threads });
  const features = trainSet.features;
  const xs = new Float32Array(config.stepsPerRun * batch * features);
  const ys = new BigInt64Array(config.stepsPerRun * batch);
  const params = () => ({
    classifier: step.program.state('classifier') as Float32Array,
    ...(withD ? { discriminator: step.program.state('discriminator') as Float32Array } : {}),
  });
  const history: EpochMetrics[] = [];
  let global = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const t0 = performance.now();
    const batches = shuffledBatches(trainSet.count, batch, fold(keys.shuffle, epoch));
    const sums: Record<string, number> = {};
    for (let at = 0; at < batches.length; at += config.stepsPerRun) {
      const k = Math.min(config.stepsPerRun, batches.length - at);
      for (let i = 0; i < k; i++) gather(trainSet, batches[at + i], xs, ys, i * batch);
      const stepKeys = Array.from({ length: k }, (_, i) => fold(keys.noise, global + i));
      const m = await step.run(xs.subarray(0, k * batch * features), ys.subarray(0, k * batch), stepKeys);
      for (const [name, v] of Object.entries(m)) for (let i = 0; i < k; i++) sums[name] = (sums[name] ?? 0) + v[i];
      global += k;
      const seconds = (performance.now() - t0) / 1000;
      hooks.onProgress?.({ epoch, epochs: config.epochs, step: at + k, steps: batches.length, samplesPerSecond: ((at + k) * batch) / seconds });
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const trainMetrics = Object.fromEntries(Object.entries(sums).map(([n, s]) => [n, s / batches.length]));
    const val = validation.count > 0 ? await evaluator.evaluate(params(), validation, config.trainEps) : { clean: NaN, fgsm: NaN };
    const m: EpochMetrics = { epoch, train: trainMetrics, validation: val, seconds: (performance.now() - t0) / 1000, samplesPerSecond: (batches.length * batch) / trainSeconds };
    history.push(m);
    hooks.onEpoch?.(m);
  }
  const final = params();
  const result: TrainResult = {
    config,
    model,
    params: { classifier: Float32Array.from(final.classifier), ...(final.discriminator ? { discriminator: Float32Array.from(final.discriminator) } : {}) },
    history,
    sizes: { train: trainSet.count, validation: validation.count },
  };
  await evaluator.release();
  await step.program.release();
  return result;
}
