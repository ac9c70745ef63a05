// Where a sweep on the queue stands: its jobs done, running and waiting, each worker's training speed,
// and a time left at the pace so far. The coordinator redraws it; `a3t sweep --status` prints it once.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Progress } from '../train/loop.js';
import { QueueError } from './queue-error.js';
import { KEYS, type QueueLink } from './queue-link.js';

/** What a worker reports on a running job. */
export interface JobProgress extends Progress {
  worker: string;
}

/** The sweep a coordinator registered: its id, start and end times (ms since the epoch), job keys and names. */
export interface SweepMeta {
  id: string;
  started: number;
  finished?: number;
  keys: string[];
  names: string[];
}

export interface SweepStatus {
  total: number;
  done: number;
  running: number;
  waiting: number;
  failed: number;
  /** Jobs done plus the finished fraction of the running ones. */
  progress: number;
  /** Samples/s of each worker over its running jobs. */
  workers: Record<string, number>;
}

const isProgress = (p: unknown): p is JobProgress => typeof p === 'object' && p !== null && typeof (p as JobProgress).worker === 'string';

export async function sweepStatus(queue: Queue, keys: readonly string[]): Promise<SweepStatus> {
  const s: SweepStatus = { total: keys.length, done: 0, running: 0, waiting: 0, failed: 0, progress: 0, workers: {} };
  const jobs = await Promise.all(keys.map((k) => queue.getJob(k)));
  const states = await Promise.all(jobs.map((j) => j?.getState() ?? 'unknown'));
  states.forEach((state, i) => {
    if (state === 'completed') s.done++;
    else if (state === 'failed') s.failed++;
    else if (state === 'active') {
      s.running++;
      const p = jobs[i]!.progress;
      if (isProgress(p)) {
        s.workers[p.worker] = (s.workers[p.worker] ?? 0) + p.samplesPerSecond;
        s.progress += (p.epoch - 1 + p.step / p.steps) / p.epochs;
      }
    } else s.waiting++;
  });
  s.progress += s.done;
  return s;
}

export async function readSweepMeta(redis: Redis): Promise<SweepMeta | null> {
  const text = await redis.get(KEYS.current);
  return text ? (JSON.parse(text) as SweepMeta) : null;
}

/** The queue's latest sweep and where it stands (`a3t sweep --status`); a QueueError when it holds none. */
export const queueSweepStatus = (link: QueueLink): Promise<{ meta: SweepMeta; status: SweepStatus }> =>
  link.guard(
    (async () => {
      const meta = await readSweepMeta(link.redis);
      if (!meta) throw new QueueError(`the queue at ${link.address.display} holds no sweep yet`);
      return { meta, status: await sweepStatus(link.queue, meta.keys) };
    })(),
  );

const clock = (s: number) => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}` : '--:--');

/** '3/8 done, 2 running, 3 waiting; host-1:4242 3,900 samples/s, ...' */
export function statusText(s: SweepStatus): string {
  const failed = s.failed ? `, ${s.failed} FAILED` : '';
  const workers = Object.entries(s.workers).map(([w, r]) => `${w} ${Math.round(r).toLocaleString('en-US')} samples/s`);
  return `${s.done}/${s.total} done, ${s.running} running, ${s.waiting} waiting${failed}${workers.length ? `; ${workers.join(', ')}` : ''}`;
}

/** The status line with elapsed time and ETA at the pace since the sweep started. */
export function statusLine(s: SweepStatus, meta: SweepMeta, now = Date.now()): string {
  const elapsed = ((meta.finished ?? now) - meta.started) / 1000;
  const eta = s.progress > 0 ? (elapsed * (s.total - s.progress)) / s.progress : Infinity;
  return `${statusText(s)}; elapsed ${clock(elapsed)}, ETA ${clock(eta)}`;
}
