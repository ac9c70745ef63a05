// Redis going away under a queue sweep, each test on its own throwaway redis-server: the outage is one
// line on stderr, Redis back before --queue-timeout lets the command carry on, and Redis gone past it
// fails the coordinator or a worker with one more line and exit 1 — in seconds, never a silent wait.
// No job runs here: a coordinator with no workers, or a worker with no jobs, waits on Redis alone.
// The watch itself (once per outage, then no more reconnects) is tested without Redis.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Queue } from 'bullmq';
import { QueueWatch } from '../src/sweep/queue-watch.js';
import { waitUntil } from './poll.js';
import { REDIS_MISSING, type RedisServer, startRedis } from './redis-server.js';
import { type CliResult, runAll, startA3t } from './run-cli.js';

const skip = REDIS_MISSING ?? false;
const tmp = mkdtempSync(join(os.tmpdir(), 'a3t-sweep-outage-'));
const servers: RedisServer[] = [];
const stops: Array<() => void> = [];
after(async () => {
  for (const stop of stops) stop();
  for (const s of servers) await s.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const SPEC = join(tmp, 'spec.json');
writeFileSync(SPEC, JSON.stringify({ settings: { epochs: 1, trainSize: 600, validation: 100, batchSize: 100 }, seeds: 1, eval: { attackImages: 0 } }));

/** `a3t ...args` with its stderr readable while it runs. */
function a3t(args: string[]) {
  const { child, done } = startA3t(args);
  stops.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, done, stderr: () => stderr };
}

async function server(): Promise<RedisServer> {
  const s = await startRedis();
  servers.push(s);
  return s;
}

/** A coordinator of a one-run sweep with no worker: once its job is on the queue it only polls Redis. */
async function waitingCoordinator(redis: RedisServer, timeoutS: number) {
  const run = a3t(['sweep', SPEC, '--queue', redis.url(0), '--queue-timeout', String(timeoutS), '--out', join(tmp, `out-${redis.port}`), '--quiet']);
  const queue = new Queue('sweep', { connection: { host: '127.0.0.1', port: redis.port, db: 0 }, prefix: 'a3t' });
  try {
    await waitUntil('the coordinator to put its job on the queue', async () => (await queue.getWaitingCount()) === 1 || run.child.exitCode !== null);
  } finally {
    await queue.close();
  }
  assert.equal(run.child.exitCode, null, run.stderr());
  return run;
}

const lostLine = (url: string, timeoutS: number, cause: string) => `lost Redis at ${url} (${cause}); waiting up to ${timeoutS} s for it (--queue-timeout)`;
const failLine = (url: string, timeoutS: number, cause: string) => `Redis at ${url} stayed unreachable for ${timeoutS} s (${cause}); giving up (--queue-timeout)`;

/** Stop `redis` under `run`, then expect exactly the outage line and the failure line, exit 1, soon. */
async function expectGivesUp(command: string, run: { done: Promise<CliResult>; stderr(): string }, redis: RedisServer, timeoutS: number): Promise<void> {
  const before = run.stderr();
  const stopped = performance.now();
  await redis.stop();
  const bound = timeoutS + 10;
  let late: NodeJS.Timeout | undefined;
  const tooLate = new Promise<never>((_, reject) => {
    late = setTimeout(() => reject(new Error(`a3t ${command} still running ${bound} s after Redis stopped (--queue-timeout ${timeoutS}); stderr:\n${run.stderr()}`)), bound * 1000);
  });
  const r = await Promise.race([run.done, tooLate]).finally(() => clearTimeout(late));
  const seconds = (performance.now() - stopped) / 1000;
  const url = redis.url(0);
  const added = r.stderr.slice(before.length);
  // The cause is how the first reconnect failed: refused, as a rule.
  const cause = /\((E[A-Z]+)\); waiting/.exec(added)?.[1] ?? 'no outage line';
  assert.equal(added, `a3t ${command}: ${lostLine(url, timeoutS, cause)}\na3t ${command}: ${failLine(url, timeoutS, cause)}\n`);
  assert.equal(r.code, 1);
  assert.ok(seconds >= timeoutS, `gave up ${seconds.toFixed(1)} s after Redis stopped (--queue-timeout ${timeoutS})`);
}

test('Redis stopped under a coordinator: one line saying so, one line giving up after --queue-timeout, exit 1', { skip, timeout: 60_000 }, async () => {
  const redis = await server();
  const run = await waitingCoordinator(redis, 2);
  await expectGivesUp('sweep', run, redis, 2);
});

test('Redis stopped under a worker waiting for jobs: the same two lines, exit 1', { skip, timeout: 60_000 }, async () => {
  const redis = await server();
  const run = a3t(['worker', '--queue', redis.url(0), '--queue-timeout', '2', '--threads', '1']);
  await waitUntil('the worker to start taking jobs', () => /takes jobs from/.test(run.stderr()) || run.child.exitCode !== null);
  assert.equal(run.child.exitCode, null, run.stderr());
  await expectGivesUp('worker', run, redis, 2);
});

test('Redis silent (paused) and back before --queue-timeout: one line each way, and the coordinator carries on', { skip, timeout: 60_000 }, async () => {
  const redis = await server();
  const run = await waitingCoordinator(redis, 30);
  const url = redis.url(0);
  redis.pause();
  await waitUntil('the outage line', () => run.stderr().includes('lost Redis') || run.child.exitCode !== null, 20_000);
  redis.resume();
  await waitUntil('the line saying Redis is back', () => run.stderr().includes('answers again') || run.child.exitCode !== null, 20_000);
  assert.match(run.stderr(), new RegExp(`^a3t sweep: ${esc(lostLine(url, 30, 'no answer in 5 s'))}\na3t sweep: Redis at ${esc(url)} answers again after \\d+ s; carrying on\n$`));
  assert.equal(run.child.exitCode, null, 'the coordinator still waits for its run');
  run.child.kill('SIGKILL');
});

test('the watch reports an outage once however often clients fail, then gives up: no more reconnects, guarded work fails', async () => {
  const lines: string[] = [];
  let gaveUp = 0;
  const watch = new QueueWatch('redis://h:6379/0', 0.2, (l) => lines.push(l), () => gaveUp++);
  assert.equal(watch.retryStrategy(3), 300);
  const started = performance.now();
  for (let i = 0; i < 5; i++) watch.trouble(i === 0 ? 'ECONNREFUSED' : 'ECONNRESET');
  assert.deepEqual(lines, ['lost Redis at redis://h:6379/0 (ECONNREFUSED); waiting up to 0.2 s for it (--queue-timeout)']);
  await assert.rejects(watch.guard(new Promise(() => {})), { name: 'QueueError', message: 'Redis at redis://h:6379/0 stayed unreachable for 0.2 s (ECONNREFUSED); giving up (--queue-timeout)' });
  assert.ok(performance.now() - started >= 190, 'not before the timeout');
  assert.equal(gaveUp, 1);
  assert.equal(watch.retryStrategy(1), null, 'no reconnect after giving up');
  watch.trouble('ECONNREFUSED');
  assert.equal(lines.length, 1, 'nothing more once given up');
});

test('--queue-timeout out of range, not a number, or without a queue: one line naming it, exit 2', async () => {
  const closed = 'redis://127.0.0.1:1/0';
  const results = await runAll([
    ['sweep', '--status', closed, '--queue-timeout', '0'],
    ['worker', '--queue', closed, '--queue-timeout', 'soon'],
    ['sweep', SPEC, '--queue-timeout', '5', '--out', join(tmp, 'never')],
    ['reproduce', '--queue-timeout', '5', '--out', join(tmp, 'never')],
  ]);
  assert.deepEqual(
    results.map((r) => [r.code, r.stderr]),
    [
      [2, 'a3t sweep: queueTimeout (--queue-timeout) must be a number in [1, 86400], got 0\n'],
      [2, "a3t worker: queueTimeout (--queue-timeout) must be a number in [1, 86400], got 'soon'\n"],
      [2, 'a3t sweep: --queue-timeout applies only with --queue or --status\n'],
      [2, 'a3t reproduce: --queue-timeout applies only with --queue\n'],
    ],
  );
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
