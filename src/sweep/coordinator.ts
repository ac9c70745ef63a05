// The coordinator's side of a queue sweep: put the jobs on the queue (keyed by their settings, so a
// restarted coordinator finds them again and finished ones are not rerun), then collect each job's
// results from Redis as it completes, reporting progress until none is left.
import type { Job } from 'bullmq';
import { A3tError } from '../errors.js';
import { type SweepJob, jobKey, runName } from './job.js';
import { dropJobOutput, loadJobOutput, putBlob } from './job-store.js';
import { KEYS, type QueueLink } from './queue-link.js';
import type { JobOutput } from './run-job.js';
import { type SweepMeta, type SweepStatus, readSweepMeta, sweepStatus } from './status.js';

export interface QueueSweep {
  link: QueueLink;
  id: string;
  jobs: SweepJob[];
  /** Jobs whose results this coordinator (or the one before it) has already written. */
  written(job: SweepJob): boolean;
  /** Surrogate checkpoints by SHA-256, stored for the workers. */
  blobs: Record<string, Uint8Array>;
  onOutput(job: SweepJob, out: JobOutput): void;
  onStatus(s: SweepStatus, meta: SweepMeta): void;
}

const POLL_MS = 500;

/** Add the jobs not already on the queue; retry failed ones (a restart is the user's way to ask). */
async function enqueue(link: QueueLink, jobs: SweepJob[]): Promise<void> {
  for (const job of jobs) {
    const key = jobKey(job);
    const existing = (await link.queue.getJob(key)) as Job | undefined;
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed') await existing.retry('failed');
      // Completed, but its results are gone (written into another report directory, then dropped): run it again.
      if (state === 'completed' && !(await loadJobOutput(link.redis, key))) await existing.remove();
      else continue;
    }
    await link.queue.add(runName(job), job, { jobId: key, attempts: 1, removeOnComplete: false, removeOnFail: false });
  }
}

/** Run the sweep on the queue; a Redis outage past the link's timeout fails it with one line. */
export const runOnQueue = (s: QueueSweep): Promise<void> => s.link.guard(coordinate(s));

async function coordinate(s: QueueSweep): Promise<void> {
  const { link } = s;
  for (const [sha, bytes] of Object.entries(s.blobs)) await putBlob(link.redis, sha, bytes);
  const keys = s.jobs.map(jobKey);
  const before = await readSweepMeta(link.redis);
  const meta: SweepMeta = { id: s.id, started: before?.id === s.id ? before.started : Date.now(), keys, names: s.jobs.map(runName) };
  await link.redis.set(KEYS.current, JSON.stringify(meta));
  const pending = new Map(s.jobs.filter((j) => !s.written(j)).map((j) => [jobKey(j), j]));
  await enqueue(link, [...pending.values()]);
  while (pending.size > 0) {
    for (const [key, job] of pending) {
      const state = await link.queue.getJobState(key);
      if (state === 'failed') {
        const failed = await link.queue.getJob(key);
        throw new A3tError('input', `run ${runName(job)} failed on a worker: ${failed?.failedReason ?? 'no reason given'} (fix it and run the same command again to retry)`);
      }
      if (state !== 'completed') continue;
      const out = await loadJobOutput(link.redis, key);
      if (!out) throw new A3tError('input', `run ${runName(job)} completed but its results are not in Redis at ${link.address.display}; run the same command again to rerun it`);
      s.onOutput(job, out);
      await dropJobOutput(link.redis, key);
      pending.delete(key);
    }
    s.onStatus(await sweepStatus(link.queue, keys), meta);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await link.redis.set(KEYS.current, JSON.stringify({ ...meta, finished: Date.now() }));
}
