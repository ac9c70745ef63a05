// Running one sweep job: train (from scratch or from a saved state), test (FGSM on the whole test set;
// PGD-40, APGD-CE and the masking checks on its first images), and the trained model's files as bytes.
// The same code runs in `a3t reproduce`'s local workers and in `a3t worker` on a queue.
import { ATTACKS } from '../attacks/spec.js';
import type { Dataset } from '../data/dataset.js';
import { take } from '../data/selection.js';
import { keyFromSeed } from '../engine/rng.js';
import { maskingChecks } from '../eval/masking.js';
import { type Model, networkModel } from '../eval/model.js';
import { AttackBench, robustness } from '../eval/robustness.js';
import type { RunResult } from '../report/reproduction.js';
import { fgsmTest } from '../train/final-test.js';
import { type EpochMetrics, type Progress, type TrainState, train } from '../train/loop.js';
import { modelFiles } from '../train/model-files.js';
import type { SweepJob } from './job.js';

/** ε of the strong-attack columns beside the table's. */
export const STRONG_EPS = 0.3;

export interface JobEnv {
  data: Dataset;
  /** ONNX Runtime threads (0: its default). */
  threads: number;
  /** The transfer surrogate, when the job names one. */
  surrogate?: Model;
  /** A state saved by `onState` of an earlier attempt at this job: training continues from it, bit for bit. */
  from?: TrainState;
  onEpoch?(m: EpochMetrics): void;
  onProgress?(p: Progress): void;
  /** After every epoch: the resumable state. */
  onState?(s: TrainState): void;
}

export interface JobOutput {
  result: RunResult;
  /** The final checkpoint and the ONNX inference model, as their files' bytes. */
  checkpoint: Uint8Array;
  onnx: Uint8Array;
}

async function strongEvaluation(job: SweepJob, env: JobEnv, model: Model): Promise<Pick<RunResult, 'strong' | 'masking'>> {
  const { testEps, attackImages } = job.eval;
  const bench = new AttackBench(take(env.data.test, attackImages), keyFromSeed(job.seed), env.threads || undefined);
  const eps = [...new Set([testEps, STRONG_EPS])];
  const r = await robustness(model, bench, { attacks: [ATTACKS['pgd-40'], ATTACKS['apgd-ce']], epsilons: eps });
  const m = await maskingChecks(model, bench, { eps: testEps, surrogate: env.surrogate });
  await bench.release();
  return {
    strong: { images: attackImages, attacks: r.attacks.flatMap((a) => eps.map((e, i) => ({ name: a.name, eps: e, accuracy: a.accuracy[i] }))) },
    masking: { passed: m.passed, failed: m.checks.filter((c) => c.passed === false).map((c) => c.id), details: m.checks.map((c) => `${c.id}: ${c.detail}`) },
  };
}

export async function runJob(job: SweepJob, env: JobEnv): Promise<JobOutput> {
  const t0 = performance.now();
  const config = { ...job.config, threads: env.threads };
  // The saved config holds the saving worker's threads; `train` refuses a state whose config differs.
  const from = env.from && { ...env.from, config: { ...env.from.config, threads: env.threads } };
  const hooks = { onEpoch: env.onEpoch, onProgress: env.onProgress, onCheckpoint: env.onState };
  const r = await train(config, env.data, hooks, from);
  const [test] = await fgsmTest(r.model.classifier, r.params, env.data.test, [job.eval.testEps], env.threads);
  const strong = job.eval.attackImages > 0 ? await strongEvaluation(job, env, networkModel(r.model.classifier, r.params)) : {};
  const files = modelFiles({ ...r.config, threads: 0 }, r.model, r.params, { regime: job.group, epochs: r.config.epochs });
  const result: RunResult = {
    regime: job.group,
    seed: job.seed,
    test: { clean: test.clean, fgsm: test.fgsm },
    history: r.history.map((m) => ({ epoch: m.epoch, train: m.train, validation: m.validation })),
    seconds: (performance.now() - t0) / 1000,
    ...strong,
  };
  return { result, ...files };
}
