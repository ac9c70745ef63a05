// The flow `a3t reproduce` and `a3t sweep` share: place the runs (worker processes here, or a queue), run
// them with one progress line and a line per finished run, and write the report files.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { RunResult } from '../report/reproduction.js';
import type { EpochMetrics } from '../train/loop.js';
import type { SweepJob } from './job.js';
import type { QueueLink } from './queue-link.js';
import { type SweepPlan, runSweep } from './run-sweep.js';
import { statusText } from './status.js';
import { threadsShown } from './threads.js';

/** Where the flow prints: notes and a progress line (the command line's output, on stderr). */
export interface SweepLog {
  note(line: string): void;
  progress(label: string): { update(done: number, total: number, note: string): void; log(line: string): void; done(): void };
}

export interface Placement {
  where: SweepPlan['where'];
  /** Where the runs go, in words: 'the queue at HOST' or '2 workers × 4 thread(s)'. */
  runsOn: string;
  /** Where the runs went, as the report's settings state it. */
  settings: { queue: string } | { workers: number; threadsPerWorker: number };
  close(): Promise<void>;
}

/** The queue behind `queue` (opened by the caller, closed by the placement), or `workers` processes here with `threads` each (0: ONNX Runtime decides). */
export function placeSweep(o: { queue?: QueueLink; workers: number; threads: number; dataDir?: string }): Placement {
  if (o.queue !== undefined) {
    const link = o.queue;
    const display = link.address.display;
    return { where: { queue: link }, runsOn: `the queue at ${display}`, settings: { queue: display }, close: () => link.close() };
  }
  const { workers, threads, dataDir } = o;
  const shown = threadsShown(threads);
  return {
    where: { local: { workers, threads, dataDir } },
    runsOn: `${workers} worker${workers > 1 ? 's' : ''} × ${shown} thread(s)`,
    settings: { workers, threadsPerWorker: shown },
    close: async () => {},
  };
}

export interface ProgressPlan extends Omit<SweepPlan, 'where' | 'onResult' | 'onStatus' | 'onEpoch'> {
  placement: Placement;
  /** The progress line's label: the command's name. */
  label: string;
  /** The runs, in words, before where they run ('4 runs (plain, a3t × 2 seeds), 3 epochs each'). */
  what: string;
  /** Whether the report directory holds an earlier start of this sweep. */
  continued: boolean;
  /** The line printed for each finished run; `earlier` for runs an earlier start wrote. */
  resultLine(r: RunResult, earlier: boolean): string;
  /** A line for an epoch of a run, or null for none. */
  epochLine?(job: SweepJob, m: EpochMetrics): string | null;
}

/** Run the sweep with progress on `log`: its results in the jobs' order and the wall time in seconds. */
export async function runWithProgress(plan: ProgressPlan, log: SweepLog): Promise<{ results: RunResult[]; wallSeconds: number }> {
  const { placement, label, what, continued, resultLine, epochLine, ...sweep } = plan;
  const total = plan.jobs.length;
  log.note(`${what}, on ${placement.runsOn}${continued ? `; continuing the sweep in ${plan.out}` : ''}`);
  const bar = log.progress(label);
  let finished = 0;
  const started = performance.now();
  bar.update(0, total, `0/${total} runs`);
  const results = await runSweep({
    ...sweep,
    where: placement.where,
    onEpoch: (job, m) => {
      const line = epochLine?.(job, m);
      if (line) bar.log(line);
    },
    onStatus: (s) => bar.update(s.progress, s.total, statusText(s)),
    onResult: (r, earlier) => {
      finished++;
      bar.log(resultLine(r, earlier));
      // A queue's status (above) counts the runs of every worker; here each finished run is progress.
      if ('local' in placement.where) bar.update(finished, total, `${finished}/${total} runs`);
    },
  });
  bar.done();
  return { results, wallSeconds: (performance.now() - started) / 1000 };
}

/** Write report.json, report.md and any figures (name → SVG) into `out`. */
export function writeSweepReport(out: string, report: { json: unknown; markdown: string; figures?: Readonly<Record<string, string>> }): void {
  writeFileAtomic(join(out, 'report.json'), JSON.stringify(report.json, null, 2) + '\n');
  writeFileAtomic(join(out, 'report.md'), report.markdown);
  for (const [file, svg] of Object.entries(report.figures ?? {})) writeFileAtomic(join(out, file), svg);
}
