// A sweep's report directory: sweep.json (which sweep it holds), runs.jsonl (each run's numbers as it
// finished) and runs/NAME/ per run (checkpoint.a3t, model.onnx, metrics.jsonl, summary.json, written
// last). A directory holding the same sweep is continued; any other needs `force`, as a run directory does.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES, RunDirError, writeJson, writeJsonLines } from '../io/rundir.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { RunResult } from '../report/reproduction.js';
import { type SweepJob, runName } from './job.js';
import type { JobOutput } from './run-job.js';

export const SWEEP_FILE = 'sweep.json';
const RUNS = 'runs';
const RUNS_JSONL = 'runs.jsonl';

export interface SweepRecord {
  id: string;
  command: string;
  runs: number;
}

const sameSweep = (out: string, id: string): boolean => {
  try {
    return (JSON.parse(readFileSync(join(out, SWEEP_FILE), 'utf8')) as SweepRecord).id === id;
  } catch {
    return false;
  }
};

/**
 * Make `out` ready for the sweep `record`: new, or holding this same sweep (continued: its finished
 * runs stay), or anything else only with `force` (its runs and run list are deleted). Says which it was.
 */
export function openSweepDir(out: string, record: SweepRecord, force: boolean): 'new' | 'continued' {
  const nonEmpty = existsSync(out) && readdirSync(out).length > 0;
  if (nonEmpty && sameSweep(out, record.id)) return 'continued';
  if (nonEmpty && !force) throw new RunDirError(`${out} already holds a report; choose another --out or pass --force to overwrite it`);
  for (const f of [RUNS, RUNS_JSONL, SWEEP_FILE]) rmSync(join(out, f), { recursive: true, force: true });
  mkdirSync(join(out, RUNS), { recursive: true });
  writeFileSync(join(out, RUNS_JSONL), '');
  writeJson(out, SWEEP_FILE, record);
  return 'new';
}

const runDir = (out: string, job: SweepJob) => join(out, RUNS, runName(job));

/** The run's results, when an earlier coordinator wrote them completely. */
export function writtenRun(out: string, job: SweepJob): RunResult | null {
  const file = join(runDir(out, job), RUN_FILES.summary);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResult) : null;
}

export function writeRun(out: string, job: SweepJob, o: JobOutput): void {
  const dir = runDir(out, job);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, RUN_FILES.checkpoint), o.checkpoint);
  writeFileAtomic(join(dir, RUN_FILES.model), o.onnx);
  writeJsonLines(dir, RUN_FILES.metrics, o.result.history);
  writeJson(dir, RUN_FILES.summary, o.result);
  // Each finished run is kept at once, so an interrupted sweep loses only the runs in flight.
  appendFileSync(join(out, RUNS_JSONL), JSON.stringify(o.result) + '\n');
}
