// A sweep from start to report directory: the jobs not yet written run on this machine (worker
// processes) or on a queue, and each finished run is written to the report directory as it arrives.
import type { RunResult } from '../report/reproduction.js';
import type { EpochMetrics } from '../train/loop.js';
import { runOnQueue } from './coordinator.js';
import { type SweepJob, runName } from './job.js';
import { runLocally } from './local-pool.js';
import type { QueueLink } from './queue-link.js';
import type { JobOutput } from './run-job.js';
import { type SweepMeta, type SweepStatus } from './status.js';
import { writeRun, writtenRun } from './sweep-dir.js';

export interface SweepPlan {
  id: string;
  jobs: SweepJob[];
  /** The report directory, opened by `openSweepDir`. */
  out: string;
  blobs: Record<string, Uint8Array>;
  /** Where the jobs run: worker processes here, or a queue. */
  where: { local: { workers: number; threads: number; dataDir?: string } } | { queue: QueueLink };
  /** Each run's results, in the order they finish; `earlier` for runs an earlier coordinator wrote. */
  onResult(r: RunResult, earlier: boolean): void;
  onEpoch?(job: SweepJob, m: EpochMetrics): void;
  onStatus?(s: SweepStatus, meta: SweepMeta): void;
}

/** Run the sweep; its results in the jobs' order. */
export async function runSweep(plan: SweepPlan): Promise<RunResult[]> {
  const results = new Map<string, RunResult>();
  for (const job of plan.jobs) {
    const r = writtenRun(plan.out, job);
    if (!r) continue;
    results.set(runName(job), r);
    plan.onResult(r, true);
  }
  const onOutput = (job: SweepJob, o: JobOutput) => {
    // The worker's result names the group the job had when it first ran; this sweep's name wins.
    const out = { ...o, result: { ...o.result, regime: job.group, seed: job.seed } };
    writeRun(plan.out, job, out);
    results.set(runName(job), out.result);
    plan.onResult(out.result, false);
  };
  const todo = plan.jobs.filter((j) => !results.has(runName(j)));
  if ('local' in plan.where) await runLocally({ ...plan.where.local, jobs: todo, blobs: plan.blobs, onEpoch: (j, m) => plan.onEpoch?.(j, m), onOutput });
  else
    await runOnQueue({
      link: plan.where.queue,
      id: plan.id,
      jobs: plan.jobs,
      written: (j) => results.has(runName(j)),
      blobs: plan.blobs,
      onOutput,
      onStatus: (s, m) => plan.onStatus?.(s, m),
    });
  return plan.jobs.map((j) => results.get(runName(j))!);
}
