// Checkpoint files: exact round trips, and every kind of damage refused with the file named.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CheckpointError, encodeCheckpoint } from '../src/io/checkpoint.js';
import { readCheckpoint, writeCheckpoint } from '../src/io/checkpoint-file.js';
import { keyFromSeed } from '../src/engine/rng.js';
import { network } from '../src/model/network.js';
import { initGroup, paramGroup } from '../src/nn/params.js';
import { makeConfig, modelOf } from '../src/train/config.js';
import { loadModel, saveModel } from '../src/train/saved.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'a3t-ckpt-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const sample = () => ({ meta: { epoch: 3, note: 'ünïcode' }, tensors: { a: Float32Array.of(1, -2.5, NaN, 1e-30), empty: new Float32Array(0), b: Float32Array.of(7) } });

test('a checkpoint round-trips its header and every float bit for bit', () => {
  const file = join(tmp, 'ok.a3t');
  writeCheckpoint(file, sample());
  const back = readCheckpoint(file);
  assert.deepEqual(back.meta, sample().meta);
  assert.deepEqual(Object.keys(back.tensors), ['a', 'empty', 'b']);
  assert.deepEqual(new Uint8Array(back.tensors.a.buffer), new Uint8Array(sample().tensors.a.buffer));
  assert.deepEqual(Array.from(back.tensors.b), [7]);
});

test('truncated, bit-flipped, foreign and missing files are refused, naming the file', () => {
  const bytes = encodeCheckpoint(sample());
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['truncated', bytes.subarray(0, bytes.length - 9), /checksum mismatch/],
    ['flipped', Uint8Array.from(bytes, (v, i) => (i === 40 ? v ^ 1 : v)), /checksum mismatch/],
    ['foreign', new TextEncoder().encode('PK\u0003\u0004 not a checkpoint at all'), /wrong magic/],
    ['tiny', Uint8Array.of(65), /wrong magic/],
  ];
  for (const [name, data, why] of cases) {
    const file = join(tmp, `${name}.a3t`);
    writeFileSync(file, data);
    assert.throws(() => readCheckpoint(file), (e: Error) => e instanceof CheckpointError && e.message.startsWith(file) && why.test(e.message), name);
  }
  assert.throws(() => readCheckpoint(join(tmp, 'absent.a3t')), /absent\.a3t: cannot read checkpoint \(ENOENT\)/);
  assert.throws(() => readCheckpoint(tmp), /not a file/);
});

test('a well-formed file whose tensors do not match the declared model is refused', () => {
  const config = makeConfig({ model: 'mlp:hidden=16-8,layer=1' });
  const model = modelOf(config, { image: [1, 4, 5], classes: 10 });
  const group = paramGroup('classifier', network(model.classifier).params);
  const params = { classifier: initGroup(group, keyFromSeed(1)) };
  const dir = join(tmp, 'run');
  mkdirSync(dir);
  saveModel(dir, config, model, params);
  assert.deepEqual(Array.from(loadModel(dir).params.classifier), Array.from(params.classifier));
  const file = join(dir, 'checkpoint.a3t');
  const good = readCheckpoint(file);
  writeCheckpoint(file, { meta: good.meta, tensors: { classifier: params.classifier.subarray(1) } });
  assert.throws(() => loadModel(dir), /classifier holds \d+ values, its declared shape needs \d+/);
  writeCheckpoint(file, { meta: good.meta, tensors: { ...good.tensors, extra: Float32Array.of(1) } });
  assert.throws(() => loadModel(dir), /holds an unknown tensor 'extra'/);
  const tampered = structuredClone(good.meta) as { model: { classifier: { layers: Array<{ units?: number }> } } };
  tampered.model.classifier.layers[0].units = 17;
  writeCheckpoint(file, { meta: tampered as unknown as Record<string, unknown>, tensors: good.tensors });
  assert.throws(() => loadModel(dir), /declares a model that does not match its config/);
  writeCheckpoint(file, { meta: { ...good.meta, kind: 'something else' }, tensors: good.tensors });
  assert.throws(() => loadModel(dir), /not a trained-model checkpoint/);
  writeCheckpoint(file, { meta: good.meta, tensors: { classifier: params.classifier.map((v, i) => (i === 5 ? Infinity : v)) } });
  assert.throws(() => loadModel(file), /classifier holds non-finite values/);
  assert.ok(readFileSync(join(dir, 'model.onnx')).length > 1000, 'the ONNX export is written beside the checkpoint');
});

test('crc32 (plain TypeScript, for browsers) equals zlib’s for every length around its 8-byte step and any starting value', async () => {
  const { crc32: zlibCrc } = await import('node:zlib');
  const { crc32 } = await import('../src/crc32.js');
  const bytes = Uint8Array.from({ length: 4099 }, (_, i) => (i * 2654435761) >>> 24);
  for (const n of [0, 1, 2, 7, 8, 9, 15, 16, 17, 4096, 4099]) for (const init of [0, 12345, 0xffffffff]) assert.equal(crc32(bytes.subarray(0, n), init), zlibCrc(bytes.subarray(0, n), init), `n ${n}, from ${init}`);
});
