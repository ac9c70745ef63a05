// Sweeps on a BullMQ queue on a throwaway redis-server: the report of a queue run equals the local
// one bit for bit (timings aside); a worker SIGKILLed mid-job is resumed by another from its last
// epoch; a restarted coordinator reruns nothing; bad payloads are refused; bad queues get one line.
import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadDataset } from '../src/data/mnist.js';
import { dataPrintOf, makeJob } from '../src/sweep/job.js';
import { waitUntil } from './poll.js';
import { REDIS_MISSING, type RedisServer, freePort, startRedis } from './redis-server.js';
import { runA3t, startA3t } from './run-cli.js';

const skip = REDIS_MISSING ?? false;
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const tmp = mkdtempSync(join(os.tmpdir(), 'a3t-sweep-queue-'));
let redis: RedisServer;
const children: ChildProcess[] = [];
before(async () => {
  if (!skip) redis = await startRedis();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** An a3t process whose output can be waited on while it runs. */
function a3t(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { child, done, output: text } = startA3t(args, env);
  children.push(child);
  const exited = done.then((r) => r.code);
  return {
    child,
    text,
    exited,
    /** Resolves with the first match of `re` in the output. */
    async waitFor(re: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
      const m = await waitUntil(`${re} in the output of a3t ${args[0]}`, () => text().match(re) ?? (child.exitCode !== null && 'exited'), ms);
      if (m === 'exited') throw new Error(`a3t ${args[0]} exited (code ${child.exitCode}) before printing ${re}; output:\n${text()}`);
      return m;
    },
  };
}

// A short lock, so that a killed worker's job is taken over in seconds; long enough for a loaded machine's compiles.
const worker = (db: number) => a3t(['worker', '--queue', redis.url(db), '--threads', '1', '--stall-seconds', '5']);

// Small enough that the file runs in about a minute on 2 cores; still every stage of a reproduction.
const TINY = ['--regimes', 'plain,a3t', '--seeds', '1', '--epochs', '2', '--train-size', '1000', '--validation', '200', '--batch-size', '100', '--attack-images', '20', '--threads', '1', '--quiet'];

/** Runs (timings dropped) and table rows of a report, and every run's checkpoint bytes. */
function reportOf(out: string) {
  const r = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const runs = r.runs.map(({ seconds: _, ...run }: { seconds: number }) => run);
  const checkpoints = Object.fromEntries(readdirSync(join(out, 'runs')).map((d) => [d, readFileSync(join(out, 'runs', d, 'checkpoint.a3t')).toString('base64')]));
  return { runs, rows: r.rows, checkpoints };
}

let local: Promise<ReturnType<typeof reportOf>> | undefined;
/** The TINY reproduction on this machine's worker processes, run once. */
const localReport = () =>
  (local ??= runA3t('reproduce', ...TINY, '--workers', '2', '--out', join(tmp, 'local')).then((r) => {
    assert.equal(r.code, 0, r.stderr);
    return reportOf(join(tmp, 'local'));
  }));

const finishedNames = (text: string) => [...text.matchAll(/^finished (\S+):/gm)].map((m) => m[1]);

test('a quick reproduce on 2 queue workers writes the report of the same reproduce run locally, bit for bit', { skip }, async () => {
  const ref = await localReport();
  const workers = [worker(0), worker(0)];
  const out = join(tmp, 'queue');
  const r = await runA3t('reproduce', ...TINY, '--queue', redis.url(0), '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(reportOf(out), ref);
  assert.ok(existsSync(join(out, 'runs', 'a3t-seed0', 'model.onnx')));
  const names = workers.map((w) => finishedNames(w.text()));
  assert.deepEqual(names.flat().sort(), ['a3t-seed0', 'plain-seed0']);
  assert.ok(names.every((n) => n.length > 0), `both workers took jobs: ${JSON.stringify(names)}`);
  // The heartbeat raises no false alarm while Redis is up (the workers' event loops blocked by compiles).
  for (const text of [r.stderr, ...workers.map((w) => w.text())]) assert.doesNotMatch(text, /Redis at/);
  const client = new Redis({ host: '127.0.0.1', port: redis.port, db: 0 });
  const left = await client.keys('a3t:data:*');
  client.disconnect();
  assert.deepEqual(left.map((k) => k.split(':').slice(0, 3).join(':')).sort(), ['a3t:data:blob', 'a3t:data:current', 'a3t:data:version'], 'states and results are dropped once written');
  const status = await runA3t('sweep', '--status', redis.url(0));
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^sweep [0-9a-f]{16}: 2\/2 done, 0 running, 0 waiting; elapsed \d+:\d\d, ETA 0:00\n$/);
  for (const w of workers) w.child.kill('SIGKILL');
});

test('a worker SIGKILLed mid-job: another resumes the job from its last saved epoch and the sweep ends identical', { skip }, async () => {
  const settings = ['--regimes', 'a3t', '--seeds', '2', '--epochs', '3', '--train-size', '2000', '--validation', '200', '--batch-size', '100', '--attack-images', '0', '--threads', '1', '--quiet'];
  const ref = runA3t('reproduce', ...settings, '--workers', '2', '--out', join(tmp, 'kill-local'));
  const [a, b] = [worker(1), worker(1)];
  const out = join(tmp, 'kill-queue');
  const coordinator = runA3t('reproduce', ...settings, '--queue', redis.url(1), '--out', out);
  const [, name] = await a.waitFor(/^(a3t-seed\d): state after epoch 1 saved$/m);
  a.child.kill('SIGKILL');
  const r = await coordinator;
  assert.equal(r.code, 0, r.stderr);
  assert.match(b.text(), new RegExp(`^${name}: resuming after epoch [12]$`, 'm'));
  assert.deepEqual(finishedNames(b.text()).sort(), ['a3t-seed0', 'a3t-seed1']);
  assert.equal((await ref).code, 0);
  assert.deepEqual(reportOf(out), reportOf(join(tmp, 'kill-local')));
  b.child.kill('SIGKILL');
});

test('a coordinator killed and started again with the same command finishes the sweep; no job runs twice', { skip }, async () => {
  const ref = await localReport();
  const w = worker(2);
  const out = join(tmp, 'restart');
  const first = a3t(['reproduce', ...TINY, '--queue', redis.url(2), '--out', out]);
  await waitUntil('the first run written to runs.jsonl', () => existsSync(join(out, 'runs.jsonl')) && readFileSync(join(out, 'runs.jsonl'), 'utf8').length > 0, 120_000);
  first.child.kill('SIGKILL');
  await first.exited;
  assert.ok(!existsSync(join(out, 'report.json')), 'killed before the report');
  const again = await runA3t('reproduce', ...TINY.filter((f) => f !== '--quiet'), '--queue', redis.url(2), '--out', out);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /continuing the sweep in/);
  assert.match(again.stderr, /the transfer surrogate from the earlier start/);
  assert.deepEqual(finishedNames(w.text()).sort(), ['a3t-seed0', 'plain-seed0']);
  assert.deepEqual(reportOf(out), ref);
  w.child.kill('SIGKILL');
});

test('a worker refuses bad job payloads (failing them with the reason) and keeps working', { skip }, async () => {
  const w = worker(3);
  await w.waitFor(/takes jobs from/);
  const queue = new Queue('sweep', { connection: { host: '127.0.0.1', port: redis.port, db: 3 }, prefix: 'a3t' });
  const job = makeJob(VERSION, 'plain', { epochs: 1, trainSize: 600, validation: 100, batchSize: 100 }, { testEps: 0.1, attackImages: 0 }, dataPrintOf(loadDataset()));
  const bad = {
    epochs: { ...job, config: { ...job.config, epochs: 0 } },
    path: { ...job, data: '/etc/passwd' },
    renamed: job,
  };
  for (const [id, data] of Object.entries(bad)) await queue.add('bad', data, { jobId: id });
  const reasons: Record<string, string> = {};
  for (const id of Object.keys(bad)) {
    await waitUntil(`the worker to fail the bad job '${id}'`, async () => (await queue.getJobState(id)) === 'failed', 30_000);
    reasons[id] = (await queue.getJob(id))!.failedReason;
  }
  await queue.close();
  assert.match(reasons.epochs, /^job refused: config: --epochs must be an integer from 1 to/);
  assert.match(reasons.path, /^job refused: unknown field 'data'/);
  assert.match(reasons.renamed, /^job refused: its settings hash to [0-9a-f]{32}, not to its id renamed$/);
  assert.equal(w.child.exitCode, null, 'the worker is still running');
  w.child.kill('SIGKILL');
});

test('an unreachable Redis, a wrong password or a queue of another a3t version: one line naming it, exit 1', { skip }, async () => {
  const closed = await freePort();
  const down = await runA3t('worker', '--queue', `redis://127.0.0.1:${closed}/0`);
  assert.equal(down.code, 1);
  assert.equal(down.stderr, `a3t worker: cannot use Redis at redis://127.0.0.1:${closed}/0: ECONNREFUSED\n`);
  const locked = await startRedis(['--requirepass', 'right-pw']);
  try {
    const wrong = await runA3t('sweep', '--status', `redis://:wrong-pw@127.0.0.1:${locked.port}/0`);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, `a3t sweep: cannot use Redis at redis://127.0.0.1:${locked.port}/0: it refused the user or password (set it in the URL or A3T_REDIS_PASSWORD)\n`);
    const right = a3t(['sweep', '--status', `redis://127.0.0.1:${locked.port}/0`], { A3T_REDIS_PASSWORD: 'right-pw' });
    assert.equal(await right.exited, 1);
    assert.equal(right.text(), `a3t sweep: the queue at redis://127.0.0.1:${locked.port}/0 holds no sweep yet\n`);
  } finally {
    await locked.stop();
  }
  const other = new Redis({ host: '127.0.0.1', port: redis.port, db: 4 });
  await other.set('a3t:data:version', '0.0.1-other');
  other.disconnect();
  const mismatch = await runA3t('worker', '--queue', redis.url(4));
  assert.equal(mismatch.code, 1);
  assert.equal(mismatch.stderr, `a3t worker: the queue at ${redis.url(4)} is used by a3t 0.0.1-other; this is a3t ${VERSION} (use one version for the coordinator and every worker, or another database)\n`);
});

test('rediss:// reaches a TLS-only Redis with a password, and names the certificate it cannot trust', { skip }, async (t) => {
  const [cert, key] = [join(tmp, 'cert.pem'), join(tmp, 'key.pem')];
  const openssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1']);
  if (openssl.error || openssl.status !== 0) return t.skip('openssl cannot make a test certificate here');
  const server = await startRedis(['--requirepass', 'tls-pw'], { cert, key });
  try {
    const url = server.url(0);
    assert.match(url, /^rediss:/);
    const trusted = a3t(['sweep', '--status', url], { NODE_EXTRA_CA_CERTS: cert, A3T_REDIS_PASSWORD: 'tls-pw' });
    assert.equal(await trusted.exited, 1);
    assert.equal(trusted.text(), `a3t sweep: the queue at ${url} holds no sweep yet\n`);
    const untrusted = a3t(['sweep', '--status', url], { A3T_REDIS_PASSWORD: 'tls-pw' });
    assert.equal(await untrusted.exited, 1);
    assert.equal(untrusted.text(), `a3t sweep: cannot use Redis at ${url}: DEPTH_ZERO_SELF_SIGNED_CERT\n`);
  } finally {
    await server.stop();
  }
});
