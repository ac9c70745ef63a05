// Run directories: what `a3t train` leaves behind (config.json, metrics.jsonl, checkpoint.a3t,
// model.onnx, summary.json, summary.md), never written over an existing run without `force`.
import { appendFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

export class RunDirError extends Error {
  override name = 'RunDirError';
}

export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  checkpoint: 'checkpoint.a3t',
  model: 'model.onnx',
  summary: 'summary.json',
  summaryText: 'summary.md',
} as const;

/** Create `dir` for a new run; an existing non-empty directory is refused unless `force`. */
export function prepareRunDir(dir: string, force: boolean): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new RunDirError(`${dir} exists and is not a directory`);
    if (readdirSync(dir).length > 0 && !force) throw new RunDirError(`${dir} already holds a run; choose another --out or pass --force to overwrite it`);
  }
  mkdirSync(dir, { recursive: true });
  // A forced rerun starts a fresh metrics log rather than appending to the old one.
  writeFileAtomic(join(dir, RUN_FILES.metrics), '');
}

export function writeJson(dir: string, file: string, value: unknown): void {
  writeFileAtomic(join(dir, file), JSON.stringify(value, null, 2) + '\n');
}

export function appendJsonLine(dir: string, file: string, value: unknown): void {
  appendFileSync(join(dir, file), JSON.stringify(value) + '\n');
}
