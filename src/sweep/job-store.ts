// What a job leaves in Redis besides BullMQ's own keys: its training state after every epoch, its
// results (the run's numbers, final checkpoint and ONNX model), and the blobs jobs name by hash.
import type { Redis } from 'ioredis';
import { decodeCheckpoint } from '../io/checkpoint.js';
import type { RunResult } from '../report/reproduction.js';
import type { TrainState } from '../train/loop.js';
import { decodeState, encodeState } from '../train/state-file.js';
import { KEYS } from './queue-link.js';
import type { JobOutput } from './run-job.js';

export const saveJobState = async (redis: Redis, key: string, state: TrainState): Promise<void> => {
  await redis.set(KEYS.state(key), Buffer.from(encodeState(state)));
};

/** The job's saved state, checked like a state file (a damaged one throws a CheckpointError); null when none. */
export async function loadJobState(redis: Redis, key: string): Promise<TrainState | null> {
  const bytes = await redis.getBuffer(KEYS.state(key));
  if (!bytes) return null;
  const name = `the saved state of job ${key}`;
  return decodeState(decodeCheckpoint(new Uint8Array(bytes), name), name);
}

/** Store the results, then drop the state they supersede (in one transaction). */
export async function saveJobOutput(redis: Redis, key: string, out: JobOutput): Promise<void> {
  await redis
    .multi()
    .hset(KEYS.result(key), { result: JSON.stringify(out.result), checkpoint: Buffer.from(out.checkpoint), onnx: Buffer.from(out.onnx) })
    .del(KEYS.state(key))
    .exec();
}

export async function loadJobOutput(redis: Redis, key: string): Promise<JobOutput | null> {
  const [result, checkpoint, onnx] = await redis.hmgetBuffer(KEYS.result(key), 'result', 'checkpoint', 'onnx');
  if (!result || !checkpoint || !onnx) return null;
  return { result: JSON.parse(result.toString('utf8')) as RunResult, checkpoint: new Uint8Array(checkpoint), onnx: new Uint8Array(onnx) };
}

/** Drop the results once the coordinator has written them (a few MB a run, which Redis holds in memory). */
export const dropJobOutput = async (redis: Redis, key: string): Promise<void> => {
  await redis.del(KEYS.result(key));
};

export const putBlob = async (redis: Redis, sha: string, bytes: Uint8Array): Promise<void> => {
  await redis.set(KEYS.blob(sha), Buffer.from(bytes));
};

export async function getBlob(redis: Redis, sha: string): Promise<Uint8Array | null> {
  const b = await redis.getBuffer(KEYS.blob(sha));
  return b ? new Uint8Array(b) : null;
}
