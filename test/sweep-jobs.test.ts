// Sweep jobs without a queue: the worker's checks of a job payload against the command line's, job
// keys, sweep specs expanded to jobs, the --queue URL (the password never shown), and a small local sweep.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Dataset } from '../src/data/dataset.js';
import { type SweepJob, checkJobData, dataPrintOf, jobKey, makeJob, parseJob } from '../src/sweep/job.js';
import { parseQueueAddress } from '../src/sweep/queue-address.js';
import { parseSweepSpec, sweepJobs } from '../src/sweep/spec.js';
import { statusLine } from '../src/sweep/status.js';
import { runA3t } from './run-cli.js';

const V = '9.9.9';
const tmp = mkdtempSync(join(os.tmpdir(), 'a3t-sweep-jobs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const PRINT = '60000+10000:0123abcd';
const good = (): SweepJob => makeJob(V, 'a3t', { epochs: 2, seed: 3 }, { testEps: 0.1, attackImages: 0 }, PRINT);
const refusal = (raw: unknown): string => {
  try {
    parseJob(raw, V);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

test('a worker refuses a setting with the message the command line gives for its flag', async () => {
  const cli = await runA3t('reproduce', '--epochs', '0', '--regimes', 'plain');
  assert.equal(cli.code, 2);
  const flagMessage = cli.stderr.trim().replace(/^a3t reproduce: /, '');
  const job = good();
  assert.equal(refusal({ ...job, config: { ...job.config, epochs: 0 } }), `job refused: config: ${flagMessage}`);
});

test('a job payload is refused for every field out of shape, naming the field and what it expects', () => {
  const job = good();
  const cases: Array<[unknown, RegExp]> = [
    ['train everything', /expected an object/],
    [{ ...job, data: '/etc/passwd' }, /unknown field 'data'/],
    [{ ...job, config: { ...job.config, dataDir: '/tmp' } }, /unknown setting 'dataDir'/],
    [{ ...job, config: { ...job.config, threads: 8 } }, /config.threads must be 0/],
    [{ ...job, version: '0.0.1' }, /made by a3t "0.0.1", this worker is a3t 9.9.9/],
    [{ ...job, group: '../up' }, /group must be/],
    [{ ...job, seed: 4 }, /seed 4 differs from the config's seed 3/],
    [{ ...job, eval: { ...job.eval, attackImages: 1e6 } }, /eval.attackImages must be an integer from 0 to 10000/],
    [{ ...job, eval: { ...job.eval, testEps: 'x' } }, /eval.testEps must be a number in \[0, 1\]/],
    [{ ...job, eval: { ...job.eval, surrogate: '/tmp/model' } }, /eval.surrogate must be a SHA-256/],
    [{ ...job, eval: { ...job.eval, script: 'rm -rf /' } }, /unknown field 'eval.script'/],
    [{ ...job, dataPrint: '/data/mnist' }, /dataPrint must be 'TRAIN\+TEST:CRC32'/],
  ];
  for (const [raw, want] of cases) assert.match(refusal(raw), want, JSON.stringify(raw).slice(0, 120));
  assert.equal(refusal(JSON.parse(JSON.stringify(job))), 'accepted', 'a job survives its trip through JSON');
  // The model and the sizes are checked against the worker's data, as the command line checks them against its own.
  const mnist = { shape: [28, 28], classes: 10, train: { count: 60000 }, test: { count: 10000 } } as unknown as Dataset;
  assert.throws(() => checkJobData({ ...job, config: { ...job.config, model: '../../etc/passwd' } }, mnist, PRINT), /job refused: config: .*'\.\.\/\.\.\/etc\/passwd'/);
  assert.throws(() => checkJobData({ ...job, config: { ...job.config, trainSize: 70000 } }, mnist, PRINT), /job refused: config: trainSize \(--train-size\) must be at most 55000/);
  assert.doesNotThrow(() => checkJobData(job, mnist, PRINT));
  assert.throws(() => checkJobData(job, mnist, '60000+10000:ffffffff'), /job refused: made for data 60000\+10000:0123abcd \(training\+test images:CRC-32\), this worker has 60000\+10000:ffffffff; give the worker the coordinator's data with --data DIR/);
});

test('job keys follow the settings only: key order does not matter, a changed setting does', () => {
  const job = good();
  const reordered = { ...job, config: Object.fromEntries(Object.entries(job.config).reverse()) as SweepJob['config'] };
  assert.equal(jobKey(reordered), jobKey(job));
  assert.equal(jobKey({ ...job, group: 'renamed' }), jobKey(job));
  assert.notEqual(jobKey(makeJob(V, 'a3t', { epochs: 2, seed: 4 }, job.eval, PRINT)), jobKey(job));
  assert.notEqual(jobKey({ ...job, dataPrint: '60000+10000:ffffffff' }), jobKey(job));
  assert.notEqual(jobKey({ ...job, eval: { ...job.eval, testEps: 0.2 } }), jobKey(job));
});

test('a sweep spec expands to grid points × seeds, regimes included; bad specs name the field', () => {
  const spec = parseSweepSpec(JSON.stringify({ settings: { epochs: 2 }, grid: { regime: ['at', 'a3t'], trainEps: [0.1, 0.3] }, seeds: 2 }), 'spec.json');
  const jobs = sweepJobs(spec, V, 'spec.json', PRINT);
  assert.equal(jobs.length, 8);
  assert.deepEqual([...new Set(jobs.map((j) => j.group))], ['regime=at,trainEps=0.1', 'regime=at,trainEps=0.3', 'regime=a3t,trainEps=0.1', 'regime=a3t,trainEps=0.3']);
  const a3t = jobs.find((j) => j.group === 'regime=a3t,trainEps=0.3' && j.seed === 1)!;
  assert.deepEqual({ alpha: a3t.config.alpha, beta: a3t.config.beta, trainEps: a3t.config.trainEps, epochs: a3t.config.epochs }, { alpha: 0.5, beta: 1, trainEps: 0.3, epochs: 2 });
  assert.equal(new Set(jobs.map(jobKey)).size, 8);
  const bad: Array<[unknown, RegExp]> = [
    [{ grid: { alpha: 0.5 } }, /grid.alpha must be a non-empty list/],
    [{ seeds: 0 }, /seeds must be a count from 1 to 1000/],
    [{ eval: { attacks: ['pgd'] } }, /unknown field 'eval.attacks'/],
    [{ setting: {} }, /unknown field 'setting'/],
  ];
  for (const [raw, want] of bad) assert.throws(() => parseSweepSpec(JSON.stringify(raw), 'spec.json'), want);
  const outOfRange = parseSweepSpec(JSON.stringify({ grid: { alpha: [0.5, 2] } }), 'spec.json');
  assert.throws(() => sweepJobs(outOfRange, V, 'spec.json', PRINT), /spec.json: grid point alpha=2, seed 0: --alpha must be a number in \[0, 1\], got 2/);
});

test('--queue URLs: TLS, database, the password from the URL or A3T_REDIS_PASSWORD and never in a message', () => {
  const a = parseQueueAddress('rediss://:s3cret@queue.example:6380/2', {});
  assert.deepEqual(a.options, { host: 'queue.example', port: 6380, db: 2, username: undefined, password: 's3cret', tls: { servername: 'queue.example' } });
  assert.equal(a.display, 'rediss://queue.example:6380/2');
  assert.equal(parseQueueAddress('redis://10.0.0.5', { A3T_REDIS_PASSWORD: 'envpw' }).options.password, 'envpw');
  assert.equal(parseQueueAddress('redis://10.0.0.5', {}).display, 'redis://10.0.0.5/0');
  for (const [url, want] of [
    ['http://u:s3cret@host/0', /the scheme must be redis or rediss, not http, got 'http:\/\/u:\*\*\*@host\/0'/],
    ['redis://:s3cret@host/db0', /the path must be a database number, got 'redis:\/\/:\*\*\*@host\/db0'/],
    ['localhost:6379', /the scheme must be redis or rediss/],
  ] as const) {
    assert.throws(() => parseQueueAddress(url, {}), (e: Error) => want.test(e.message) && !e.message.includes('s3cret'));
  }
});

test('a3t sweep SPEC.json without --queue: one run directory per job and a table per grid point', async () => {
  const spec = join(tmp, 'spec.json');
  writeFileSync(spec, JSON.stringify({ settings: { epochs: 1, trainSize: 600, validation: 100, batchSize: 100, regime: 'at' }, grid: { trainEps: [0.1, 0.2] }, seeds: 1 }));
  const out = join(tmp, 'sweep');
  const r = await runA3t('sweep', spec, '--out', out, '--workers', '1', '--json', '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.rows.map((row: { group: string }) => row.group), ['trainEps=0.1', 'trainEps=0.2']);
  assert.deepEqual(readdirSync(join(out, 'runs')).sort(), ['trainEps=0.1-seed0', 'trainEps=0.2-seed0']);
  const summary = JSON.parse(readFileSync(join(out, 'runs', 'trainEps=0.2-seed0', 'summary.json'), 'utf8'));
  assert.equal(summary.test.clean, report.runs[1].test.clean);
  const again = await runA3t('sweep', join(tmp, 'missing.json'), '--out', out);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /missing.json: cannot read the sweep spec \(ENOENT\)/);
  writeFileSync(spec, JSON.stringify({ grid: { trainEps: [0.1] } }));
  const other = await runA3t('sweep', spec, '--out', out);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /already holds a report; choose another --out or pass --force/);
});

test('the status line: jobs by state, samples/s per worker, elapsed time and the ETA at the pace so far', () => {
  const status = { total: 8, done: 2, running: 2, waiting: 4, failed: 0, progress: 3, workers: { 'a:1': 4200.4, 'b:2': 3900 } };
  const meta = { id: 'x', started: 0, keys: [], names: [] };
  // 3 of 8 runs' worth done in 60 s: 5 more take 100 s.
  assert.equal(statusLine(status, meta, 60_000), '2/8 done, 2 running, 4 waiting; a:1 4,200 samples/s, b:2 3,900 samples/s; elapsed 1:00, ETA 1:40');
  assert.equal(statusLine({ ...status, progress: 0, workers: {} }, meta, 5_000), '2/8 done, 2 running, 4 waiting; elapsed 0:05, ETA --:--');
  assert.match(statusLine({ ...status, failed: 1 }, { ...meta, finished: 30_000 }, 99_000), /, 1 FAILED; .*elapsed 0:30, ETA 0:50$/);
});

test("a data print: a split that indexes another's rows prints like the same rows stored in order", () => {
  const pixels = Uint8Array.from({ length: 6 * 4 }, (_, i) => (i * 37) % 251);
  const labels = Uint8Array.of(1, 2, 3);
  const rows = Int32Array.of(4, 0, 2);
  const copied = Uint8Array.from([...rows].flatMap((r) => [...pixels.subarray(r * 4, r * 4 + 4)]));
  const test = { pixels: Uint8Array.of(9, 9, 9, 9), labels: Uint8Array.of(0), count: 1, features: 4 };
  const print = (train: Dataset['train']) => dataPrintOf({ train, test } as unknown as Dataset);
  assert.equal(print({ pixels, rows, labels, count: 3, features: 4 }), print({ pixels: copied, labels, count: 3, features: 4 }));
  assert.notEqual(print({ pixels, rows: Int32Array.of(0, 4, 2), labels, count: 3, features: 4 }), print({ pixels: copied, labels, count: 3, features: 4 }));
});
