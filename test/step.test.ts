// Whole training steps: ONNX Runtime against the reference interpreter, the loop against single
// runs, and determinism of seeded training.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate } from '../src/engine/reference.js';
import { type Key, fold, keyFromSeed, uniform } from '../src/engine/rng.js';
import type { ModelConfig } from '../src/model/config.js';
import { paperDiscriminator } from '../src/model/discriminator.js';
import { presetNetwork } from '../src/model/presets.js';
import type { Objective } from '../src/objectives/objective.js';
import { ATTACKS } from '../src/attacks/spec.js';
import { adversarial } from '../src/objectives/adversarial.js';
import { trades } from '../src/objectives/trades.js';
import { adam } from '../src/optim/adam.js';
import type { Optimizer } from '../src/optim/optimizer.js';
import { sgd } from '../src/optim/sgd.js';
import { compile } from '../src/engine/runtime.js';
import { compileStep, initialValues, traceModels } from '../src/train/step.js';
import { closeness } from './helpers.js';

const MODEL: ModelConfig = { classifier: presetNetwork('mlp', { image: [1, 28, 28], classes: 10 }), discriminator: paperDiscriminator(256) };
const A3T = adversarial({ alpha: 0.5, beta: 1, eps: 0.1 });
/** A3T with these optimizers for both groups, and k discriminator updates per step. */
const a3tWith = (optimizer: () => Optimizer, updates = 1) => adversarial({ alpha: 0.5, beta: 1, eps: 0.1, optimizer: optimizer(), discriminator: { optimizer: optimizer(), updates } });

function batch(seed: number, steps: number, rows: number) {
  const x = uniform(keyFromSeed(seed), steps * rows * 784);
  const y = BigInt64Array.from({ length: steps * rows }, (_, i) => BigInt((i * 7 + seed) % 10));
  const keys: Key[] = Array.from({ length: steps }, (_, i) => fold(keyFromSeed(seed + 1), i));
  return { x, y, keys };
}

/** One step on ONNX Runtime and on the reference; `tolerance` null compares the metrics only (to 1e-3 relative). */
async function oneStepAgainstReference(objective: Objective, tolerance: { atol: number; rtol: number } | null) {
  const rows = 16;
  const step = await compileStep({ objective, model: MODEL, batchSize: rows, maxSteps: 1, threads: 1 });
  step.init(keyFromSeed(5));
  const { x, y, keys } = batch(3, 1, rows);
  const feeds: Record<string, ArrayLike<number>> = { x, y: Array.from(y, Number), step: [1] };
  step.noiseInputs.forEach((n, j) => (feeds[n.name] = uniform(fold(keys[0], j), n.size)));
  for (const name of step.program.stateNames) feeds[name] = Float32Array.from(step.program.state(name) as Float32Array);
  const names = Object.keys(step.graph.state);
  const metricNames = Object.keys(step.graph.metrics);
  const want = evaluate([...names.map((n) => step.graph.state[n]), ...metricNames.map((n) => step.graph.metrics[n])], feeds);
  const got = await step.run(x, y, keys);
  if (tolerance)
    names.forEach((n, i) => {
      const r = closeness(step.program.state(n) as Float32Array, want[i].data, tolerance.atol, tolerance.rtol);
      assert.ok(r <= 1, `state ${n}: closeness ${r}`);
    });
  const metricTolerance = (w: number) => (tolerance ? 1e-4 : 1e-3 * Math.max(1, Math.abs(w)));
  metricNames.forEach((n, i) => assert.ok(Math.abs(got[n][0] - want[names.length + i].data[0]) < metricTolerance(want[names.length + i].data[0]), `metric ${n}: ORT ${got[n][0]} vs reference ${want[names.length + i].data[0]}`));
  return got;
}

test('a whole A3T step (FGSM, discriminator, both SGD updates) on ONNX Runtime matches the reference interpreter', async () => {
  const m = await oneStepAgainstReference(a3tWith(() => sgd({ lr: 0.1, momentum: 0.9 })), { atol: 1e-6, rtol: 1e-4 });
  for (const k of ['acc.clean', 'acc.adv', 'dacc.clean', 'dacc.adv', 'loss.classifier', 'loss.discriminator']) assert.ok(k in m, `metric ${k} reported`);
});

test('a whole A3T step with Adam on ONNX Runtime matches the reference interpreter', async () => {
  // With ε = 1e-8 Adam's first step is ≈ lr·sign(g), which float32 and float64 may round to opposite
  // signs where |g| is tiny; a larger ε keeps the same graph smooth enough to compare.
  await oneStepAgainstReference(a3tWith(() => adam({ lr: 1e-3, eps: 1e-4 })), { atol: 2e-6, rtol: 1e-4 });
});

test('k = 2 discriminator updates per step: the unrolled step on ONNX Runtime matches the reference', async () => {
  await oneStepAgainstReference(a3tWith(() => adam({ lr: 1e-3, eps: 1e-4 }), 2), { atol: 2e-6, rtol: 1e-4 });
});

test('a whole PGD-AT step (10 PGD steps from a random start, SGD) on ONNX Runtime matches the reference', async () => {
  const pgdAt = adversarial({ alpha: 0, beta: 0, eps: 0.1, attack: { ...ATTACKS['pgd-10'] }, optimizer: sgd({ lr: 0.1 }) });
  const m = await oneStepAgainstReference(pgdAt, { atol: 1e-6, rtol: 1e-4 });
  assert.ok(m['acc.adv'][0] <= m['acc.clean'][0], `PGD examples are no easier than clean ones: ${m['acc.adv'][0]} vs ${m['acc.clean'][0]}`);
});

test('a TRADES step on ONNX Runtime reports the reference metrics; its loss holds β·KL', async () => {
  // Metrics only: TRADES starts 0.001 from x, where the KL's input gradient is tiny, so float32 and float64
  // disagree on the sign of some of its coordinates and the updated parameters differ slightly.
  const t = trades({ beta: 6, eps: 0.1, attack: { steps: 5, stepSize: 0.5 }, optimizer: sgd({ lr: 0.1 }) });
  const m = await oneStepAgainstReference(t, null);
  assert.ok(m['loss.kl'][0] > 0, `the inner maximisation finds a positive KL: ${m['loss.kl'][0]}`);
  assert.ok(m['loss.classifier'][0] > 6 * m['loss.kl'][0], 'the loss holds β·KL and a positive cross-entropy');
});

test('updates per step are validated', async () => {
  assert.throws(() => adversarial({ alpha: 0.5, beta: 1, eps: 0.1, discriminator: { updates: 0 } }), /discriminatorSteps \(--k\) must be an integer from 1 to 100, got 0/);
  const both: Objective = { ...A3T, groups: (m) => Object.fromEntries(Object.entries(A3T.groups(m)).map(([n, g]) => [n, { ...g, updates: 2 }])) };
  await assert.rejects(compileStep({ objective: both, model: MODEL, batchSize: 4, maxSteps: 1, threads: 1 }), /only one group may take several updates per step/);
});

async function train(seed: number, runs: number[], opts: { maxSteps: number } = { maxSteps: 4 }) {
  const rows = 32;
  const step = await compileStep({ objective: A3T, model: MODEL, batchSize: rows, maxSteps: opts.maxSteps, threads: 2 });
  step.init(keyFromSeed(seed));
  const metrics: number[] = [];
  const total = runs.reduce((a, b) => a + b, 0);
  const all = batch(100, total, rows);
  let at = 0;
  for (const k of runs) {
    const m = await step.run(all.x.subarray(at * rows * 784, (at + k) * rows * 784), all.y.subarray(at * rows, (at + k) * rows), all.keys.slice(at, at + k));
    metrics.push(...m['loss.classifier']);
    at += k;
  }
  return { params: Float32Array.from(step.program.state('classifier') as Float32Array), d: Float32Array.from(step.program.state('discriminator') as Float32Array), metrics, count: step.count };
}

test('k steps in one looped run equal k single-step runs, bit for bit', async () => {
  const looped = await train(1, [4, 2]);
  const single = await train(1, [1, 1, 1, 1, 1, 1]);
  assert.equal(looped.count, 6);
  assert.deepEqual(looped.metrics, single.metrics);
  assert.deepEqual(looped.params, single.params);
  assert.deepEqual(looped.d, single.d);
});

test('same seed gives identical parameters; another seed gives different ones', async () => {
  const a = await train(7, [3]);
  const b = await train(7, [3]);
  const c = await train(8, [3]);
  assert.deepEqual(a.params, b.params);
  assert.deepEqual(a.d, b.d);
  assert.notDeepEqual(a.params, c.params);
});

test('two models traced side by side into one graph train exactly as each does alone', async () => {
  const rows = 32;
  const seeds = [7, 8];
  const traced = traceModels({ objective: A3T, model: MODEL, batchSize: rows }, seeds.length);
  const program = await compile({ outputs: traced.metrics, state: traced.state, threads: 2, loop: true });
  const all = batch(100, 3, rows);
  const feeds: Record<string, Float32Array | BigInt64Array> = {};
  traced.models.forEach((t, m) => {
    for (const [n, v] of Object.entries(initialValues(t.groups, keyFromSeed(seeds[m])))) program.setState(n, v);
    Object.assign(feeds, { [t.named('x')]: all.x, [t.named('y')]: all.y, [t.named('step')]: Float32Array.of(1, 2, 3) });
    t.noiseInputs.forEach((n, j) => (feeds[n.name] = Float32Array.from(all.keys.flatMap((k) => Array.from(uniform(fold(k, j), n.size))))));
  });
  await program.run(feeds);
  for (const [m, seed] of seeds.entries()) {
    const alone = await train(seed, [3]);
    assert.deepEqual(Float32Array.from(program.state(`m${m}/classifier`) as Float32Array), alone.params, `model ${m}: classifier`);
    assert.deepEqual(Float32Array.from(program.state(`m${m}/discriminator`) as Float32Array), alone.d, `model ${m}: discriminator`);
  }
  assert.notDeepEqual(program.state('m0/classifier'), program.state('m1/classifier'));
  await program.release();
});

test('run refuses batches of the wrong size and too many steps', async () => {
  const step = await compileStep({ objective: A3T, model: MODEL, batchSize: 8, maxSteps: 2, threads: 1 });
  const { x, y, keys } = batch(1, 3, 8);
  await assert.rejects(step.run(x, y, keys), /run takes 1\.\.2 steps, got 3/);
  await assert.rejects(step.run(x.subarray(0, 100), y.subarray(0, 8), keys.slice(0, 1)), /1 steps need 6272 inputs and 8 labels, got 100 and 8/);
});

test('training steps learn: the plain loss on a repeated batch falls, and A3T moves both parameter groups', async () => {
  const rows = 32;
  const plain = await compileStep({ objective: adversarial({ alpha: 1, beta: 0, eps: 0.1 }), model: MODEL, batchSize: rows, maxSteps: 8, threads: 2 });
  plain.init(keyFromSeed(1));
  const one = batch(11, 1, rows);
  const x = new Float32Array(8 * rows * 784);
  const y = new BigInt64Array(8 * rows);
  for (let i = 0; i < 8; i++) {
    x.set(one.x, i * rows * 784);
    y.set(one.y, i * rows);
  }
  const keys = Array.from({ length: 8 }, (_, i) => fold(keyFromSeed(2), i));
  const first = (await plain.run(x, y, keys))['loss.classifier'];
  let last = first;
  for (let r = 0; r < 3; r++) last = (await plain.run(x, y, keys))['loss.classifier'];
  assert.ok(last[7] < first[0] / 10, `loss fell from ${first[0]} to ${last[7]}`);

  const a3t = await compileStep({ objective: A3T, model: MODEL, batchSize: rows, maxSteps: 8, threads: 2 });
  a3t.init(keyFromSeed(1));
  const before = { c: Float32Array.from(a3t.program.state('classifier') as Float32Array), d: Float32Array.from(a3t.program.state('discriminator') as Float32Array) };
  await a3t.run(x, y, keys);
  const moved = (a: Float32Array, b: ArrayLike<number>) => a.reduce((n, v, i) => n + +(v !== b[i]), 0) / a.length;
  assert.ok(moved(before.c, a3t.program.state('classifier') as Float32Array) > 0.5, 'most classifier parameters moved');
  assert.ok(moved(before.d, a3t.program.state('discriminator') as Float32Array) > 0.5, 'most discriminator parameters moved');
});
