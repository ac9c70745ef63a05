// What every command that talks to a queue shares: --queue-timeout, and the outage lines on stderr
// (printed with --quiet too: they are warnings, not progress). The policy lives in src/sweep/queue-watch.ts.
import { usageError } from '../errors.js';
import { parseQueueAddress } from '../sweep/queue-address.js';
import { type QueueLink, openQueue } from '../sweep/queue-link.js';
import { QUEUE_TIMEOUT } from '../sweep/queue-watch.js';
import type { Flags, Parsed } from './args.js';
import { a3tVersion } from './version.js';

export const QUEUE_FLAGS: Flags = { queueTimeout: QUEUE_TIMEOUT };

/** Open the queue at `url` with the command's --queue-timeout; outages are reported as 'a3t COMMAND: ...'. */
export const openQueueOf = (command: string, p: Parsed, url: string): Promise<QueueLink> =>
  openQueue(parseQueueAddress(url), a3tVersion(), {
    timeoutSeconds: p.flags.queueTimeout as number | undefined,
    warn: (line) => process.stderr.write(`a3t ${command}: ${line}\n`),
  });

/** --queue-timeout without a queue to talk to is a mistake worth naming. */
export function checkQueueTimeout(p: Parsed, queueFlags: string): void {
  if (p.flags.queueTimeout !== undefined) throw usageError(`--queue-timeout applies only with ${queueFlags}`);
}
