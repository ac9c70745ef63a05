// Networks as values: presets, model descriptions checked with errors that name the layer and field,
// training-mode layers (batch-norm statistics, dropout masks), a whole PGD-AT step of cnn-small on
// ONNX Runtime against the reference, and the exported ONNX model against our own logits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { ATTACKS } from '../src/attacks/spec.js';
import { imagesOf } from '../src/data/selection.js';
import * as o from '../src/engine/ops.js';
import { evaluate } from '../src/engine/reference.js';
import { fold, keyFromSeed, uniform } from '../src/engine/rng.js';
import { compile } from '../src/engine/runtime.js';
import { A3tError } from '../src/errors.js';
import { compileLogits } from '../src/eval/predict.js';
import { networkModel } from '../src/eval/model.js';
import type { ModelConfig } from '../src/model/config.js';
import { paperDiscriminator } from '../src/model/discriminator.js';
import { inferenceModel } from '../src/model/export.js';
import { type DataShape, network, resolveNetwork } from '../src/model/network.js';
import { presetNetwork } from '../src/model/presets.js';
import { initGroup, paramGroup, specsSize } from '../src/nn/params.js';
import { adversarial } from '../src/objectives/adversarial.js';
import { sgd } from '../src/optim/sgd.js';
import { compileStep } from '../src/train/step.js';
import { train } from '../src/train/loop.js';
import { TINY, closeness, syntheticDataset } from './helpers.js';

const MNIST: DataShape = { image: [1, 28, 28], classes: 10 };

test('the presets have the published parameter counts and read the documented layers', () => {
  const count = (name: string) => specsSize(network(presetNetwork(name, MNIST)).params);
  // 784·512+512 + 512·256+256 + 256·128+128 + 128·10+10; Wong et al.'s and Madry et al.'s models.
  assert.equal(count('mlp'), 567_434);
  assert.equal(count('cnn-small'), 166_406);
  assert.equal(count('cnn-madry'), 3_274_634);
  assert.equal(network(presetNetwork('mlp', MNIST)).featureSize, 256, 'the paper reads hidden layer 2');
  assert.equal(network(presetNetwork('cnn-small', MNIST)).featureSize, 32 * 7 * 7);
  assert.equal(network(presetNetwork('cnn-madry', MNIST)).featureSize, 64 * 7 * 7);
  assert.deepEqual(network(presetNetwork('cnn-madry', MNIST)).shapes.map((s) => s.join('×')), ['32×28×28', '32×28×28', '32×14×14', '64×14×14', '64×14×14', '64×7×7', '3136', '1024', '1024', '10']);
  const small = presetNetwork('mlp:hidden=8-6,slope=0.2,layer=1', { image: [1, 3, 4], classes: 3 });
  assert.deepEqual(small.layers.map((l) => l.name), ['l1', 'h1', 'l2', 'h2', 'l3']);
  assert.equal(small.layer, 'h1');
  assert.deepEqual(small.input, [12]);
});

test('a model description is checked layer by layer; errors name the layer, its field and what it accepts', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ layers: [{ type: 'dense', units: 10 }] }, /layer 1 \(dense\) needs a flat input \[features\], got \[1, 28, 28\]: put a flatten layer before it/],
    [{ layers: [{ type: 'conv', filters: 4 }] }, /layer 1: unknown type "conv"; expected one of dense, conv2d, maxPool2d/],
    [{ layers: [{ type: 'flatten' }, { type: 'dense', units: 0 }] }, /layer 2 \(dense\): units must be an integer from 1 to 65536, got 0/],
    [{ layers: [{ type: 'conv2d', filters: 4, kernel: 3, strid: 2 }] }, /layer 1 \(conv2d\): unknown field 'strid'; conv2d takes name, filters, kernel, stride, padding, dilation, groups/],
    [{ layers: [{ type: 'conv2d', filters: 4, kernel: 30 }] }, /layer 1 \(conv2d\) a 30×30 convolution window .* does not fit the 28×28 input/],
    [{ layers: [{ type: 'conv2d', filters: 6, kernel: 3, groups: 4 }] }, /filters \(6\) must be a multiple of groups \(4\)/],
    [{ layers: [{ type: 'conv2d', filters: 4, kernel: 3, groups: 2 }] }, /has groups 2, which does not divide its 1 input channels/],
    [{ layers: [{ type: 'leakyRelu', slope: 1 }] }, /layer 1 \(leakyRelu\): slope must be a number in \[0, 1\), got 1/],
    [{ layers: [{ type: 'flatten', name: 'a' }, { type: 'relu', name: 'a' }] }, /layer 2 \('a'\): the name 'a' is taken by an earlier layer/],
    [{ layers: [{ type: 'flatten' }, { type: 'dense', units: 7 }] }, /the last layer gives \[7\] per example; a classifier of 10 classes must end in \[10\]/],
    [{ input: [784], layers: [{ type: 'dense', units: 10 }] }, /has no layer before its last dense layer for the discriminator to read/],
    [{ layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }], layer: 'nope' }, /layer "nope" \(where the discriminator reads\) names no layer; layers: flatten1, dense1/],
    [{ input: [3, 28, 28], layers: [] }, /input \[3, 28, 28\] holds 2352 values per example, the data's images 1×28×28 hold 784/],
    [{ layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }], extra: 1 }, /unknown field 'extra' \(a model has input, layers, layer\)/],
  ];
  for (const [raw, pattern] of bad) assert.throws(() => resolveNetwork(raw, 'mine.json', MNIST), (e: unknown) => e instanceof A3tError && e.kind === 'input' && e.message.startsWith('mine.json: ') && pattern.test(e.message), String(pattern));
  const ok = resolveNetwork({ layers: [{ type: 'conv2d', filters: 4, kernel: 3, stride: 2 }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 10 }] }, 'mine.json', MNIST);
  assert.deepEqual(ok.layers.map((l) => l.name), ['conv2d1', 'relu1', 'flatten1', 'dense1']);
  assert.equal(ok.layer, 'flatten1', 'by default the discriminator reads the input of the last dense layer');
  assert.deepEqual(ok.input, [1, 28, 28]);
});

/** A little CNN with batch norm and dropout, on 4×4 images of 3 classes. */
const BN_NET = resolveNetwork(
  {
    layers: [
      { type: 'conv2d', name: 'c', filters: 2, kernel: 2 },
      { type: 'batchNorm', name: 'bn', momentum: 0.25 },
      { type: 'relu', name: 'r' },
      { type: 'flatten', name: 'f' },
      { type: 'dropout', name: 'd', rate: 0.5 },
      { type: 'dense', name: 'out', units: 3 },
    ],
    layer: 'r',
  },
  'bn-net',
  { image: [1, 4, 4], classes: 3 },
);

test('batch norm: a training step moves the running statistics by the momentum towards the clean batch statistics', async () => {
  const model: ModelConfig = { classifier: BN_NET, discriminator: paperDiscriminator(network(BN_NET).featureSize) };
  const rows = 8;
  const step = await compileStep({ objective: adversarial({ alpha: 1, beta: 0, eps: 0.1, optimizer: sgd({ lr: 0.1 }) }), model, batchSize: rows, maxSteps: 1, threads: 1 });
  step.init(keyFromSeed(3));
  assert.deepEqual(Array.from(step.program.state('stats') as Float32Array), [0, 0, 1, 1], 'running means start at 0, variances at 1');
  const params = Float32Array.from(step.program.state('classifier') as Float32Array);
  const x = uniform(keyFromSeed(4), rows * 16);
  await step.run(x, BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % 3)), [keyFromSeed(5)]);
  // The conv output's per-channel mean and unbiased variance over the batch, from the reference interpreter.
  const net = network(BN_NET);
  const group = paramGroup('classifier', net.params);
  const conv = o.conv2d(o.reshape(o.input('x', [rows, 16]), [rows, 1, 4, 4]), group.views['c.w'], group.views['c.b']);
  const [y] = evaluate([conv], { x, classifier: params });
  const n = rows * 9;
  const expected: number[] = [];
  for (const which of ['mean', 'var'])
    for (let c = 0; c < 2; c++) {
      const v: number[] = [];
      for (let r = 0; r < rows; r++) for (let k = 0; k < 9; k++) v.push(y.data[(r * 2 + c) * 9 + k]);
      const mean = v.reduce((a, b) => a + b, 0) / n;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
      expected.push(which === 'mean' ? 0.25 * mean : 0.75 + 0.25 * variance);
    }
  const got = Array.from(step.program.state('stats') as Float32Array);
  assert.ok(closeness(got, expected, 1e-6, 1e-5) <= 1, `stats ${got} vs ${expected}`);
  await step.program.release();
});

test('inference ignores dropout (deterministic) and normalises with the running statistics it is given', async () => {
  const net = network(BN_NET);
  const p = initGroup(paramGroup('classifier', net.params), keyFromSeed(1));
  const stats = Float32Array.of(0.1, -0.2, 2, 0.5);
  const logits = await compileLogits(networkModel(BN_NET, { classifier: p, stats }).arch, { threads: 1 });
  const x = uniform(keyFromSeed(2), 5 * 16);
  const a = await logits.run(networkModel(BN_NET, { classifier: p, stats }), x, 5);
  const b = await logits.run(networkModel(BN_NET, { classifier: p, stats }), x, 5);
  assert.deepEqual(a, b);
  const other = await logits.run(networkModel(BN_NET, { classifier: p, stats: Float32Array.of(0, 0, 1, 1) }), x, 5);
  assert.notDeepEqual(a, other, 'inference normalises with the running statistics it is given');
  await logits.release();
  assert.throws(() => networkModel(BN_NET, { classifier: p }), /batch-norm layers: its running statistics \('stats'\) are needed/);
});

for (const convolutions of ['auto', 'standard'] as const)
  test(`a whole PGD-AT step of cnn-small (10 PGD steps from a random start, SGD) on ONNX Runtime (${convolutions} convolutions) matches the reference`, async () => {
    const model: ModelConfig = { classifier: presetNetwork('cnn-small', MNIST), discriminator: paperDiscriminator(1568) };
    const rows = 4;
    const objective = adversarial({ alpha: 0, beta: 0, eps: 0.3, attack: ATTACKS['pgd-10'], optimizer: sgd({ lr: 0.05 }) });
    const step = await compileStep({ objective, model, batchSize: rows, maxSteps: 1, threads: 1, convolutions });
    step.init(keyFromSeed(7));
    const x = uniform(keyFromSeed(8), rows * 784);
    const y = BigInt64Array.from({ length: rows }, (_, i) => BigInt((3 * i) % 10));
    const key = fold(keyFromSeed(9), 0);
    const feeds: Record<string, ArrayLike<number>> = { x, y: Array.from(y, Number), step: [1], classifier: Float32Array.from(step.program.state('classifier') as Float32Array) };
    step.noiseInputs.forEach((n, j) => (feeds[n.name] = uniform(fold(key, j), n.size)));
    const [want, loss] = evaluate([step.graph.state.classifier, step.graph.metrics['loss.classifier']], feeds);
    const got = await step.run(x, y, [key]);
    const r = closeness(step.program.state('classifier') as Float32Array, want.data, 1e-6, 1e-4);
    assert.ok(r <= 1, `parameters after the step: closeness ${r}`);
    assert.ok(Math.abs(got['loss.classifier'][0] - loss.data[0]) < 1e-4, `loss ${got['loss.classifier'][0]} vs ${loss.data[0]}`);
    assert.ok(got['acc.adv'][0] <= got['acc.clean'][0]);
    await step.program.release();
  });

test('the exported ONNX model of a CNN with batch norm gives our logits in a plain ONNX Runtime session', async () => {
  const r = await train({ ...TINY, model: { layers: [{ type: 'conv2d', filters: 3, kernel: 2 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'maxPool2d', kernel: 2, stride: 1 }, { type: 'flatten' }, { type: 'dense', units: 3 }] } }, syntheticDataset());
  assert.ok(r.params.stats && r.params.stats.some((v, i) => v !== (i < 3 ? 0 : 1)), 'training moved the running statistics');
  const test = syntheticDataset().test;
  const session = await ort.InferenceSession.create(inferenceModel(r.model.classifier, r.params));
  assert.deepEqual(session.inputNames, ['input']);
  const out = await session.run({ input: new ort.Tensor('float32', imagesOf(test), [test.count, 1, 3, 4]) });
  const ours = await compileLogits(networkModel(r.model.classifier, r.params).arch, { threads: 1 });
  const mine = await ours.run(networkModel(r.model.classifier, r.params), imagesOf(test), test.count);
  await ours.release();
  assert.ok(closeness(out.logits.data as Float32Array, mine, 1e-6, 1e-5) <= 1);
});

test('a cnn-madry forward pass compiles and runs with a named batch', async () => {
  const spec = presetNetwork('cnn-madry', MNIST);
  const net = network(spec);
  const w = { params: paramGroup('classifier', net.params).views };
  const program = await compile({ outputs: { z: net.logits(w, o.input('x', ['batch', 784])) }, threads: 1 });
  const out = await program.run({ x: new Float32Array(3 * 784), classifier: initGroup(paramGroup('classifier', net.params), keyFromSeed(1)) });
  assert.equal(out.z.length, 30);
  await program.release();
});
