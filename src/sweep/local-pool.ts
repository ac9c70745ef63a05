// Sweep jobs on this machine: in this process, or spread over forked worker processes (`a3t __worker`),
// each running the same `runJob` as a queue worker.
import { type ChildProcess, fork } from 'node:child_process';
import type { Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/mnist.js';
import { A3tError } from '../errors.js';
import type { EpochMetrics } from '../train/loop.js';
import type { SweepJob } from './job.js';
import { type JobOutput, runJob } from './run-job.js';
import { surrogateModel } from './surrogate.js';

export interface LocalRun {
  jobs: SweepJob[];
  workers: number;
  threads: number;
  /** Data directory (undefined: the bundled MNIST), loaded once per process. */
  dataDir?: string;
  /** Surrogate checkpoints by SHA-256, for the jobs that name one. */
  blobs: Record<string, Uint8Array>;
  onEpoch(job: SweepJob, m: EpochMetrics): void;
  onOutput(job: SweepJob, out: JobOutput): void;
}

interface Task {
  job: SweepJob;
  threads: number;
  dataDir?: string;
  surrogate?: Uint8Array;
}

type WorkerMessage = { type: 'ready' } | { type: 'epoch'; m: EpochMetrics } | { type: 'output'; out: JobOutput } | { type: 'error'; message: string; kind?: A3tError['kind'] };

let data: { dir?: string; set: Dataset } | null = null;
function dataset(dir?: string): Dataset {
  if (!data || data.dir !== dir) data = { dir, set: loadDataset(dir) };
  return data.set;
}

function runTask(t: Task, onEpoch: (m: EpochMetrics) => void): Promise<JobOutput> {
  const sha = t.job.eval.surrogate;
  const surrogate = sha ? surrogateModel(sha, t.surrogate ?? null) : undefined;
  return runJob(t.job, { data: dataset(t.dataDir), threads: t.threads, surrogate, onEpoch });
}

/** A forked worker process: runs the tasks its parent sends, one at a time, until sent null. */
export async function localWorker(): Promise<void> {
  const send = (m: WorkerMessage) => process.send!(m);
  await new Promise<void>((resolve) => {
    process.on('message', async ({ task: t }: { task: Task | null }) => {
      if (t === null) return resolve();
      try {
        send({ type: 'output', out: await runTask(t, (m) => send({ type: 'epoch', m })) });
      } catch (e) {
        // A bug keeps its stack: the parent prints it as one.
        send({ type: 'error', message: e instanceof A3tError ? e.message : ((e as Error).stack ?? String(e)), kind: e instanceof A3tError ? e.kind : undefined });
      }
    });
    send({ type: 'ready' });
  });
  process.disconnect?.();
}

function startWorker(): ChildProcess {
  // 'advanced' serialization carries the model files' bytes as typed arrays, not as JSON objects.
  return fork(process.argv[1], ['__worker'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
}

/** Run every job, in this process when `workers` is 1, calling back as each epoch and each job finishes. */
export async function runLocally(run: LocalRun): Promise<void> {
  const task = (job: SweepJob): Task => ({ job, threads: run.threads, dataDir: run.dataDir, surrogate: job.eval.surrogate ? run.blobs[job.eval.surrogate] : undefined });
  if (run.workers === 1) {
    for (const job of run.jobs) run.onOutput(job, await runTask(task(job), (m) => run.onEpoch(job, m)));
    return;
  }
  const queue = [...run.jobs];
  await Promise.all(
    Array.from({ length: Math.min(run.workers, queue.length) }, () => {
      const child = startWorker();
      let current: SweepJob | undefined;
      return new Promise<void>((resolve, reject) => {
        const next = () => {
          current = queue.shift();
          child.send({ task: current ? task(current) : null });
          if (!current) resolve();
        };
        child.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') next();
          else if (m.type === 'epoch') run.onEpoch(current!, m.m);
          else if (m.type === 'output') {
            run.onOutput(current!, m.out);
            next();
          } else {
            child.kill();
            reject(m.kind ? new A3tError(m.kind, m.message) : new Error(`in a worker: ${m.message}`));
          }
        });
        child.on('exit', (code) => (code ? reject(new Error(`worker exited with code ${code}`)) : resolve()));
      });
    }),
  );
}
