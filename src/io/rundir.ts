// Run directories: what `a3t train` leaves behind (config.json, metrics.jsonl, state.a3t and
// state.prev.a3t while it runs, checkpoint.a3t, model.onnx, summary.json, summary.md), never written
// over an existing run without `force`.
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { A3tError } from '../errors.js';

export class RunDirError extends A3tError {
  constructor(message: string) {
    super('input', message);
  }
}

export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  /** The latest training state (resumable), the one before it, and a damaged latest one moved aside. */
  state: 'state.a3t',
  statePrev: 'state.prev.a3t',
  stateDamaged: 'state.damaged.a3t',
  checkpoint: 'checkpoint.a3t',
  model: 'model.onnx',
  summary: 'summary.json',
  summaryText: 'summary.md',
} as const;

/**
 * Create `dir` for a new run; an existing non-empty directory is refused unless `force`, which deletes
 * the files of the run there (and only those: a stale state must not be resumed into the new run).
 */
export function prepareRunDir(dir: string, force: boolean): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new RunDirError(`${dir} exists and is not a directory`);
    if (readdirSync(dir).length > 0 && !force) {
      const resume = existsSync(join(dir, RUN_FILES.state)) ? `resume it with --resume ${dir}, ` : '';
      throw new RunDirError(`${dir} already holds a run; ${resume}choose another --out or pass --force to overwrite it`);
    }
    for (const f of Object.values(RUN_FILES)) rmSync(join(dir, f), { force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, RUN_FILES.metrics), '');
}

/** An existing run directory to continue. */
export function checkRunDir(dir: string): void {
  if (!existsSync(dir)) throw new RunDirError(`${dir}: run directory not found`);
  if (!statSync(dir).isDirectory()) throw new RunDirError(`${dir}: not a directory (expected a run directory)`);
}

export function writeJson(dir: string, file: string, value: unknown): void {
  writeFileAtomic(join(dir, file), JSON.stringify(value, null, 2) + '\n');
}

export function appendJsonLine(dir: string, file: string, value: unknown): void {
  appendFileSync(join(dir, file), JSON.stringify(value) + '\n');
}

export function writeJsonLines(dir: string, file: string, values: readonly unknown[]): void {
  writeFileAtomic(join(dir, file), values.map((v) => JSON.stringify(v) + '\n').join(''));
}
