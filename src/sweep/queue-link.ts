// A connection to a sweep's queue: checked first (reachable, password accepted, the same a3t version as
// the queue's other users) with one-line errors, then the BullMQ queue and a client for the job data.
import { type ConnectionOptions, Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { A3tError } from '../errors.js';
import type { QueueAddress } from './queue-address.js';

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

export class QueueError extends A3tError {
  constructor(message: string) {
    super('input', message);
  }
}

export interface QueueLink {
  address: QueueAddress;
  redis: Redis;
  queue: Queue;
  close(): Promise<void>;
}

const CONNECT_MS = 5000;

/** Options for the long-lived clients: BullMQ's blocking commands need maxRetriesPerRequest null. */
export const connectionOptions = (address: QueueAddress): RedisOptions => ({ ...address.options, maxRetriesPerRequest: null });

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(err.message)) return 'it refused the user or password (set it in the URL or A3T_REDIS_PASSWORD)';
  if (/DB index is out of range/i.test(err.message)) return 'it has no such database number';
  if (err.code) return err.code === 'ETIMEDOUT' ? `no answer in ${CONNECT_MS / 1000} s` : err.code;
  return err.message.split('\n')[0];
}

/** Connect and check the queue; errors name the address (never the password) and what went wrong. */
export async function openQueue(address: QueueAddress, version: string): Promise<QueueLink> {
  // The probe gives up at the first failure; the clients after it reconnect on their own.
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
  const options = connectionOptions(address);
  const redis = new Redis(options);
  redis.on('error', () => {});
  const queue = new Queue(QUEUE, { connection: options as ConnectionOptions, prefix: PREFIX });
  queue.on('error', () => {});
  return {
    address,
    redis,
    queue,
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}
