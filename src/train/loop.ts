// THE training loop: any objective, compiled once, up to `stepsPerRun` steps per session run; after
// each epoch the quantities of the paper's Figure 2 on training and validation data. It checkpoints
// through a hook, resumes from a state bit for bit, and stops on a NaN or infinity.
import { crc32 } from '../crc32.js';
import type { Dataset, Split } from '../data/dataset.js';
import { floatRows, gather, holdOut, shuffledBatches, take } from '../data/selection.js';
import { type Key, fold, keyFromSeed, split } from '../engine/rng.js';
import { inputError } from '../errors.js';
import { type Accuracies, compileValidation } from './validation.js';
import type { ModelConfig, Parameters } from '../model/config.js';
import type { DataShape } from '../model/network.js';
import { objectiveOf } from './objective-of.js';
import { type TrainConfig, checkSizes, dataShape, makeConfig, modelOf } from './config.js';
import { DivergenceError, firstBadMetric, firstBadTensor } from './guard.js';
import { type TrainStep, compileStep } from './step.js';

export interface EpochMetrics {
  epoch: number;
  /** Means of the per-step metrics over the epoch (classifier accuracy on clean and attacked inputs, D's accuracies, losses). */
  train: Record<string, number>;
  /** End-of-epoch accuracies on the validation split (FGSM at the training ε) and the objective's probes. */
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

/**
 * Everything needed to continue a run bit for bit at an epoch boundary. Every random key derives from
 * config.seed and the position (epochs and steps done), so the position is the RNG state.
 */
export interface TrainState {
  config: TrainConfig;
  model: ModelConfig;
  /** Epochs done: the run continues with epoch `epoch + 1` from the start of its data order. */
  epoch: number;
  /** Steps (optimizer updates) done. */
  steps: number;
  history: EpochMetrics[];
  /** Sizes and CRC-32 of the training and validation splits, to refuse resuming on other data. */
  data: DataPrint;
  /** The step program's state by name: parameter groups and optimizer slots (`classifier.m`, ...). */
  tensors: Record<string, Float32Array>;
}

export interface DataPrint {
  train: number;
  validation: number;
  crc: number;
  /** The images' shape and the class count the model was built for. */
  shape: DataShape;
}

export interface TrainHooks {
  /** After every session run; training waits for a returned promise (a page pauses training this way). */
  onProgress?(p: Progress): void | Promise<void>;
  onEpoch?(m: EpochMetrics): void;
  /** Called with the state after every `checkpointEvery`-th epoch (default 1) and after the last. */
  onCheckpoint?(s: TrainState): void;
  checkpointEvery?: number;
}

export interface TrainResult {
  config: TrainConfig;
  model: ModelConfig;
  /** Every group's final values: the classifier's, its running statistics' and the objective's other groups'. */
  params: Parameters;
  history: EpochMetrics[];
  sizes: { train: number; validation: number };
}

/** The keys of one run, each derived from the seed for one purpose. */
export function runKeys(seed: number): { holdOut: Key; init: Key; shuffle: Key; noise: Key } {
  const [h, i, sh, n] = split(keyFromSeed(seed), 4);
  return { holdOut: h, init: i, shuffle: sh, noise: n };
}

/** The training and validation splits a config trains on. */
export function trainingSplits(config: TrainConfig, data: Dataset): { train: Split; validation: Split } {
  const keys = runKeys(config.seed);
  checkSizes(config, data.train.count);
  const parts = holdOut(data.train, config.validation, keys.holdOut);
  return { train: config.trainSize > 0 ? take(parts.train, config.trainSize) : parts.train, validation: parts.validation };
}

function dataPrint(train: Split, validation: Split, shape: DataShape): DataPrint {
  // Over the float32 images, as when splits held floats, so older runs still resume.
  const crcOf = (s: Split, c: number) => {
    const rows = 1024;
    const buf = new Float32Array(rows * s.features);
    for (let at = 0; at < s.count; at += rows) {
      const x = floatRows(s, at, Math.min(at + rows, s.count), buf);
      c = crc32(new Uint8Array(x.buffer, 0, Math.min(rows, s.count - at) * s.features * 4), c);
    }
    return crc32(s.labels, c);
  };
  const crc = crcOf(validation, crcOf(train, 0));
  return { train: train.count, validation: validation.count, crc, shape };
}

/** Put `from` into a freshly compiled step, after checking that it belongs to this run. */
function restore(step: TrainStep, from: TrainState, config: TrainConfig, data: DataPrint): void {
  const differs = (Object.keys(config) as Array<keyof TrainConfig>).find((k) => JSON.stringify(config[k]) !== JSON.stringify(from.config[k]));
  if (differs) throw inputError(`resume: the saved state has ${differs} ${JSON.stringify(from.config[differs])}, this run ${JSON.stringify(config[differs])}`);
  const d = from.data;
  if (d.train !== data.train || d.validation !== data.validation || d.crc !== data.crc)
    throw inputError(`resume: the data differs from the run's (${data.train}+${data.validation} images, CRC ${data.crc}; the run had ${d.train}+${d.validation}, CRC ${d.crc})`);
  const want = [...step.program.stateNames].sort().join(', ');
  if (Object.keys(from.tensors).sort().join(', ') !== want) throw inputError(`resume: the saved state holds ${Object.keys(from.tensors).join(', ')}; this run needs ${want}`);
  for (const n of step.program.stateNames) {
    const size = step.program.state(n).length;
    if (from.tensors[n].length !== size) throw inputError(`resume: saved tensor '${n}' holds ${from.tensors[n].length} values, this run needs ${size}`);
    step.program.setState(n, from.tensors[n]);
  }
  step.setCount(from.steps);
}

/**
 * Train from scratch, or continue `from` (a state saved by `hooks.onCheckpoint` of a run with the same
 * settings and data): the result is then bit-identical to an uninterrupted run.
 */
export async function train(settings: Partial<TrainConfig>, data: Dataset, hooks: TrainHooks = {}, from?: TrainState): Promise<TrainResult> {
  const config = makeConfig(settings);
  const shape = dataShape(data);
  const model = modelOf(config, shape);
  const keys = runKeys(config.seed);
  const { train: trainSet, validation } = trainingSplits(config, data);
  const batch = config.batchSize;
  const every = hooks.checkpointEvery ?? 1;
  if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`checkpointEvery must be a positive integer, got ${every}`);
  const objective = objectiveOf(config, Math.floor(trainSet.count / batch));
  const threads = config.threads || undefined;
  const step = await compileStep({ objective, model, batchSize: batch, maxSteps: config.stepsPerRun, threads });
  step.init(keys.init);
  const print = from || hooks.onCheckpoint ? dataPrint(trainSet, validation, shape) : undefined;
  if (from) restore(step, from, config, print!);
  const validator = await compileValidation(objective, model, { threads });
  try {
    const features = trainSet.features;
    const xs = new Float32Array(config.stepsPerRun * batch * features);
    const ys = new BigInt64Array(config.stepsPerRun * batch);
    const params = () => Object.fromEntries(Object.keys(step.groups).map((n) => [n, step.program.state(n) as Float32Array])) as Parameters;
    const history: EpochMetrics[] = from ? [...from.history] : [];
    let global = from?.steps ?? 0;
    const snapshot = (epoch: number): TrainState => ({
      config,
      model,
      epoch,
      steps: global,
      history: [...history],
      data: print!,
      tensors: Object.fromEntries(step.program.stateNames.map((n) => [n, Float32Array.from(step.program.state(n) as Float32Array)])),
    });
    for (let epoch = (from?.epoch ?? 0) + 1; epoch <= config.epochs; epoch++) {
      const t0 = performance.now();
      const batches = shuffledBatches(trainSet.count, batch, fold(keys.shuffle, epoch));
      const sums: Record<string, number> = {};
      for (let at = 0; at < batches.length; at += config.stepsPerRun) {
        const k = Math.min(config.stepsPerRun, batches.length - at);
        for (let i = 0; i < k; i++) gather(trainSet, batches[at + i], xs, ys, i * batch);
        const stepKeys = Array.from({ length: k }, (_, i) => fold(keys.noise, global + i));
        const m = await step.run(xs.subarray(0, k * batch * features), ys.subarray(0, k * batch), stepKeys);
        const where = (i: number) => `training diverged in epoch ${epoch} at step ${at + i + 1} of ${batches.length} (step ${global + i + 1} of the run)`;
        const badMetric = firstBadMetric(m, k);
        if (badMetric) throw new DivergenceError(`${where(badMetric.at)}: ${badMetric.name} is ${badMetric.value}`);
        // Parameters only: a bad optimizer slot reaches them at once, and scanning the slots too costs ~1% of a step.
        const badParam = firstBadTensor(Object.keys(step.groups).map((n) => [n, step.program.state(n) as Float32Array]));
        if (badParam) throw new DivergenceError(`${where(k - 1)}: parameter tensor '${badParam.name}' holds ${badParam.value} at element ${badParam.at}`);
        for (const [name, v] of Object.entries(m)) for (let i = 0; i < k; i++) sums[name] = (sums[name] ?? 0) + v[i];
        global += k;
        const seconds = (performance.now() - t0) / 1000;
        await hooks.onProgress?.({ epoch, epochs: config.epochs, step: at + k, steps: batches.length, samplesPerSecond: ((at + k) * batch) / seconds });
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const trainMetrics = Object.fromEntries(Object.entries(sums).map(([n, s]) => [n, s / batches.length]));
      const val: Accuracies = validation.count > 0 ? await validator.evaluate(params(), validation, config.trainEps) : { clean: NaN, fgsm: NaN };
      const m: EpochMetrics = { epoch, train: trainMetrics, validation: val, seconds: (performance.now() - t0) / 1000, samplesPerSecond: (batches.length * batch) / trainSeconds };
      history.push(m);
      hooks.onEpoch?.(m);
      if (hooks.onCheckpoint && (epoch % every === 0 || epoch === config.epochs)) hooks.onCheckpoint(snapshot(epoch));
    }
    const final = params();
    return {
      config,
      model,
      params: Object.fromEntries(Object.entries(final).map(([n, v]) => [n, Float32Array.from(v)])) as Parameters,
      history,
      sizes: { train: trainSet.count, validation: validation.count },
    };
  } finally {
    await validator.release();
    await step.program.release();
  }
}
