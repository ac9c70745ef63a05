// Training states on disk: state.a3t in the run directory, the one before it kept as state.prev.a3t,
// so a damaged latest file falls back to the previous one. Loaded with every field and tensor checked.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { type Checkpoint, CheckpointError, encodeCheckpoint } from '../io/checkpoint.js';
import { readCheckpoint } from '../io/checkpoint-file.js';
import { RUN_FILES } from '../io/rundir.js';
import { A3tError } from '../errors.js';
import { type TrainConfig, makeConfig, modelOf } from './config.js';
import type { DataPrint, EpochMetrics, TrainState } from './loop.js';
import { groupSizes } from './saved.js';

const KIND = 'a3t-train-state';

/** Write `state` as the run's latest state; the latest one before it becomes the previous. */
export function saveState(dir: string, state: TrainState): void {
  const bytes = encodeState(state);
  const latest = join(dir, RUN_FILES.state);
  // A crash between the rename and the write leaves only the previous state, which loadState falls back to.
  if (existsSync(latest)) renameSync(latest, join(dir, RUN_FILES.statePrev));
  writeFileAtomic(latest, bytes);
}

/** A training state as the bytes of a state file (wherever they are kept: a run directory, a queue's storage). */
export function encodeState(state: TrainState): Uint8Array {
  const { tensors, ...meta } = state;
  return encodeCheckpoint({ meta: { kind: KIND, ...meta }, tensors });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown, lo = 0): v is number => Number.isSafeInteger(v) && (v as number) >= lo;
const isDataShape = (v: unknown): boolean => isObject(v) && Array.isArray(v.image) && v.image.length === 3 && v.image.every((n) => count(n, 1)) && count(v.classes, 1);

/** A training state file, checked field by field and tensor by tensor against the model it declares. */
export function readState(file: string): TrainState {
  return decodeState(readCheckpoint(file), file);
}

/** A training state from a decoded checkpoint, checked as `readState` checks a file (`file` names it in errors). */
export function decodeState(ck: Checkpoint, file: string): TrainState {
  const fail = (why: string): never => {
    throw new CheckpointError(`${file}: ${why}`);
  };
  const m = ck.meta;
  if (m.kind !== KIND) fail(`not a training state (kind ${JSON.stringify(m.kind)}, expected '${KIND}')`);
  if (!isObject(m.config)) return fail('has no config');
  const d = m.data;
  if (!isObject(d) || !count(d.train, 1) || !count(d.validation) || !count(d.crc) || !isDataShape(d.shape)) fail('has no data sizes, shape and checksum');
  let config: TrainConfig;
  let model;
  try {
    config = makeConfig(m.config as Partial<TrainConfig>);
    model = modelOf(config, (d as { shape: DataPrint['shape'] }).shape);
  } catch (e) {
    if (!(e instanceof A3tError)) throw e;
    return fail(`declares an invalid config: ${e.message}`);
  }
  if (JSON.stringify(model) !== JSON.stringify(m.model)) fail(`declares a model that does not match its config (expected ${JSON.stringify(model).slice(0, 200)}...)`);
  if (!count(m.epoch, 1) || (m.epoch as number) > config.epochs) fail(`epoch ${JSON.stringify(m.epoch)} is not in 1..${config.epochs}`);
  if (!count(m.steps)) fail(`steps ${JSON.stringify(m.steps)} is not a non-negative integer`);
  const history = m.history;
  if (!Array.isArray(history) || history.length !== m.epoch || !history.every((h, i) => isObject(h) && h.epoch === i + 1))
    fail(`history does not hold one entry per epoch 1..${m.epoch}`);
  const sizes = groupSizes(config, model);
  if (!ck.tensors.classifier) fail('holds no classifier parameters');
  for (const [name, t] of Object.entries(ck.tensors)) {
    // Parameter groups and their optimizer slots (`classifier.m`): each as long as its group.
    const size = sizes[name.split('.')[0]];
    if (size === undefined) fail(`holds an unknown tensor '${name}'`);
    if (t.length !== size) fail(`tensor '${name}' holds ${t.length} values, the declared model needs ${size}`);
    const bad = t.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`tensor '${name}' holds ${t[bad]} at element ${bad}`);
  }
  const data = d as unknown as TrainState['data'];
  return { config, model, epoch: m.epoch as number, steps: m.steps as number, history: history as EpochMetrics[], data, tensors: ck.tensors };
}

export interface LoadedState {
  state: TrainState;
  file: string;
  /** Why the latest state was passed over for the previous one, when it was. */
  fallback?: string;
}

/** The run's latest usable state: state.a3t, or state.prev.a3t when the latest is missing or damaged. */
export function loadState(dir: string): LoadedState {
  const [latest, prev] = [RUN_FILES.state, RUN_FILES.statePrev].map((f) => join(dir, f));
  if (!existsSync(latest) && !existsSync(prev))
    throw new CheckpointError(`${dir}: no training state to resume (${RUN_FILES.state} not found): the run stopped before its first checkpoint, or was not written by a3t train`);
  let why: string;
  try {
    return { state: readState(latest), file: latest };
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    why = e.message;
  }
  if (!existsSync(prev)) throw new CheckpointError(`${why}; there is no previous state (${RUN_FILES.statePrev}) to fall back to`);
  try {
    return { state: readState(prev), file: prev, fallback: why };
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    throw new CheckpointError(`cannot resume ${dir}: ${why}; ${e.message}`);
  }
}
