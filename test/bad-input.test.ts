// Bad input, end to end: every bad flag gets one line naming the flag and its range (exit code 2);
// every kind of bad data, checkpoint, state or ONNX file gets one line naming the file and what is wrong
// (exit code 1, no stack trace). In-process: sizes are checked before anything is allocated.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { crc32, gzipSync } from 'node:zlib';
import { OnnxFormatError, readOnnxInfo } from '../src/engine/onnx-info.js';
import { ProtoWriter } from '../src/engine/protobuf.js';
import { keyFromSeed } from '../src/engine/rng.js';
import { CheckpointError, encodeCheckpoint } from '../src/io/checkpoint.js';
import { readCheckpoint } from '../src/io/checkpoint-file.js';
import { network } from '../src/model/network.js';
import { presetNetwork } from '../src/model/presets.js';
import { inferenceModel } from '../src/model/export.js';
import { initGroup, paramGroup } from '../src/nn/params.js';
import { makeConfig, modelOf } from '../src/train/config.js';
import { type TrainState, train } from '../src/train/loop.js';
import { saveModel } from '../src/train/saved.js';
import { readState, saveState } from '../src/train/state-file.js';
import { TINY, idx, syntheticDataset } from './helpers.js';
import { type CliResult, runA3t, runAll, runAllInProcess } from './run-cli.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'a3t-bad-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Exit code, one line of stderr matching `pattern`, no stack trace. */
function assertRefused(r: CliResult, code: number, pattern: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr.trim(), pattern, what);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line, got ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

test('each bad flag exits with code 2 and one line naming the flag and the accepted range', async () => {
  const out = join(tmp, 'never');
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /^a3t train: unknown flag --bogus \(see a3t train --help\)$/],
    [['extra'], /^a3t train: unexpected argument 'extra' \(see a3t train --help\)$/],
    [['--layer', 'h4'], /^a3t train: model 'mlp': layer "h4" \(where the discriminator reads\) names no layer; layers: l1, h1, l2, h2, l3, h3, l4$/],
    [['--layer', 'l4'], /the discriminator cannot read the last layer 'l4' \(the logits\): name a hidden layer/],
    [['--model', 'resnet'], /^a3t train: unknown model 'resnet': expected one of mlp, cnn-small, cnn-madry or a \.json file$/],
    [['--model', 'mlp:hidden=0'], /model 'mlp:hidden=0': layer 1 \('l1'\) \(dense\): units must be an integer from 1 to 65536, got 0/],
    [['--epochs', '1.5'], /^a3t train: --epochs must be an integer from 1 to 100000, got 1\.5$/],
    [['--epochs'], /--epochs needs a value: an integer from 1 to 100000$/],
    [['--lr', '0'], /^a3t train: --lr must be a number in \(0, 10\], got 0$/],
    [['--checkpoint-every', '0'], /checkpointEvery \(--checkpoint-every\) must be an integer from 1 to 100000, got 0/],
    [['--test-eps', '0.1,2'], /testEps \(--test-eps\) must be a comma-separated list of numbers in \[0, 1\], got \[0\.1,2\]/],
    [['--force=yes'], /--force takes no value/],
    // Ranges that depend on the data: checked before the run directory is made.
    [['--train-size', '100000'], /^a3t train: trainSize \(--train-size\) must be at most 55000 \(the training images not held out\), got 100000$/],
    [['--train-size', '3000', '--batch-size', '4096'], /^a3t train: batchSize \(--batch-size\) must be at most the 3000 training images, got 4096$/],
    [['--validation', '60000'], /^a3t train: --validation must be smaller than the 60000 training images, got 60000$/],
  ];
  const results = await runAllInProcess(cases.map(([args]) => ['train', '--out', out, ...args]));
  cases.forEach(([args, pattern], i) => assertRefused(results[i], 2, pattern, args.join(' ')));
  // One as a process too: it prints and exits as main returned.
  const [spawned] = await runAll([['train', '--out', out, ...cases[0][0]]]);
  assert.deepEqual([spawned.code, spawned.stderr, spawned.stdout], [results[0].code, results[0].stderr, results[0].stdout]);
  assert.ok(!existsSync(out), 'no run directory was made');
});

/** A small valid MNIST-format directory, with `damage` applied to its files (name → bytes). */
function dataDir(name: string, damage: (files: Record<string, Buffer>) => void): string {
  const files: Record<string, Buffer> = {
    'train-images-idx3-ubyte': idx([100, 4, 4], new Uint8Array(1600).fill(9)),
    'train-labels-idx1-ubyte': idx([100], Array.from({ length: 100 }, (_, i) => i % 10)),
    't10k-images-idx3-ubyte': idx([20, 4, 4], new Uint8Array(320)),
    't10k-labels-idx1-ubyte': idx([20], new Uint8Array(20)),
  };
  damage(files);
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
  return dir;
}

test('each kind of bad IDX file exits with code 1 and one line naming the file and what is wrong', async () => {
  const cases: Array<[string, (f: Record<string, Buffer>) => void, RegExp]> = [
    ['truncated', (f) => (f['train-images-idx3-ubyte'] = f['train-images-idx3-ubyte'].subarray(0, 1606)), /train-images-idx3-ubyte: truncated: dims \[100, 4, 4\] need 1600 data bytes, file has 1590/],
    ['magic', (f) => (f['t10k-labels-idx1-ubyte'] = Buffer.from('PK\u0003\u0004 a zip file')), /t10k-labels-idx1-ubyte: not an IDX file \(magic number starts 0x50 0x4b, expected 0x00 0x00\)/],
    ['huge', (f) => (f['train-images-idx3-ubyte'] = idx([4294967295, 4096, 4096], [1, 2, 3])), /train-images-idx3-ubyte: truncated: dims \[4294967295, 4096, 4096\] need \d.* data bytes, file has 3/],
    ['label', (f) => (f['train-labels-idx1-ubyte'][8 + 5] = 12), /train-labels-idx1-ubyte: label 12 at index 5 is out of range, expected 0\.\.9/],
    ['count', (f) => (f['train-labels-idx1-ubyte'] = idx([99], new Uint8Array(99))), /train-images-idx3-ubyte has 100 images but .*train-labels-idx1-ubyte has 99 labels/],
    ['size', (f) => (f['t10k-images-idx3-ubyte'] = idx([20, 5, 4], new Uint8Array(400))), /t10k-images-idx3-ubyte: images are 5×4 but .*train-images-idx3-ubyte has 4×4/],
  ];
  const dirs = cases.map(([name, damage]) => dataDir(name, damage));
  const gz = dataDir('gzip', (f) => delete f['t10k-images-idx3-ubyte']);
  writeFileSync(join(gz, 't10k-images-idx3-ubyte.gz'), gzipSync(idx([20, 4, 4], new Uint8Array(320))).subarray(0, 30));
  const results = await runAll([...dirs, gz].map((d) => ['train', '--data', d, '--out', join(tmp, 'never')]));
  cases.forEach(([name, , pattern], i) => assertRefused(results[i], 1, pattern, name));
  assertRefused(results[cases.length], 1, /t10k-images-idx3-ubyte\.gz: not a valid gzip file/, 'gzip');
});

/** A run directory of a small 784-input model (checkpoint.a3t and model.onnx), not trained. */
function runDir(name: string): string {
  const config = makeConfig({ model: 'mlp:hidden=16-8,layer=1' });
  const model = modelOf(config, { image: [1, 28, 28], classes: 10 });
  const dir = join(tmp, name);
  mkdirSync(dir);
  saveModel(dir, config, model, { classifier: initGroup(paramGroup('classifier', network(model.classifier).params), keyFromSeed(1)) });
  return dir;
}

/** Checkpoint bytes with a header of our choosing and a valid checksum. */
function forged(header: unknown, floats: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const dataAt = (12 + h.length + 3) & ~3;
  const out = new Uint8Array(dataAt + 4 * floats + 4);
  out.set(new TextEncoder().encode('A3TCKPT1'));
  const view = new DataView(out.buffer);
  view.setUint32(8, h.length, true);
  out.set(h, 12);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

test('bad checkpoints and ONNX models given to a3t eval exit with code 1 and one line naming the file', async () => {
  const flipped = runDir('flipped');
  const ck = readFileSync(join(flipped, 'checkpoint.a3t'));
  ck[ck.length - 100] ^= 1;
  writeFileSync(join(flipped, 'checkpoint.a3t'), ck);
  const truncated = runDir('truncated-onnx');
  const onnx = readFileSync(join(truncated, 'model.onnx'));
  writeFileSync(join(truncated, 'model.onnx'), onnx.subarray(0, onnx.length / 2));
  const mismatched = runDir('mismatched-onnx');
  const small = presetNetwork('mlp:hidden=4,layer=1', { image: [1, 4, 5], classes: 10 });
  writeFileSync(join(mismatched, 'model.onnx'), inferenceModel(small, { classifier: new Float32Array(paramGroup('c', network(small).params).size) }));
  const huge = join(tmp, 'huge.a3t');
  writeFileSync(huge, forged({ format: 1, meta: { kind: 'a3t-model' }, tensors: [{ name: 'classifier', offset: 0, length: 1e12 }] }, 4));
  const cases: Array<[string, RegExp]> = [
    [flipped, /flipped\/checkpoint\.a3t: not a usable a3t checkpoint: checksum mismatch \(the file is truncated or corrupted\)/],
    [truncated, /truncated-onnx\/model\.onnx: not an ONNX model: the file is not valid protobuf \(field 7 at byte \d+ declares \d+ bytes, only \d+ remain\)/],
    [mismatched, /mismatched-onnx\/model\.onnx: input 'input' float32 \[N, 20\] does not fit the checkpoint's classifier, which takes \[N, 784\] floats/],
    [huge, /huge\.a3t: not a usable a3t checkpoint: tensor 'classifier' runs past the end of the data/],
    [join(tmp, 'absent'), /absent: cannot read checkpoint \(ENOENT\)/],
  ];
  const results = await runAll(cases.map(([path]) => ['eval', path]));
  cases.forEach(([path, pattern], i) => assertRefused(results[i], 1, pattern, path));
  // An ONNX file is imported and attacked; one that does not fit the data is refused, naming both.
  assertRefused(await runA3t('eval', join(mismatched, 'model.onnx')), 1, /mismatched-onnx\/model\.onnx: input 'input' takes \[20\] \(20 values per example\) but the data's images are \[1, 28, 28\] \(784\)/, 'onnx of another size');
});

test('a checkpoint declaring 10^12 floats is refused from its sizes, not allocated', () => {
  const file = join(tmp, 'huge-direct.a3t');
  writeFileSync(file, forged({ format: 1, meta: {}, tensors: [{ name: 'a', offset: 0, length: 1e12 }] }, 0));
  assert.throws(() => readCheckpoint(file), (e: Error) => e instanceof CheckpointError && /huge-direct\.a3t: .*tensor 'a' runs past the end of the data/.test(e.message));
});

/** A minimal ModelProto: one float input [N, 4], one output, and `initializer`. */
function onnxModel(initializer?: ProtoWriter, graph = true): Uint8Array {
  const info = (name: string) => {
    const dims = new ProtoWriter().message(1, new ProtoWriter().string(2, 'N')).message(1, new ProtoWriter().int(1, 4));
    return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, new ProtoWriter().int(1, 1).message(2, dims)));
  };
  const g = new ProtoWriter().message(11, info('x')).message(12, info('y'));
  if (initializer) g.message(5, initializer);
  const m = new ProtoWriter().int(1, 8).message(8, new ProtoWriter().string(1, '').int(2, 18));
  return (graph ? m.message(7, g) : m).finish();
}

test('ONNX models are checked as ModelProtos, each initializer against its declared size', () => {
  assert.deepEqual(readOnnxInfo(onnxModel()).inputs, [{ name: 'x', elemType: 1, dims: ['N', 4] }]);
  const tensor = (dims: number[], raw: number) => {
    const w = new ProtoWriter();
    for (const d of dims) w.int(1, d);
    return w.int(2, 1).string(8, 'w').bytes(9, new Uint8Array(raw));
  };
  assert.equal(readOnnxInfo(onnxModel(tensor([2, 3], 24))).initializers, 1);
  const refused: Array<[Uint8Array, RegExp]> = [
    [onnxModel(tensor([1e12], 16)), /initializer 'w' declares dims \[1000000000000\] \(1000000000000 values of 4 bytes\) but carries 16 bytes/],
    [onnxModel(tensor([2, 3], 20)), /initializer 'w' declares dims \[2, 3\] \(6 values of 4 bytes\) but carries 20 bytes/],
    [onnxModel(new ProtoWriter().int(1, 4).int(2, 1).string(8, 'w').int(14, 1)), /initializer 'w' refers to external data files/],
    [onnxModel(undefined, false), /not an ONNX model \(a ModelProto has an ir_version and a graph\)/],
    [new TextEncoder().encode('{"ir_version": 8}'), /not an ONNX model: the file is not valid protobuf/],
  ];
  for (const [bytes, pattern] of refused) assert.throws(() => readOnnxInfo(bytes), (e: Error) => e instanceof OnnxFormatError && pattern.test(e.message), String(pattern));
});

test('a training state is checked field by field and tensor by tensor against the model it declares', async () => {
  let state: TrainState | undefined;
  await train({ ...TINY, epochs: 1 }, syntheticDataset(), { onCheckpoint: (s) => (state = s) });
  const good = state!;
  const dir = join(tmp, 'states');
  mkdirSync(dir);
  saveState(dir, good);
  assert.deepEqual(readState(join(dir, 'state.a3t')).tensors, good.tensors);
  const { classifier } = good.tensors;
  const cases: Array<[Partial<TrainState> & Record<string, unknown>, RegExp]> = [
    [{ kind: 'a3t-model' }, /not a training state \(kind "a3t-model", expected 'a3t-train-state'\)/],
    [{ config: { ...good.config, alpha: 2 } }, /declares an invalid config: --alpha must be a number in \[0, 1\], got 2/],
    [{ config: { ...good.config, model: 'mlp:hidden=8-9,layer=1' } }, /declares a model that does not match its config/],
    [{ data: { ...good.data, shape: { image: [1, 12], classes: 3 } as unknown as TrainState['data']['shape'] } }, /has no data sizes, shape and checksum/],
    [{ epoch: 2 }, /epoch 2 is not in 1\.\.1/],
    [{ history: [] }, /history does not hold one entry per epoch 1\.\.1/],
    [{ tensors: { ...good.tensors, classifier: classifier.subarray(1) } }, /tensor 'classifier' holds \d+ values, the declared model needs \d+/],
    [{ tensors: { ...good.tensors, 'classifier.m': classifier.subarray(3) } }, /tensor 'classifier\.m' holds \d+ values, the declared model needs \d+/],
    [{ tensors: { ...good.tensors, extra: new Float32Array(3) } }, /holds an unknown tensor 'extra'/],
    [{ tensors: { ...good.tensors, classifier: classifier.map((v, i) => (i === 7 ? NaN : v)) } }, /tensor 'classifier' holds NaN at element 7/],
  ];
  for (const [change, pattern] of cases) {
    const { tensors, ...meta } = { ...good, ...change };
    const file = join(dir, 'bad.a3t');
    writeFileSync(file, encodeCheckpoint({ meta: { kind: 'a3t-train-state', ...meta }, tensors: tensors as Record<string, Float32Array> }));
    assert.throws(() => readState(file), (e: Error) => e instanceof CheckpointError && e.message.startsWith(file) && pattern.test(e.message), String(pattern));
  }
});
