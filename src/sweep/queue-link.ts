// A connection to a sweep's queue: checked first (reachable, password accepted, the same a3t version as
// the queue's other users) with one-line errors, then the BullMQ queue and a client for the job data,
// watched: a Redis outage is reported once and fails the link after the queue timeout (queue-watch.ts).
import { type ConnectionOptions, Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { QueueAddress } from './queue-address.js';
import { QueueError } from './queue-error.js';
import { QUEUE_TIMEOUT_DEFAULT_S, QueueWatch, errorCause, isConnectionError } from './queue-watch.js';

export { QueueError };

/** BullMQ's key prefix and queue name: its keys are a3t:sweep:*, ours a3t:data:*. */
export const PREFIX = 'a3t';
export const QUEUE = 'sweep';

export const KEYS = {
  version: `${PREFIX}:data:version`,
  /** The latest sweep a coordinator started: { id, started, keys, names } (for --status). */
  current: `${PREFIX}:data:current`,
  state: (job: string) => `${PREFIX}:data:state:${job}`,
  result: (job: string) => `${PREFIX}:data:result:${job}`,
  blob: (sha: string) => `${PREFIX}:data:blob:${sha}`,
};

export interface QueueLink {
  address: QueueAddress;
  /** Options for more clients of this queue (a BullMQ worker's): they stop reconnecting when the link gives up. */
  options: RedisOptions;
  redis: Redis;
  queue: Queue;
  /** `p`, or a QueueError (one line) once Redis has stayed away for the queue timeout. */
  guard<T>(p: Promise<T>): Promise<T>;
  /**
   * Hand over an error from another client of the queue: true when it is taken as (a symptom of) an
   * outage, reported by the link; false when it is something else, for the caller to report.
   */
  noticeError(e: unknown): boolean;
  close(): Promise<void>;
}

export interface QueueLinkOptions {
  /** Seconds Redis may stay unreachable before the link fails (default QUEUE_TIMEOUT_DEFAULT_S). */
  timeoutSeconds?: number;
  /** Where the outage lines go (one line each, no newline): stderr. */
  warn(line: string): void;
}

const CONNECT_MS = 5000;

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(err.message)) return 'it refused the user or password (set it in the URL or A3T_REDIS_PASSWORD)';
  if (/DB index is out of range/i.test(err.message)) return 'it has no such database number';
  return err.code === 'ETIMEDOUT' ? `no answer in ${CONNECT_MS / 1000} s` : errorCause(e);
}

/** Connect and check the queue; errors name the address (never the password) and what went wrong. */
export async function openQueue(address: QueueAddress, version: string, settings: QueueLinkOptions): Promise<QueueLink> {
  // The probe gives up at the first failure; the clients after it reconnect until the watch gives up.
  const probe = new Redis({ ...address.options, lazyConnect: true, connectTimeout: CONNECT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The connect promise may only say 'Connection is closed'; the cause (a TLS or socket error) comes as an event.
  let cause: unknown;
  probe.on('error', (e) => (cause ??= e));
  try {
    await probe.connect();
    // ioredis selects the database on connecting but carries on in database 0 when that fails.
    await probe.select(address.options.db ?? 0);
    await probe.set(KEYS.version, version, 'NX');
    const used = await probe.get(KEYS.version);
    if (used !== version) throw new QueueError(`the queue at ${address.display} is used by a3t ${used}; this is a3t ${version} (use one version for the coordinator and every worker, or another database)`);
  } catch (e) {
    if (e instanceof QueueError) throw e;
    throw new QueueError(`cannot use Redis at ${address.display}: ${why(cause ?? e)}`);
  } finally {
    probe.disconnect();
  }
  const clients: { redis?: Redis; queue?: Queue } = {};
  // On giving up: stop reconnecting now (not waited for: see close()).
  const watch = new QueueWatch(address.display, settings.timeoutSeconds ?? QUEUE_TIMEOUT_DEFAULT_S, settings.warn, () => {
    clients.redis?.disconnect();
    void clients.queue?.disconnect().catch(() => {});
  });
  // BullMQ's blocking commands need maxRetriesPerRequest null: a command waits through reconnects, and
  // only the watch's retry strategy ends the wait.
  const options: RedisOptions = { ...address.options, maxRetriesPerRequest: null, retryStrategy: watch.retryStrategy };
  const trouble = (e: unknown) => watch.trouble(errorCause(e));
  const redis = (clients.redis = new Redis(options));
  redis.on('error', trouble);
  const queue = (clients.queue = new Queue(QUEUE, { connection: options as ConnectionOptions, prefix: PREFIX }));
  queue.on('error', trouble);
  watch.start(redis);
  return {
    address,
    options,
    redis,
    queue,
    guard: (p) => watch.guard(p),
    noticeError(e) {
      if (!watch.down && !isConnectionError(e)) return false;
      trouble(e);
      return true;
    },
    async close() {
      const away = watch.down;
      watch.stop();
      if (away) {
        // Closing politely sends QUIT, which would wait for a Redis that is away; and a disconnect while
        // ioredis waits to reconnect never ends (no socket to close), so it is not waited for.
        redis.disconnect();
        void queue.disconnect().catch(() => {});
        return;
      }
      await queue.close();
      redis.disconnect();
    },
  };
}
