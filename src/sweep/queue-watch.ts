// Watching a queue's Redis: an outage (a client's connection error, or a heartbeat PING unanswered for
// SILENT_S seconds) is reported once; an answer before the queue timeout ends it (reported once more);
// no answer by then and the watch gives up: the clients stop reconnecting and `lost` rejects with one line.
import type { Redis } from 'ioredis';
import type { Setting } from '../settings.js';
import { QueueError } from './queue-error.js';

export const QUEUE_TIMEOUT_DEFAULT_S = 180;

/** --queue-timeout, for every command that talks to a queue. */
export const QUEUE_TIMEOUT: Setting = {
  kind: 'number',
  flag: 'queue-timeout',
  placeholder: 'S',
  min: 1,
  max: 86400,
  help: `seconds Redis may stay unreachable (each time it goes away) before this command gives up with exit 1 (default ${QUEUE_TIMEOUT_DEFAULT_S})`,
};

const BEAT_MS = 2000;
/** Seconds a PING may go unanswered (a host gone without closing its connections) before it is an outage. */
const SILENT_S = 5;
/** Reconnect attempts: 100 ms apart at first, then every second (BullMQ's own default waits up to 20 s). */
const RETRY_MS = (times: number) => Math.min(100 * times, 1000);

/** The first line of a connection error: its code (ECONNREFUSED) or message. */
export function errorCause(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ?? String(err?.message ?? e).split('\n')[0];
}

/** Errors that say the connection is gone, as BullMQ's worker reports them among its others. */
export const isConnectionError = (e: unknown): boolean =>
  /^(ECONNREFUSED|ECONNRESET|ECONNABORTED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test((e as NodeJS.ErrnoException)?.code ?? '') ||
  /Connection is closed|Stream isn't writeable/.test(String((e as Error)?.message));

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export class QueueWatch {
  /** Rejects with one line once Redis has stayed away for the timeout. */
  readonly lost: Promise<never>;
  private reject!: (e: QueueError) => void;
  private outage?: { since: number; cause: string; deadline: NodeJS.Timeout };
  private gone = false;
  private stopped = false;
  private sleeping?: NodeJS.Timeout;

  constructor(
    private readonly display: string,
    private readonly timeoutS: number,
    /** Prints one line on stderr. */
    private readonly warn: (line: string) => void,
    /** Called once on giving up: disconnect the clients (their pending commands fail). */
    private readonly giveUp: () => void,
  ) {
    this.lost = new Promise<never>((_, reject) => (this.reject = reject));
    // Nobody may be waiting on it yet (a coordinator training its surrogate): guard() sees it later.
    this.lost.catch(() => {});
  }

  /** The reconnect delay for every client of the queue: none once the watch gave up or stopped. */
  retryStrategy = (times: number): number | null => (this.gone || this.stopped ? null : RETRY_MS(times));

  /** `p`, or the outage's line if Redis stays away past the timeout first. */
  guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.lost]);
  }

  /** Whether an outage is under way (errors during one are its symptoms, not news). */
  get down(): boolean {
    return this.outage !== undefined || this.gone;
  }

  /** A client lost its connection: the start of an outage, reported once. */
  trouble(cause: string): void {
    if (this.stopped || this.down) return;
    const deadline = setTimeout(() => this.fail(), this.timeoutS * 1000);
    this.outage = { since: Date.now(), cause, deadline };
    this.warn(`lost Redis at ${this.display} (${cause}); waiting up to ${this.timeoutS} s for it (--queue-timeout)`);
  }

  /** Ping `redis` every BEAT_MS: a late answer starts an outage, any answer ends one. */
  start(redis: Redis): void {
    void this.beat(redis);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.sleeping);
    if (this.outage) clearTimeout(this.outage.deadline);
  }

  private answered(): void {
    if (!this.outage || this.gone || this.stopped) return;
    clearTimeout(this.outage.deadline);
    this.warn(`Redis at ${this.display} answers again after ${seconds(Date.now() - this.outage.since)}; carrying on`);
    this.outage = undefined;
  }

  private fail(): void {
    if (this.gone || this.stopped) return;
    this.gone = true;
    const cause = this.outage?.cause ?? 'unreachable';
    clearTimeout(this.sleeping);
    this.giveUp();
    this.reject(new QueueError(`Redis at ${this.display} stayed unreachable for ${this.timeoutS} s (${cause}); giving up (--queue-timeout)`));
  }

  private async beat(redis: Redis): Promise<void> {
    while (!this.stopped && !this.gone) {
      await new Promise((r) => (this.sleeping = setTimeout(r, BEAT_MS).unref()));
      if (this.stopped || this.gone) return;
      // Waits through reconnects (the clients retry commands until the watch gives up).
      const answer = redis.ping().then(
        () => true,
        () => false,
      );
      this.watchSilence(answer);
      if (await answer) this.answered();
    }
  }

  /** Start an outage if `answer` has not come after SILENT_S seconds of this process running. */
  private watchSilence(answer: Promise<boolean>): void {
    let counted = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      // A late tick means this process's event loop was blocked (a graph compile), not that Redis was silent.
      if (now - last < 1500) counted++;
      last = now;
      if (counted < SILENT_S) return;
      clearInterval(tick);
      this.trouble(`no answer in ${SILENT_S} s`);
    }, 1000).unref();
    void answer.then(() => clearInterval(tick));
  }
}
