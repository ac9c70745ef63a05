// ONNX import: models written here with our ProtoWriter and real PyTorch exports (test/fixtures),
// imported into the engine and compared with ONNX Runtime on the original bytes (and PyTorch's logits).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { A3tError } from '../src/errors.js';
import { grad } from '../src/engine/grad.js';
import { readOnnxGraph } from '../src/engine/onnx-graph.js';
import * as o from '../src/engine/ops.js';
import { ProtoWriter } from '../src/engine/protobuf.js';
import { normal, uniform } from '../src/engine/rng.js';
import { compile } from '../src/engine/runtime.js';
import { type Dim, type Tensor, topoSort } from '../src/engine/tensor.js';
import { type ImportOptions, type ImportedClassifier, importOnnx } from '../src/model/onnx-import.js';
import { closeness, seededKey } from './helpers.js';

// ---- writing ONNX models ------------------------------------------------------------------------

type AttrValue = number | number[] | string | { f: number } | { t: ProtoWriter };
interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, AttrValue>;
  domain?: string;
}
interface Init {
  name: string;
  dims: number[];
  values: ArrayLike<number>;
  /** ONNX data type: 1 float32 (default), 7 int64, 10 float16. */
  type?: number;
  /** Write float_data / int64_data (packed) instead of raw_data. */
  typed?: boolean;
}
interface ModelSpec {
  inputs: Array<[string, Dim[]]>;
  /** Outputs with their declared dims (null: no shape declared). */
  outputs: Array<[string, Dim[] | null, number?]>;
  inits: Init[];
  nodes: NodeSpec[];
  opset?: number;
}

function tensorProto(t: Init): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  const type = t.type ?? 1;
  if (t.typed && type === 1) return w.int(2, type).string(8, t.name).bytes(4, new Uint8Array(Float32Array.from(t.values).buffer));
  if (t.typed && type === 7) return w.int(2, type).string(8, t.name).packedInts(7, Array.from(t.values));
  const raw =
    type === 7 ? new Uint8Array(BigInt64Array.from(Array.from(t.values, (v) => BigInt(v))).buffer) : type === 10 ? new Uint8Array(Uint16Array.from(t.values).buffer) : new Uint8Array(Float32Array.from(t.values).buffer);
  return w.int(2, type).string(8, t.name).bytes(9, raw);
}

function valueInfo(name: string, dims: Dim[] | null, type = 1): ProtoWriter {
  const tt = new ProtoWriter().int(1, type);
  if (dims) {
    const shape = new ProtoWriter();
    for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
    tt.message(2, shape);
  }
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tt));
}

function attribute(name: string, v: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof v === 'number') return w.int(3, v).int(20, 2);
  if (typeof v === 'string') return w.string(4, v).int(20, 3);
  if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    return w.int(20, 7);
  }
  if ('f' in v) return w.float(2, v.f).int(20, 1);
  return w.message(5, v.t).int(20, 4);
}

function writeModel(m: ModelSpec): Uint8Array {
  const g = new ProtoWriter();
  m.nodes.forEach((n, i) => {
    const w = new ProtoWriter();
    for (const x of n.inputs) w.string(1, x);
    for (const x of n.outputs) w.string(2, x);
    w.string(3, n.name ?? `n${i}`).string(4, n.op);
    for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, attribute(k, v));
    if (n.domain) w.string(7, n.domain);
    g.message(1, w);
  });
  g.string(2, 'test');
  for (const t of m.inits) g.message(5, tensorProto(t));
  for (const [name, dims] of m.inputs) g.message(11, valueInfo(name, dims));
  for (const [name, dims, type] of m.outputs) g.message(12, valueInfo(name, dims, type));
  return new ProtoWriter()
    .int(1, 8)
    .message(7, g)
    .message(8, new ProtoWriter().string(1, '').int(2, m.opset ?? 13))
    .finish()
    .slice();
}

const ints = (name: string, values: number[]): Init => ({ name, dims: [values.length], values, type: 7 });
const scalarInt = (name: string, v: number): Init => ({ name, dims: [], values: [v], type: 7 });

/** Seeded weights: normal / sqrt(fanIn), or uniform in [lo, hi). */
function weights(seed: number, name: string, dims: number[], fanIn: number): Init {
  const n = dims.reduce((p, d) => p * d, 1);
  return { name, dims, values: normal(seededKey(seed), n).map((v) => v / Math.sqrt(fanIn)) };
}
function uniformInit(seed: number, name: string, dims: number[], lo: number, hi: number): Init {
  const n = dims.reduce((p, d) => p * d, 1);
  return { name, dims, values: uniform(seededKey(seed), n, new Float64Array(n)).map((v) => lo + (hi - lo) * v) };
}

// ---- the PyTorch-like CNN ----------------------------------------------------------------------

const IMAGE: [number, number, number] = [2, 10, 10];
const FEATURES = 200;
const CLASSES = 5;

/**
 * Conv (bias, pad 1) → BatchNormalization → Relu → MaxPool 2 → Conv (no bias) → Relu → flatten →
 * Gemm (transB = 1) → Relu → Gemm (transB = 0) [→ Softmax]. `input`: 'nchw' takes [N, 2, 10, 10] and
 * flattens with Flatten; 'flat' takes [N, F] and reshapes in and out through Shape → Gather →
 * Unsqueeze → Concat → Reshape chains, as PyTorch writes x.view(x.size(0), ...); 'fixed' takes
 * [3, 2, 10, 10] and flattens with Reshape to the constant [3, -1], as a fixed-batch export does.
 */
function cnn(opts: { input: 'nchw' | 'flat' | 'fixed'; softmax?: boolean }): Uint8Array {
  const inits: Init[] = [
    weights(1, 'c1.w', [3, 2, 3, 3], 18),
    weights(2, 'c1.b', [3], 4),
    uniformInit(3, 'bn.scale', [3], 0.5, 1.5),
    uniformInit(4, 'bn.bias', [3], -0.5, 0.5),
    uniformInit(5, 'bn.mean', [3], -0.3, 0.3),
    uniformInit(6, 'bn.var', [3], 0.5, 2),
    weights(7, 'c2.w', [4, 3, 3, 3], 27),
    weights(8, 'f1.w', [16, 36], 36),
    weights(9, 'f1.b', [16], 16),
    weights(10, 'f2.w', [16, CLASSES], 16),
    weights(11, 'f2.b', [CLASSES], 16),
  ];
  const nodes: NodeSpec[] = [];
  const batchOf = (v: string, out: string) => {
    nodes.push({ op: 'Shape', inputs: [v], outputs: [`${out}.shape`] });
    nodes.push({ op: 'Gather', inputs: [`${out}.shape`, 'zero'], outputs: [`${out}.n`], attrs: { axis: 0 } });
    nodes.push({ op: 'Unsqueeze', inputs: [`${out}.n`, 'axes0'], outputs: [out] });
  };
  let x = 'x';
  if (opts.input === 'flat') {
    inits.push(scalarInt('zero', 0), ints('axes0', [0]), ints('chw', IMAGE), ints('minus1', [-1]));
    batchOf('x', 'x.batch');
    nodes.push({ op: 'Concat', inputs: ['x.batch', 'chw'], outputs: ['x.target'], attrs: { axis: 0 } });
    nodes.push({ op: 'Reshape', inputs: ['x', 'x.target'], outputs: ['img'] });
    x = 'img';
  }
  nodes.push(
    { op: 'Conv', inputs: [x, 'c1.w', 'c1.b'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] } },
    { op: 'BatchNormalization', inputs: ['a', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'], outputs: ['b'], attrs: { epsilon: { f: 1e-3 } } },
    { op: 'Relu', inputs: ['b'], outputs: ['c'] },
    { op: 'MaxPool', inputs: ['c'], outputs: ['d'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
    { op: 'Conv', inputs: ['d', 'c2.w'], outputs: ['e'] },
    { op: 'Relu', inputs: ['e'], outputs: ['f'] },
  );
  if (opts.input === 'nchw') nodes.push({ op: 'Flatten', inputs: ['f'], outputs: ['g'], attrs: { axis: 1 } });
  else if (opts.input === 'fixed') {
    inits.push(ints('fixed.target', [3, -1]));
    nodes.push({ op: 'Reshape', inputs: ['f', 'fixed.target'], outputs: ['g'] });
  } else {
    batchOf('f', 'f.batch');
    nodes.push({ op: 'Concat', inputs: ['f.batch', 'minus1'], outputs: ['f.target'], attrs: { axis: 0 } });
    nodes.push({ op: 'Reshape', inputs: ['f', 'f.target'], outputs: ['g'] });
  }
  nodes.push(
    { op: 'Gemm', inputs: ['g', 'f1.w', 'f1.b'], outputs: ['h'], attrs: { transB: 1 } },
    { op: 'Relu', inputs: ['h'], outputs: ['i'] },
    { op: 'Gemm', inputs: ['i', 'f2.w', 'f2.b'], outputs: ['logits'] },
  );
  if (opts.softmax) nodes.push({ op: 'Softmax', inputs: ['logits'], outputs: ['probs'], name: 'softmax' });
  const batch: Dim = opts.input === 'fixed' ? 3 : 'N';
  const input: Dim[] = opts.input === 'flat' ? [batch, 'F'] : [batch, ...IMAGE];
  return writeModel({ inputs: [['x', input]], outputs: [[opts.softmax ? 'probs' : 'logits', [batch, CLASSES]]], inits, nodes });
}

// ---- running both sides ---------------------------------------------------------------------------

function pixels(seed: number, n: number): Float32Array {
  return uniform(seededKey(seed), n);
}

/** ONNX Runtime on the original bytes: the single output for `x` fed with `shape`. */
async function ortRun(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, shape) });
  const out = res[session.outputNames[0]].data as Float32Array;
  await session.release();
  return out;
}

/** Our engine: the imported logits (and any extra outputs built from the same input), compiled with a symbolic batch. */
async function ourRun(m: ImportedClassifier, x: Float32Array, extra: (x: Tensor, logits: Tensor) => Record<string, Tensor> = () => ({}), batch: Dim = 'batch') {
  const input = o.input('x', [batch, m.features]);
  const logits = m.logits(input);
  const program = await compile({ outputs: { logits, ...extra(input, logits) }, threads: 1 });
  const out = await program.run({ x });
  const copy = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Float32Array.from(v as Float32Array)]));
  await program.release();
  return copy;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-5): void {
  const r = closeness(Array.from(got), Array.from(want), atol, rtol);
  assert.ok(r <= 1, `${what}: ours ${Array.from(got).slice(0, 6)} vs ${Array.from(want).slice(0, 6)} (closeness ${r})`);
}

function logSoftmaxRows(x: Float32Array, classes: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / classes; r++) {
    const row = Array.from(x.subarray(r * classes, (r + 1) * classes));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    row.forEach((v, k) => (out[r * classes + k] = v - lse));
  }
  return out;
}

function importError(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof A3tError, `expected an A3tError, got ${e}`);
    assert.equal(e.kind, 'input');
    assert.match(e.message, pattern);
    return true;
  });
}

// ---- models written here --------------------------------------------------------------------------

test('a PyTorch-style CNN with a final Softmax imports and matches ONNX Runtime on its logits', async () => {
  const m = importOnnx(cnn({ input: 'nchw', softmax: true }), 'cnn.onnx');
  assert.deepEqual(m.inputShape, IMAGE);
  assert.equal(m.features, FEATURES);
  assert.equal(m.classes, CLASSES);
  assert.deepEqual(m.ops, { Conv: 2, BatchNormalization: 1, Relu: 3, MaxPool: 1, Flatten: 1, Gemm: 2, Softmax: 1 });
  assert.deepEqual(m.warnings, ['the final Softmax was stripped: attacks run on the logits before it']);
  const x = pixels(21, 4 * FEATURES);
  const want = await ortRun(cnn({ input: 'nchw' }), x, [4, ...IMAGE]);
  const got = await ourRun(m, x);
  assertClose(got.logits, want, 'logits');
  // The file with the Softmax gives the softmax of the same logits.
  const probs = await ortRun(cnn({ input: 'nchw', softmax: true }), x, [4, ...IMAGE]);
  assertClose(logSoftmaxRows(got.logits, CLASSES), Array.from(probs, Math.log), 'log of the softmax');
});

test('a flat [N, F] input with Shape → Gather → Unsqueeze → Concat → Reshape chains imports (F filled from the image shape)', async () => {
  const bytes = cnn({ input: 'flat' });
  importError(() => importOnnx(bytes, 'flat.onnx'), /^flat\.onnx: input 'x' has shape \[N, F\]: its non-batch dims must be fixed, or filled from the data's image shape$/);
  importError(() => importOnnx(bytes, 'flat.onnx', { image: [1, 28, 28] }), /^flat\.onnx: node 'n4' \(Reshape\): reshape \[batch, 784\] to \[batch, 2, 10, 10\]: element counts differ$/);
  const m = importOnnx(bytes, 'flat.onnx', { image: IMAGE });
  assert.deepEqual(m.inputShape, [FEATURES]);
  assert.deepEqual(m.warnings, []);
  assert.equal(m.ops.Shape, 2);
  const x = pixels(22, 5 * FEATURES);
  assertClose((await ourRun(m, x)).logits, await ortRun(bytes, x, [5, FEATURES]), 'logits');
});

test('a fixed-batch export imports with a symbolic batch: its Reshape to [3, -1] reads 3 as the batch', async () => {
  const bytes = cnn({ input: 'fixed' });
  const m = importOnnx(bytes, 'fixed.onnx');
  assert.deepEqual(m.warnings, ['the model was exported for batches of exactly 3; a3t runs it on any batch size']);
  const x = pixels(23, 5 * FEATURES);
  const got = (await ourRun(m, x)).logits;
  assert.equal(got.length, 5 * CLASSES);
  assertClose(got.subarray(0, 3 * CLASSES), await ortRun(bytes, x.subarray(0, 3 * FEATURES), [3, ...IMAGE]), 'rows 0..2');
  assertClose(got.subarray(2 * CLASSES), await ortRun(bytes, x.subarray(2 * FEATURES), [3, ...IMAGE]), 'rows 2..4');
});

test('inputScale, mean and std are applied inside: the model sees (x·scale − mean) / std per channel', async () => {
  const opts: ImportOptions = { inputScale: 255, mean: [120, 80], std: [60, 40] };
  const m = importOnnx(cnn({ input: 'nchw' }), 'cnn.onnx', opts);
  const x = pixels(24, 3 * FEATURES);
  const seen = x.map((v, k) => (v * 255 - opts.mean![Math.floor((k % FEATURES) / 100)]) / opts.std![Math.floor((k % FEATURES) / 100)]);
  assertClose((await ourRun(m, x)).logits, await ortRun(cnn({ input: 'nchw' }), seen, [3, ...IMAGE]), 'normalised logits');
  assert.throws(() => importOnnx(cnn({ input: 'nchw' }), 'cnn.onnx', { mean: [0.1, 0.2, 0.3] }), (e: unknown) => e instanceof A3tError && e.kind === 'usage' && /mean has 3 values; give one, or one per channel \(2\)/.test(e.message));
});

test('every call to logits shares one set of weight constants', () => {
  const m = importOnnx(cnn({ input: 'flat', softmax: true }), 'cnn.onnx', { image: IMAGE, mean: [0.5], std: [0.25] });
  const constants = (y: Tensor) => new Set(topoSort([y]).filter((t) => t.op === 'constant' && (t.attrs.value as Float64Array).length > 1).map((t) => t.id));
  const a = constants(m.logits(o.input('x', ['batch', FEATURES])));
  const b = constants(m.logits(o.input('x', [7, FEATURES])));
  assert.ok(a.size >= 9, `${a.size} weight constants`);
  assert.deepEqual(b, a);
});

test('elementwise, layout and shape ops import and match ONNX Runtime', async () => {
  // x [N, 12] → MatMul → Add → LeakyRelu → (c − y)·k / d → Sigmoid → Transpose twice → Identity → Dropout
  // → [N, 2, 6] by a Shape chain → Pad the last axis → Relu → Slice it back → Unsqueeze / Squeeze →
  // Reshape to Shape[0:1] ++ [-1] (Cast) → Tanh → Gemm (alpha, beta) [→ LogSoftmax].
  const inits: Init[] = [
    weights(31, 'w', [12, 12], 12),
    weights(32, 'b', [12], 4),
    weights(33, 'k', [1, 12], 1),
    { name: 'c', dims: [], values: [0.25], typed: true },
    uniformInit(34, 'd', [12], 0.5, 2),
    weights(35, 'g.w', [12, 3], 12),
    weights(36, 'g.b', [1, 3], 4),
    scalarInt('zero', 0),
    ints('axes0', [0]),
    { ...ints('rest', [2, 6]), typed: true },
    ints('pads', [0, 0, 1, 0, 0, 2]),
    ints('s.starts', [1]),
    ints('s.ends', [7]),
    { ...ints('s.axes', [-1]), typed: true },
    ints('first', [0]),
    ints('one', [1]),
    ints('minus1', [-1]),
    ints('axes1', [1]),
  ];
  const nodes: NodeSpec[] = [
    { op: 'MatMul', inputs: ['x', 'w'], outputs: ['v1'] },
    { op: 'Add', inputs: ['b', 'v1'], outputs: ['v2'] },
    { op: 'LeakyRelu', inputs: ['v2'], outputs: ['v3'], attrs: { alpha: { f: 0.2 } } },
    { op: 'Sub', inputs: ['c', 'v3'], outputs: ['v4'] },
    { op: 'Mul', inputs: ['v4', 'k'], outputs: ['v5'] },
    { op: 'Div', inputs: ['v5', 'd'], outputs: ['v6'] },
    { op: 'Sigmoid', inputs: ['v6'], outputs: ['v7'] },
    { op: 'Transpose', inputs: ['v7'], outputs: ['v8'], attrs: { perm: [1, 0] } },
    { op: 'Transpose', inputs: ['v8'], outputs: ['v9'] },
    { op: 'Identity', inputs: ['v9'], outputs: ['v10'] },
    { op: 'Dropout', inputs: ['v10'], outputs: ['v11'] },
    { op: 'Shape', inputs: ['v11'], outputs: ['sh'] },
    { op: 'Gather', inputs: ['sh', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
    { op: 'Unsqueeze', inputs: ['n', 'axes0'], outputs: ['n1'] },
    { op: 'Concat', inputs: ['n1', 'rest'], outputs: ['t1'], attrs: { axis: 0 } },
    { op: 'Reshape', inputs: ['v11', 't1'], outputs: ['v12'] },
    { op: 'Pad', inputs: ['v12', 'pads'], outputs: ['v13'] },
    { op: 'Sub', inputs: ['v13', 'c'], outputs: ['v14'] },
    { op: 'Relu', inputs: ['v14'], outputs: ['v15'] },
    { op: 'Slice', inputs: ['v15', 's.starts', 's.ends', 's.axes'], outputs: ['v16'] },
    { op: 'Unsqueeze', inputs: ['v16', 'axes1'], outputs: ['v17'] },
    { op: 'Squeeze', inputs: ['v17', 'axes1'], outputs: ['v18'] },
    { op: 'Shape', inputs: ['v18'], outputs: ['sh2'] },
    { op: 'Slice', inputs: ['sh2', 'first', 'one'], outputs: ['n2'] },
    { op: 'Concat', inputs: ['n2', 'minus1'], outputs: ['t2'], attrs: { axis: 0 } },
    { op: 'Cast', inputs: ['t2'], outputs: ['t3'], attrs: { to: 7 } },
    { op: 'Reshape', inputs: ['v18', 't3'], outputs: ['v19'] },
    { op: 'Tanh', inputs: ['v19'], outputs: ['v20'] },
    { op: 'Gemm', inputs: ['v20', 'g.w', 'g.b'], outputs: ['y'], attrs: { alpha: { f: 1.5 }, beta: { f: 0.5 } } },
  ];
  const bytes = writeModel({ inputs: [['x', ['N', 12]]], outputs: [['y', ['N', 3]]], inits, nodes });
  const withSoftmax = writeModel({ inputs: [['x', ['N', 12]]], outputs: [['p', ['N', 3]]], inits, nodes: [...nodes, { op: 'LogSoftmax', inputs: ['y'], outputs: ['p'], attrs: { axis: -1 } }] });
  const m = importOnnx(withSoftmax, 'mix.onnx');
  assert.equal(m.classes, 3);
  assert.deepEqual(m.warnings, ['the final LogSoftmax was stripped: attacks run on the logits before it']);
  const x = pixels(37, 6 * 12);
  assertClose((await ourRun(m, x)).logits, await ortRun(bytes, x, [6, 12]), 'logits');
});

test('conv and pool attributes (groups, dilations, auto_pad, count_include_pad, pads) match ONNX Runtime', async () => {
  const nodes: NodeSpec[] = [
    { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'], attrs: { group: 2, auto_pad: 'SAME_UPPER', strides: [2, 2] } },
    { op: 'LeakyRelu', inputs: ['a'], outputs: ['b'] },
    { op: 'AveragePool', inputs: ['b'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], count_include_pad: 1 } },
    { op: 'Conv', inputs: ['c', 'w2', 'b2'], outputs: ['d'], attrs: { dilations: [2, 2], pads: [0, 2, 1, 0], kernel_shape: [2, 2] } },
    { op: 'MaxPool', inputs: ['d'], outputs: ['e'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'AveragePool', inputs: ['e'], outputs: ['f'], attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' } },
    { op: 'GlobalAveragePool', inputs: ['f'], outputs: ['g'] },
    { op: 'Flatten', inputs: ['g'], outputs: ['y'] },
  ];
  const inits = [weights(41, 'w1', [4, 1, 3, 3], 9), weights(42, 'w2', [4, 4, 2, 2], 16), weights(43, 'b2', [4], 1)];
  const bytes = writeModel({ inputs: [['x', ['N', 2, 9, 9]]], outputs: [['y', ['N', 4]]], inits, nodes });
  const m = importOnnx(bytes, 'attrs.onnx');
  assert.equal(m.classes, 4);
  const x = pixels(44, 3 * 162);
  assertClose((await ourRun(m, x)).logits, await ortRun(bytes, x, [3, 2, 9, 9]), 'outputs');
});

// ---- real PyTorch exports -------------------------------------------------------------------------

// Written by test/fixtures/make-onnx-fixtures.py with PyTorch 1.13 (torch.onnx.export); the JSON holds
// the input pixels (0..255) and PyTorch's own logits for them.
const FIXTURES = new URL('./fixtures/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('onnx-fixtures.json', FIXTURES), 'utf8')) as { pixels: number[]; shape: number[]; logits: Record<string, number[]> };
const goldenX = Float32Array.from(golden.pixels, (p) => p / 255);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`${name}.onnx`, FIXTURES)));

const FIXTURE_OPS: Record<string, Record<string, number>> = {
  'cnn-dynamic': { Conv: 2, BatchNormalization: 1, Relu: 3, MaxPool: 1, Shape: 1, Constant: 3, Gather: 1, Unsqueeze: 1, Concat: 1, Reshape: 1, Gemm: 2 },
  'cnn-fixed': { Conv: 2, Relu: 3, MaxPool: 1, Constant: 1, Reshape: 1, Gemm: 2, LogSoftmax: 1 },
  'cnn-gap': { Conv: 2, LeakyRelu: 1, Constant: 1, Pad: 1, AveragePool: 1, Tanh: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 },
};

for (const name of Object.keys(FIXTURE_OPS)) {
  test(`the PyTorch export ${name}.onnx imports and matches ONNX Runtime and PyTorch`, async () => {
    const bytes = fixture(name);
    const m = importOnnx(bytes, `${name}.onnx`, { image: [1, 28, 28] });
    assert.deepEqual(m.ops, FIXTURE_OPS[name]);
    assert.deepEqual([m.inputShape, m.classes], [[1, 28, 28], 10]);
    const got = (await ourRun(m, goldenX)).logits;
    assertClose(got, golden.logits[name], 'ours vs PyTorch');
    const fromOrt = await ortRun(bytes, goldenX, golden.shape);
    if (name === 'cnn-fixed') {
      assert.deepEqual(m.warnings, ['the final LogSoftmax was stripped: attacks run on the logits before it', 'the model was exported for batches of exactly 3; a3t runs it on any batch size']);
      assertClose(logSoftmaxRows(got, 10), fromOrt, 'log-softmax of ours vs ONNX Runtime');
    } else {
      assert.deepEqual(m.warnings, []);
      assertClose(got, fromOrt, 'ours vs ONNX Runtime');
    }
  });
}

test('input gradients through the imported CNN equal finite differences of ONNX Runtime on the original file', async () => {
  // cnn-gap's grouped conv runs with a static batch: the engine's conv2d VJP builds the weight gradient
  // even for constant weights, and for groups > 1 that needs a static batch.
  for (const [name, batch] of [['cnn-dynamic', 'batch'], ['cnn-gap', 1]] as const) {
    const bytes = fixture(name);
    const m = importOnnx(bytes, `${name}.onnx`);
    const x = goldenX.slice(0, 784);
    const { g } = await ourRun(m, x, (input, logits) => ({ g: grad(o.reduceSum(logits), [input])[0] }), batch);
    const session = await ort.InferenceSession.create(bytes);
    const sumLogits = async (v: Float32Array) => {
      const res = await session.run({ x: new ort.Tensor('float32', v, [1, 1, 28, 28]) });
      return Array.from(res.y.data as Float32Array).reduce((s, y) => s + y, 0);
    };
    const h = 1e-2;
    const scale = Math.max(...Array.from(g, Math.abs));
    assert.ok(scale > 1e-3, `${name}: gradient scale ${scale}`);
    // Pixels whose one-sided differences disagree sit on a kink (ReLU, max) within h: skipped.
    let checked = 0;
    for (let i = 90; i < 784; i += 53) {
      const plus = x.slice();
      const minus = x.slice();
      plus[i] += h;
      minus[i] -= h;
      const [up, mid, down] = [await sumLogits(plus), await sumLogits(x), await sumLogits(minus)];
      if (Math.abs((up - mid) - (mid - down)) / h > 0.01 * scale) continue;
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(g[i] - fd) <= 0.01 * scale, `${name}: pixel ${i}: engine ${g[i]}, finite differences ${fd} (gradient scale ${scale})`);
      checked++;
    }
    assert.ok(checked >= 8, `${name}: only ${checked} pixels away from kinks`);
    await session.release();
  }
});

// ---- files a3t refuses ----------------------------------------------------------------------------

/** The 'nchw' CNN with its node list edited. */
function edited(edit: (nodes: NodeSpec[], inits: Init[]) => void, io?: Partial<Pick<ModelSpec, 'inputs' | 'outputs'>>): Uint8Array {
  const g = readOnnxGraph(cnn({ input: 'nchw' }));
  const nodes: NodeSpec[] = g.nodes.map((n) => ({
    op: n.opType,
    inputs: n.inputs,
    outputs: n.outputs,
    name: n.name,
    attrs: Object.fromEntries(Object.entries(n.attributes).map(([k, a]) => [k, a.kind === 'float' ? { f: a.value } : (a as { value: AttrValue }).value])),
  }));
  const inits: Init[] = g.initializers.map((t) => ({ name: t.name, dims: t.dims, values: t.values! }));
  edit(nodes, inits);
  return writeModel({ inputs: [['x', ['N', ...IMAGE]]], outputs: [['logits', ['N', CLASSES]]], inits, nodes, ...io });
}

test('bytes that are not an ONNX model are refused, naming the file', () => {
  importError(() => importOnnx(Uint8Array.from([0x3a, 0x80]), 'junk.onnx'), /^junk\.onnx: .*not valid protobuf \(truncated varint at byte \d+\)$/);
  importError(() => importOnnx(new TextEncoder().encode('hello, world'), 'hello.onnx'), /^hello\.onnx: not an ONNX model/);
  const whole = cnn({ input: 'nchw' });
  importError(() => importOnnx(whole.subarray(0, whole.length - 100), 'cut.onnx'), /^cut\.onnx: .*not valid protobuf \(field 7 at byte \d+ declares \d+ bytes, only \d+ remain\)$/);
  const short = edited((_, inits) => inits.push({ name: 'huge', dims: [1_000_000, 1000], values: [1] }));
  importError(() => importOnnx(short, 'huge.onnx'), /^huge\.onnx: initializer 'huge' declares dims \[1000000, 1000\] \(1000000000 values of 4 bytes\) but carries 4 bytes$/);
});

test('unsupported ops and attributes are refused, naming the node, its op and what a3t imports', () => {
  const lstm = edited((nodes) => (nodes[2] = { ...nodes[2], op: 'LSTM', name: 'n7' }));
  importError(() => importOnnx(lstm, 'model.onnx'), /^model\.onnx: node 'n7' \(LSTM\) is not supported; a3t imports Conv, Gemm, MatMul, .*BatchNormalization, Flatten, Reshape, .*and a final Softmax or LogSoftmax$/);
  const ceil = edited((nodes) => (nodes[3].attrs = { ...nodes[3].attrs, ceil_mode: 1 }));
  importError(() => importOnnx(ceil, 'ceil.onnx'), /^ceil\.onnx: node 'n3' \(MaxPool\): ceil_mode = 1 \(a3t pools in floor mode only\) is not supported$/);
  const domain = edited((nodes) => (nodes[2] = { ...nodes[2], domain: 'com.microsoft', op: 'FusedRelu' }));
  importError(() => importOnnx(domain, 'ms.onnx'), /^ms\.onnx: node 'n2' \(FusedRelu\) is from operator domain 'com\.microsoft'; a3t imports the default ONNX domain only$/);
  const half = edited((_, inits) => (inits[7] = { ...inits[7], type: 10 }));
  importError(() => importOnnx(half, 'half.onnx'), /^half\.onnx: node 'n7' \(Gemm\): initializer 'f1\.w' is float16; a3t imports float32, float64 and integer tensors$/);
  const dynamic = edited((nodes) => nodes.splice(6, 1, { op: 'Reshape', inputs: ['f', 'f'], outputs: ['g'], name: 'flat' }));
  importError(() => importOnnx(dynamic, 'dyn.onnx'), /^dyn\.onnx: node 'flat' \(Reshape\): its target shape \(input 1 'f'\) must be known at import/);
  const mismatch = edited((nodes) => (nodes[7].attrs = {}));
  importError(() => importOnnx(mismatch, 'gemm.onnx'), /^gemm\.onnx: node 'n7' \(Gemm\): matmul: inner dimensions differ: \[batch, 36\] and \[16, 36\]/);
});

test('models that are not one-input classifiers with [N, classes] logits are refused', () => {
  const conv = edited(() => {}, { outputs: [['f', ['N', 4, 3, 3]]] });
  importError(() => importOnnx(conv, 'conv.onnx'), /^conv\.onnx: output 'f' has shape \[N, 4, 3, 3\]; a3t needs logits \[batch, classes\]$/);
  const undeclared = edited(() => {}, { outputs: [['f', null]] });
  importError(() => importOnnx(undeclared, 'conv.onnx'), /^conv\.onnx: output 'f' is float32 \[batch, 4, 3, 3\]; a3t needs float32 logits \[batch, classes\] with at least 2 classes$/);
  const twoOut = edited(() => {}, { outputs: [['logits', ['N', CLASSES]], ['h', ['N', 16]]] });
  importError(() => importOnnx(twoOut, 'two.onnx'), /^two\.onnx: the graph has 2 outputs \('logits', 'h'\); a3t imports classifiers with one output/);
  const intOut = edited(() => {}, { outputs: [['logits', ['N', CLASSES], 7]] });
  importError(() => importOnnx(intOut, 'int.onnx'), /^int\.onnx: output 'logits' is int64; a3t needs float32 logits/);
  const twoIn = edited((nodes) => {
    nodes[9].outputs = ['logits0'];
    nodes.push({ op: 'Add', inputs: ['logits0', 'z'], outputs: ['logits'] });
  }, {
    inputs: [['x', ['N', ...IMAGE]], ['z', ['N', CLASSES]]],
  });
  importError(() => importOnnx(twoIn, 'two-in.onnx'), /^two-in\.onnx: the graph has 2 inputs \('x', 'z'\); a3t imports classifiers with one image input$/);
  const middle = edited((nodes) => {
    nodes[7].outputs = ['h0'];
    nodes.splice(8, 0, { op: 'Softmax', inputs: ['h0'], outputs: ['h'], name: 'sm' });
  });
  importError(() => importOnnx(middle, 'mid.onnx'), /^mid\.onnx: node 'sm' \(Softmax\) is not the last node; a3t strips a final Softmax or LogSoftmax only/);
  importError(() => importOnnx(cnn({ input: 'nchw' }), 'cnn.onnx', { image: [1, 28, 28] }), /^cnn\.onnx: input 'x' takes \[2, 10, 10\] \(200 values per example\) but the data's images are \[1, 28, 28\] \(784\)$/);
});
