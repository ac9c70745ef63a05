// A sweep job: one training run and the evaluation of its model, as settings only (never code, never a
// path to read), checked by the worker with the command line's own rules before anything runs.
import { createHash } from 'node:crypto';
import { A3tError } from '../errors.js';
import { crc32 } from '../crc32.js';
import type { Dataset, Split } from '../data/dataset.js';
import { type TrainConfig, checkSizes, dataShape, makeConfig, modelOf } from '../train/config.js';

export interface EvalSpec {
  /** FGSM ε on the whole test set. */
  testEps: number;
  /** Test images for PGD-40, APGD-CE and the masking checks (0: none). */
  attackImages: number;
  /** SHA-256 (hex) of the transfer surrogate's checkpoint, fetched by content, never by path. */
  surrogate?: string;
}

export interface SweepJob {
  /** The a3t version that made the job: a worker of another version refuses it. */
  version: string;
  /** The run's group (a regime, a grid point) and its seed: together its name in reports. */
  group: string;
  seed: number;
  /** The complete training config, threads 0: each worker picks its own. */
  config: TrainConfig;
  eval: EvalSpec;
  /** The data it was made for: image counts and a CRC-32 of every image and label (`dataPrintOf`). */
  dataPrint: string;
}

const JOB_KEYS = ['version', 'group', 'seed', 'config', 'eval', 'dataPrint'];
const EVAL_KEYS = ['testEps', 'attackImages', 'surrogate'];
/** Group names become directory names: nothing that could climb out of the report. */
const GROUP = /^[A-Za-z0-9][A-Za-z0-9=.,_+-]{0,119}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const DATA_PRINT = /^\d{1,9}\+\d{1,9}:[0-9a-f]{8}$/;

/** '55000+10000:1a2b3c4d': training and test images, and a CRC-32 of their pixels and labels. */
export function dataPrintOf(data: Dataset): string {
  // A split may be a row index into another's bytes: checksum its rows in order, without copying them.
  const pixelsCrc = (s: Split, c: number) => {
    if (!s.rows) return crc32(s.pixels, c);
    for (const r of s.rows) c = crc32(s.pixels.subarray(r * s.features, (r + 1) * s.features), c);
    return c;
  };
  let c = 0;
  for (const s of [data.train, data.test]) c = crc32(s.labels, pixelsCrc(s, c));
  return `${data.train.count}+${data.test.count}:${(c >>> 0).toString(16).padStart(8, '0')}`;
}

/** Thrown for a job a worker will not run; the message says what is wrong and what was expected. */
export class JobError extends A3tError {
  constructor(message: string) {
    super('input', message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The job's directory name in a report: `a3t-seed0`. */
export const runName = (job: Pick<SweepJob, 'group' | 'seed'>): string => `${job.group}-seed${job.seed}`;

/** JSON with object keys sorted, so equal settings give equal text whatever order they were written in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** The job's key: a hash of its settings (config and evaluation), so a sweep started twice finds its jobs again. */
export const jobKey = (job: SweepJob): string => createHash('sha256').update(canonical({ version: job.version, config: job.config, eval: job.eval, data: job.dataPrint })).digest('hex').slice(0, 32);

/** A sweep's key: a hash of its jobs' keys in order (`extra` for what the jobs do not hold, e.g. the surrogate's settings). */
export const sweepKey = (keys: readonly string[], extra: unknown = null): string => createHash('sha256').update(canonical({ keys, extra })).digest('hex').slice(0, 16);

/** A job made on this side: the config completed and checked, threads left to the worker. */
export function makeJob(version: string, group: string, config: Partial<TrainConfig>, evalSpec: EvalSpec, dataPrint: string): SweepJob {
  const c = makeConfig({ ...config, threads: 0 });
  return parseJob({ version, group, seed: c.seed, config: c, eval: evalSpec, dataPrint }, version);
}

/**
 * A job payload from the queue, checked field by field: the config with the same checks as the command
 * line's flags (`makeConfig`), the rest against its ranges. Anything else is refused with a JobError.
 */
export function parseJob(raw: unknown, version: string): SweepJob {
  const fail = (why: string): never => {
    throw new JobError(`job refused: ${why}`);
  };
  if (!isObject(raw)) return fail(`expected an object { ${JOB_KEYS.join(', ')} }, got ${JSON.stringify(raw)?.slice(0, 80)}`);
  const extra = Object.keys(raw).find((k) => !JOB_KEYS.includes(k));
  if (extra !== undefined) fail(`unknown field '${extra}' (a job holds ${JOB_KEYS.join(', ')})`);
  if (raw.version !== version) fail(`made by a3t ${JSON.stringify(raw.version)}, this worker is a3t ${version}`);
  if (typeof raw.group !== 'string' || !GROUP.test(raw.group)) fail(`group must be 1 to 120 letters, digits or = . , _ + - (not starting with a symbol), got ${JSON.stringify(raw.group)}`);
  if (!isObject(raw.config)) return fail('config must be an object of training settings');
  let config: TrainConfig;
  try {
    config = makeConfig(raw.config as Partial<TrainConfig>);
  } catch (e) {
    if (!(e instanceof A3tError)) throw e;
    return fail(`config: ${e.message}`);
  }
  if (raw.seed !== config.seed) fail(`seed ${JSON.stringify(raw.seed)} differs from the config's seed ${config.seed}`);
  if (config.threads !== 0) fail(`config.threads must be 0 (each worker sets its own), got ${config.threads}`);
  const ev = raw.eval;
  if (!isObject(ev)) return fail(`eval must be an object { ${EVAL_KEYS.join(', ')} }`);
  const extraEval = Object.keys(ev).find((k) => !EVAL_KEYS.includes(k));
  if (extraEval !== undefined) fail(`unknown field 'eval.${extraEval}' (eval holds ${EVAL_KEYS.join(', ')})`);
  const { testEps, attackImages, surrogate } = ev;
  if (typeof testEps !== 'number' || !(testEps >= 0 && testEps <= 1)) fail(`eval.testEps must be a number in [0, 1], got ${JSON.stringify(testEps)}`);
  if (!Number.isInteger(attackImages) || (attackImages as number) < 0 || (attackImages as number) > 10000) fail(`eval.attackImages must be an integer from 0 to 10000, got ${JSON.stringify(attackImages)}`);
  if (surrogate !== undefined && (typeof surrogate !== 'string' || !SHA256.test(surrogate))) fail(`eval.surrogate must be a SHA-256 in hex, got ${JSON.stringify(surrogate)}`);
  if (typeof raw.dataPrint !== 'string' || !DATA_PRINT.test(raw.dataPrint)) fail(`dataPrint must be 'TRAIN+TEST:CRC32' (image counts and a hex checksum), got ${JSON.stringify(raw.dataPrint)}`);
  const evalSpec: EvalSpec = { testEps: testEps as number, attackImages: attackImages as number, ...(surrogate === undefined ? {} : { surrogate: surrogate as string }) };
  return { version, group: raw.group as string, seed: config.seed, config, eval: evalSpec, dataPrint: raw.dataPrint as string };
}

/** The checks that need the data (`print` is its `dataPrintOf`): the same data, sizes, the model for its shape. */
export function checkJobData(job: SweepJob, data: Dataset, print: string): void {
  if (job.dataPrint !== print)
    throw new JobError(`job refused: made for data ${job.dataPrint} (training+test images:CRC-32), this worker has ${print}; give the worker the coordinator's data with --data DIR`);
  try {
    checkSizes(job.config, data.train.count);
    modelOf(job.config, dataShape(data));
  } catch (e) {
    if (!(e instanceof A3tError)) throw e;
    throw new JobError(`job refused: config: ${e.message}`);
  }
  if (job.eval.attackImages > data.test.count) throw new JobError(`job refused: eval.attackImages must be at most the ${data.test.count} test images, got ${job.eval.attackImages}`);
}
