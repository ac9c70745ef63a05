// Runs that survive faults, for real: a training process killed with SIGKILL and resumed ends with the
// same bits as one never interrupted; a damaged latest state falls back to the previous one; a run
// that diverges stops with where, leaving its last state intact. In-process: the same on a tiny model.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readCheckpoint } from '../src/io/checkpoint-file.js';
import { DivergenceError } from '../src/train/guard.js';
import { type TrainConfig, makeConfig } from '../src/train/config.js';
import { type TrainState, train } from '../src/train/loop.js';
import { readState } from '../src/train/state-file.js';
import { TINY, synthetic, syntheticDataset } from './helpers.js';
import { waitUntil } from './poll.js';
import { runA3t, startA3t } from './run-cli.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'a3t-resume-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SMALL = ['--train-size', '3000', '--validation', '500', '--epochs', '4', '--threads', '1'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noTimes = (s: string) => s.replace(/"(seconds|samplesPerSecond)":[0-9.e+-]+/g, '');
const whole = join(tmp, 'whole');

/** The trained model's files of two runs are the same bytes. */
function assertSameModel(a: string, b: string): void {
  for (const f of ['checkpoint.a3t', 'model.onnx']) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} of ${b} differs from ${a}`);
}

/** Train into `name` and into a copy killed with SIGKILL after its first checkpoint, then resumed; both end the same. */
async function killAndResume(name: string, args: readonly string[]): Promise<void> {
  const dir = join(tmp, name);
  const killed = join(tmp, `${name}-killed`);
  const uninterrupted = startA3t(['train', ...args, '--out', dir]).done;
  const run = startA3t(['train', ...args, '--out', killed]);
  await waitUntil(`the first checkpoint of ${name} (a3t train exited early: ${run.child.exitCode})`, () => existsSync(join(killed, 'state.a3t')) || run.child.exitCode !== null, 120_000, 10);
  assert.equal(run.child.exitCode, null, `a3t train stopped before its first checkpoint:\n${run.output()}`);
  await sleep(150);
  run.child.kill('SIGKILL');
  assert.equal((await run.done).signal, 'SIGKILL');
  assert.ok(!existsSync(join(killed, 'summary.json')), 'the run was killed before it finished');
  const at = readState(join(killed, 'state.a3t')).epoch;
  assert.ok(at >= 1 && at < 4, `killed after epoch ${at}`);

  const resumed = await runA3t('train', '--resume', killed);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming .*killed after epoch ${at} of 4`));
  const full = await uninterrupted;
  assert.equal(full.code, 0, full.stderr);
  assertSameModel(dir, killed);
  assert.deepEqual(readCheckpoint(join(killed, 'state.a3t')).tensors, readCheckpoint(join(dir, 'state.a3t')).tensors, 'optimizer state too');
  assert.equal(noTimes(readFileSync(join(killed, 'metrics.jsonl'), 'utf8')), noTimes(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')));
  assert.equal(JSON.parse(readFileSync(join(killed, 'summary.json'), 'utf8')).resumedAfter, at);
}

test('a run killed with SIGKILL mid-epoch, resumed with --resume, ends bit-identical to an uninterrupted run', () => killAndResume('whole', SMALL));

test('a cnn-small run with batch norm killed with SIGKILL and resumed ends bit-identical too (running statistics included)', async () => {
  const cnn = join(tmp, 'cnn-bn.json');
  writeFileSync(cnn, JSON.stringify({ layers: [{ type: 'conv2d', filters: 8, kernel: 4, stride: 2, padding: 1 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'conv2d', filters: 16, kernel: 4, stride: 2, padding: 1 }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 10 }] }));
  await killAndResume('cnn', [...SMALL, '--model', 'cnn-small', '--regime', 'pgd-at', '--attack-steps', '2']);
  await killAndResume('cnn-bn', [...SMALL, '--model', cnn]);
  assert.ok(readCheckpoint(join(tmp, 'cnn-bn', 'checkpoint.a3t')).tensors.stats, 'the checkpoint holds the running statistics');
});

test('a damaged latest state falls back to the previous one, saying so, and still ends bit-identical', async () => {
  const dir = join(tmp, 'damaged');
  cpSync(whole, dir, { recursive: true });
  for (const f of ['checkpoint.a3t', 'model.onnx', 'summary.json']) rmSync(join(dir, f));
  const state = join(dir, 'state.a3t');
  const bytes = readFileSync(state);
  bytes[bytes.length - 1000] ^= 0x10;
  writeFileSync(state, bytes);
  const r = await runA3t('train', '--resume', dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /state\.a3t: not a usable a3t checkpoint: checksum mismatch/);
  assert.match(r.stderr, /resuming from the previous state instead, .*state\.prev\.a3t/);
  assert.match(r.stderr, /after epoch 3 of 4/);
  assertSameModel(whole, dir);
  assert.ok(existsSync(join(dir, 'state.damaged.a3t')), 'the damaged state is kept aside');
  assert.equal(readState(join(dir, 'state.prev.a3t')).epoch, 3, 'the good previous state was not rotated away');

  // Both damaged: refused, naming both files, exit code 1.
  truncateSync(join(dir, 'state.prev.a3t'), 100);
  bytes[bytes.length - 1000] ^= 0x10;
  writeFileSync(state, bytes.subarray(0, 5000));
  const both = await runA3t('train', '--resume', dir);
  assert.equal(both.code, 1, both.stderr);
  assert.match(both.stderr, /^a3t train: cannot resume .*: .*state\.a3t: .*checksum mismatch.*; .*state\.prev\.a3t: .*checksum mismatch/);
  assert.equal(both.stderr.trim().split('\n').length, 1, both.stderr);
});

test('a diverging run stops with the epoch, step and tensor, exit code 1, its last state intact', async () => {
  const dir = join(tmp, 'diverged');
  // SGD at this rate, with FGSM examples at ε = 0.25, overflows in the second epoch (the first is finished and saved).
  const r = await runA3t('train', ...SMALL, '--optimizer', 'sgd', '--lr', '0.3', '--train-eps', '0.25', '--out', dir);
  assert.equal(r.code, 1, r.stderr);
  const m = /^a3t train: training diverged in epoch (\d+) at step \d+ of 23 \(step \d+ of the run\): (loss\.\w+ is (NaN|-?Infinity)|parameter tensor '\w+' holds (NaN|-?Infinity) at element \d+); (.*)$/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const epoch = Number(m[1]);
  assert.ok(epoch >= 2, `diverged in epoch ${epoch}: the test needs a saved state before it`);
  assert.match(m[5], new RegExp(`state\\.a3t still holds the state after epoch ${epoch - 1}`));
  assert.equal(readState(join(dir, 'state.a3t')).epoch, epoch - 1, 'the saved state loads, with every value finite');
  for (const f of ['checkpoint.a3t', 'model.onnx', 'summary.json']) assert.ok(!existsSync(join(dir, f)), `no ${f} from a diverged run`);
});

test('--resume refuses other settings, --out and --force, a missing directory and one without a state', async () => {
  const dir = join(tmp, 'whole');
  const empty = join(tmp, 'empty-run');
  cpSync(whole, empty, { recursive: true });
  for (const f of ['state.a3t', 'state.prev.a3t']) rmSync(join(empty, f));
  const cases: Array<[string[], number, RegExp]> = [
    [['--lr', '0.01'], 2, /--lr 0\.01 does not match the run being resumed \(.*whole has lr 0\.001\); leave it out, or start a new run/],
    [['--regime', 'at'], 2, /--regime at does not match the run being resumed \(.*whole has (alpha 0\.5|beta 1)\)/],
    [['--epochs', '4', '--seed', '0', '--regime', 'a3t', '--alpha', '0.5', '--lr', '1'], 2, /--lr 1 does not match/],
    [['--out', join(tmp, 'elsewhere')], 2, /--out cannot be combined with --resume: the run continues in .*whole/],
    [['--force'], 2, /--force cannot be combined with --resume/],
  ];
  const runs = await Promise.all([
    ...cases.map(([extra]) => runA3t('train', '--resume', dir, ...extra)),
    runA3t('train', '--resume', join(tmp, 'nowhere')),
    runA3t('train', '--resume', empty),
    runA3t('train', '--out', dir, ...SMALL),
  ]);
  cases.forEach(([extra, code, pattern], i) => {
    assert.equal(runs[i].code, code, `${extra.join(' ')}: ${runs[i].stderr}`);
    assert.match(runs[i].stderr, pattern);
    assert.equal(runs[i].stderr.trim().split('\n').length, 1, runs[i].stderr);
  });
  const [nowhere, noState, occupied] = runs.slice(cases.length);
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.stderr, /nowhere: run directory not found/);
  assert.equal(noState.code, 1);
  assert.match(noState.stderr, /empty-run: no training state to resume \(state\.a3t not found\)/);
  assert.equal(occupied.code, 1);
  assert.match(occupied.stderr, /whole already holds a run; resume it with --resume .*whole, choose another --out or pass --force/);
});

// ---- in process, on a tiny model ------------------------------------------------------------------

const data = syntheticDataset();

async function statesOf(settings: Partial<TrainConfig>, from?: TrainState) {
  const states: TrainState[] = [];
  const result = await train(settings, data, { onCheckpoint: (s) => states.push(s) }, from);
  return { result, states };
}

test('train() resumed from any saved epoch ends bit-identical; a state from other data or settings is refused', async () => {
  const { result, states } = await statesOf(TINY);
  assert.deepEqual(states.map((s) => [s.epoch, s.steps]), [[1, 10], [2, 20], [3, 30]]);
  for (const from of states.slice(0, 2)) {
    const resumed = await statesOf(TINY, from);
    assert.deepEqual(resumed.result.params, result.params, `resumed after epoch ${from.epoch}`);
    assert.deepEqual(resumed.states.at(-1)!.tensors, states.at(-1)!.tensors);
    assert.equal(resumed.result.history.length, 3);
  }
  const other = { ...data, train: synthetic(300, 12, 3, 9) };
  await assert.rejects(train(TINY, other, {}, states[0]), /resume: the data differs from the run's/);
  await assert.rejects(train({ ...TINY, lr: 0.01 }, data, {}, states[0]), /resume: the saved state has lr 0\.001, this run 0\.01/);
  // Every other epoch, and always after the last.
  const sparse = await train({ ...TINY, epochs: 5 }, data, { checkpointEvery: 2, onCheckpoint: (s) => states.push(s) });
  assert.deepEqual(states.slice(3).map((s) => s.epoch), [2, 4, 5]);
  assert.equal(sparse.history.length, 5);
});

test('a NaN injected into the state stops train() naming the epoch, the step and the tensor', async () => {
  const config = makeConfig({ ...TINY, stepsPerRun: 1 });
  const { states } = await statesOf(config);
  // In a parameter: the first loss computed with it is NaN.
  const params = { ...states[0], tensors: { ...states[0].tensors, classifier: states[0].tensors.classifier.map((v, i) => (i === 7 ? NaN : v)) } };
  await assert.rejects(train(config, data, {}, params), (e: Error) => e instanceof DivergenceError && /^training diverged in epoch 2 at step 1 of 10 \(step 11 of the run\): loss\.\w+ is NaN$/.test(e.message));
  // In an optimizer slot: the update spreads it into the parameters, caught right after the step.
  const slot = { ...states[0], tensors: { ...states[0].tensors, 'classifier.m': states[0].tensors['classifier.m'].map((v, i) => (i === 3 ? Infinity : v)) } };
  await assert.rejects(train(config, data, {}, slot), (e: Error) => e instanceof DivergenceError && /^training diverged in epoch 2 at step 1 of 10 \(step 11 of the run\): parameter tensor 'classifier' holds (NaN|-?Infinity) at element 3$/.test(e.message));
});
