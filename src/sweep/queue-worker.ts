// `a3t worker`: takes jobs from the queue, checks each with the command line's rules, trains from the
// job's last saved state when an earlier worker died mid-job, saves the state to Redis after every
// epoch, and stores the results there before BullMQ marks the job completed.
import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Dataset } from '../data/dataset.js';
import { A3tError } from '../errors.js';
import { CheckpointError } from '../io/checkpoint.js';
import type { TrainState } from '../train/loop.js';
import { type SweepJob, checkJobData, jobKey, parseJob, runName } from './job.js';
import { getBlob, loadJobOutput, loadJobState, saveJobOutput, saveJobState } from './job-store.js';
import { PREFIX, QUEUE, type QueueLink } from './queue-link.js';
import { runJob } from './run-job.js';
import type { JobProgress } from './status.js';
import { surrogateModel } from './surrogate.js';

export interface WorkerSettings {
  link: QueueLink;
  version: string;
  /** This worker's name in the progress: host:pid. */
  name: string;
  data: Dataset;
  /** `dataPrintOf(data)`, computed once. */
  dataPrint: string;
  concurrency: number;
  threads: number;
  /**
   * A job whose worker has not renewed its lock for this long is taken over by another worker. Renewal
   * runs on the event loop, so this must exceed the longest the loop is ever blocked (a graph compile).
   */
  stallSeconds: number;
  log(line: string): void;
}

const PROGRESS_MS = 1000;
const lockMs = (s: WorkerSettings) => Math.round(s.stallSeconds * 1000);

async function runQueued(s: WorkerSettings, job: Job, token: string): Promise<{ key: string }> {
  let sweepJob: SweepJob;
  try {
    sweepJob = parseJob(job.data, s.version);
    checkJobData(sweepJob, s.data, s.dataPrint);
    // The job's id is the hash of its settings: a payload under another job's id is not that job.
    if (jobKey(sweepJob) !== job.id) throw new A3tError('input', `job refused: its settings hash to ${jobKey(sweepJob)}, not to its id ${job.id}`);
  } catch (e) {
    if (!(e instanceof A3tError)) throw e;
    s.log(`${job.id}: ${e.message}`);
    throw new UnrecoverableError(e.message);
  }
  const key = job.id!;
  const name = runName(sweepJob);
  // Completed by a worker that died before BullMQ heard of it: the results are already stored.
  if (await loadJobOutput(s.link.redis, key)) return { key };
  let from: TrainState | undefined;
  try {
    from = (await loadJobState(s.link.redis, key)) ?? undefined;
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    s.log(`${name}: the saved state is unusable (${e.message}); training from the start`);
  }
  s.log(from ? `${name}: resuming after epoch ${from.epoch}` : `${name}: starting`);
  const sha = sweepJob.eval.surrogate;
  const surrogate = sha ? surrogateModel(sha, await getBlob(s.link.redis, sha)) : undefined;
  let saving = Promise.resolve();
  let shown = 0;
  try {
    const out = await runJob(sweepJob, {
      data: s.data,
      threads: s.threads,
      surrogate,
      from,
      onState: (state) => {
        // Writes go out in order on one connection; the job waits for the last before it completes.
        saving = saving.then(async () => {
          await saveJobState(s.link.redis, key, state);
          s.log(`${name}: state after epoch ${state.epoch} saved`);
        });
      },
      onEpoch: (m) => s.log(`${name} epoch ${m.epoch}: train ${m.samplesPerSecond.toFixed(0)} samples/s`),
      onProgress: (p) => {
        const now = performance.now();
        if (now - shown < PROGRESS_MS && p.step < p.steps) return;
        shown = now;
        const progress: JobProgress = { worker: s.name, ...p };
        job.updateProgress({ ...progress }).catch(() => {});
      },
    });
    await saving;
    // A worker whose event loop stalled past its lock has lost the job to another (which then runs it
    // from the last saved state): only the lock holder stores results, so no job completes twice.
    if (!((await job.extendLock(token, lockMs(s))) > 0)) {
      s.log(`${name}: another worker took this job over (this one was silent for over ${s.stallSeconds} s); leaving the results to it`);
      throw new Error(`${name}: lock lost to another worker`);
    }
    await saveJobOutput(s.link.redis, key, out);
    s.log(`finished ${name}: test clean ${out.result.test.clean}, FGSM ${out.result.test.fgsm}`);
    return { key };
  } catch (e) {
    await saving.catch(() => {});
    // A user-level failure (divergence, a refused state) would fail again on any worker.
    if (e instanceof A3tError) {
      s.log(`${name}: ${e.message}`);
      throw new UnrecoverableError(e.message);
    }
    throw e;
  }
}

/** Start taking jobs; `close` stops taking new ones and waits for the running ones (with `force`, not for them). */
export function startWorker(s: WorkerSettings): { close(force?: boolean): Promise<void> } {
  const lock = lockMs(s);
  const worker = new Worker(QUEUE, (job, token) => runQueued(s, job, token!), {
    connection: s.link.options as ConnectionOptions,
    prefix: PREFIX,
    concurrency: s.concurrency,
    name: s.name,
    lockDuration: lock,
    stalledInterval: Math.max(500, Math.round(lock / 2)),
    // A job survives this many deaths of its workers before it is failed.
    maxStalledCount: 20,
  });
  // Connection errors repeat with every reconnect attempt: the link reports the outage once.
  worker.on('error', (e) => s.link.noticeError(e) || s.log(`queue: ${e.message}`));
  return { close: (force) => worker.close(force) };
}
