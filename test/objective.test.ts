// The paper's objective family: the split gradient equals the gradient of the whole loss, and the
// regimes differ only in which terms they carry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../src/engine/grad.js';
import * as o from '../src/engine/ops.js';
import type { Tensor } from '../src/engine/tensor.js';
import { evaluate } from '../src/engine/reference.js';
import { keyFromSeed, split, uniform } from '../src/engine/rng.js';
import type { ModelConfig } from '../src/model/config.js';
import { paperDiscriminator } from '../src/model/discriminator.js';
import { network } from '../src/model/network.js';
import { presetNetwork } from '../src/model/presets.js';
import { paramGroup, initGroup } from '../src/nn/params.js';
import { DISCRIMINATOR_METRICS, adversarial } from '../src/objectives/adversarial.js';
import { metricValue } from '../src/objectives/objective.js';
import { closeness } from './helpers.js';

const SMALL = network(presetNetwork('mlp:hidden=16-12-8', { image: [1, 4, 5], classes: 10 }));
const MODEL: ModelConfig = { classifier: SMALL.spec, discriminator: { ...paperDiscriminator(12), hidden: 6 } };
const ROWS = 8;

function buildGraph(alpha: number, beta: number) {
  const objective = adversarial({ alpha, beta, eps: 0.1 });
  const declared = objective.groups(MODEL);
  const groups = Object.fromEntries(Object.entries(declared).map(([n, g]) => [n, paramGroup(n, g.specs, 'float64')]));
  const x = o.input('x', [ROWS, SMALL.features], 'float64');
  const y = o.input('y', [ROWS], 'int64');
  const params = Object.fromEntries(Object.entries(groups).map(([n, grp]) => [n, grp.views]));
  const w = { params: params.classifier };
  const classifier = { encode: (v: Tensor) => SMALL.encode(w, v), residual: (z: Tensor) => SMALL.residual(w, z), logits: (v: Tensor) => SMALL.logits(w, v) };
  const g = objective.build({ model: MODEL, x, y, onehot: o.oneHot(y, SMALL.classes, 'float64'), params, classifier, step: o.constant(1, [], 'float64'), noise: (name, shape) => o.input(`noise.${name}`, shape, 'float64') });
  const keys = split(keyFromSeed(4), 4);
  const feeds: Record<string, ArrayLike<number>> = {
    x: uniform(keys[0], ROWS * SMALL.features, new Float64Array(ROWS * SMALL.features)),
    y: Array.from({ length: ROWS }, (_, i) => i % SMALL.classes),
    'noise.dropout.clean': uniform(keys[1], ROWS * 6, new Float64Array(ROWS * 6)),
    'noise.dropout.adv': uniform(split(keys[1])[1], ROWS * 6, new Float64Array(ROWS * 6)),
  };
  for (const [i, [n, grp]] of Object.entries(groups).entries()) feeds[n] = initGroup(grp, keys[2 + i]);
  return { g, groups, feeds, objective, params, x, w };
}

for (const [alpha, beta] of [
  [0.5, 1],
  [1, 1],
  [0.5, 0],
  [0.3, 2],
]) {
  test(`α=${alpha}, β=${beta}: the split gradient equals the gradient of the whole classifier loss`, () => {
    const { g, groups, feeds } = buildGraph(alpha, beta);
    const views = Object.keys(groups.classifier.views).map((n) => groups.classifier.views[n]);
    const whole = grad(g.losses.classifier, views);
    const part = g.partial?.classifier;
    assert.ok(part, 'the adversarial objective differentiates its clean term during FGSM');
    const viaSplit = grad(part.rest, views, Object.keys(groups.classifier.views).map((n) => part.known[n]));
    const a = evaluate(whole, feeds);
    const b = evaluate(viaSplit, feeds);
    a.forEach((w, i) => assert.ok(closeness(b[i].data, w.data, 1e-12, 1e-9) <= 1, `parameter ${i}`));
    assert.ok(a.some((w) => w.data.some((v) => v !== 0)), 'gradients are not all zero');
  });
}

test('plain training has no adversarial or discriminator terms; A3T has all of them', () => {
  const plain = buildGraph(1, 0);
  assert.deepEqual(Object.keys(plain.g.losses), ['classifier']);
  assert.deepEqual(Object.keys(plain.g.metrics).sort(), ['acc.clean', 'loss.classifier']);
  const a3t = buildGraph(0.5, 1);
  assert.deepEqual(Object.keys(a3t.g.losses).sort(), ['classifier', 'discriminator']);
  assert.deepEqual(Object.keys(a3t.g.metrics).sort(), ['acc.adv', 'acc.clean', 'dacc.adv', 'dacc.clean', 'loss.classifier', 'loss.discriminator']);
  const [dAcc] = evaluate([a3t.g.metrics['dacc.clean']], a3t.feeds);
  assert.ok(dAcc.data[0] >= 0 && dAcc.data[0] <= 1);
});

test("an objective declares its metrics: A3T the discriminator's, under one key in its step metrics and its validation probes", () => {
  const plain = buildGraph(1, 0);
  assert.equal(plain.objective.metrics, undefined);
  assert.equal(plain.objective.probes, undefined);
  const a3t = buildGraph(0.5, 1);
  const keys = DISCRIMINATOR_METRICS.map((m) => m.key);
  assert.deepEqual(a3t.objective.metrics?.map((m) => m.key), keys);
  for (const k of keys) assert.ok(k in a3t.g.metrics, `step metric ${k}`);
  const z = SMALL.encode(a3t.w, a3t.x);
  const probes = a3t.objective.probes!({ model: MODEL, params: a3t.params, clean: z, adversarial: z });
  assert.deepEqual(Object.keys(probes), keys);
  // On the same features, 'says clean' and 'says attacked' are complements: each row counts in exactly one.
  const [clean, adv] = evaluate(keys.map((k) => o.cast(probes[k], 'float64')), a3t.feeds);
  assert.deepEqual(Array.from(clean.data, (v, i) => v + adv.data[i]), Array(ROWS).fill(1));
});

test('metricValue reads a metric under its key, or under the key validation used before (committed reports)', () => {
  const [clean, adv] = DISCRIMINATOR_METRICS;
  assert.equal(metricValue({ 'dacc.clean': 0.25, dClean: 0.5 }, clean), 0.25);
  assert.equal(metricValue({ dClean: 0.5, dAdv: 0.75 }, clean), 0.5);
  assert.equal(metricValue({ dClean: 0.5, dAdv: 0.75 }, adv), 0.75);
  assert.equal(metricValue({ clean: 1 }, adv), undefined);
});

test('the objective rejects α outside [0, 1], β < 0 and ε outside [0, 1]', () => {
  assert.throws(() => adversarial({ alpha: 1.5, beta: 0, eps: 0.1 }), /--alpha must be a number in \[0, 1\], got 1.5/);
  assert.throws(() => adversarial({ alpha: 0.5, beta: -1, eps: 0.1 }), /--beta must be a number in \[0, 1e6\], got -1/);
  assert.throws(() => adversarial({ alpha: 0.5, beta: 1, eps: 2 }), /trainEps \(--train-eps\) must be a number in \[0, 1\], got 2/);
});
