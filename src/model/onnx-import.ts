// Importing an ONNX classifier into the engine's IR: one table of node importers over op builders;
// shape arithmetic (Shape → Gather → Concat → Reshape) is evaluated at import, so the graph rebuilds
// on any input tensor and attacks get their gradients from our own engine.
import { inputError, usageError } from '../errors.js';
import { type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor, readOnnxGraph } from '../engine/onnx-graph.js';
import { ONNX_TYPE_NAMES, OnnxFormatError } from '../engine/onnx-info.js';
import * as o from '../engine/ops.js';
import { type Dim, type Shape, type Tensor, ShapeError, showShape } from '../engine/tensor.js';

export interface ImportOptions {
  /** Pixels in [0, 1] are multiplied by this before the model sees them (e.g. 255 for a model trained on 0..255). Default 1. */
  inputScale?: number;
  /** Per-channel (or one) mean and std: the model sees (x·scale − mean) / std. Defaults 0 and 1. */
  mean?: readonly number[];
  std?: readonly number[];
  /** The data's image shape [C, H, W] (e.g. [1, 28, 28]), used to check the model's input and resolve symbolic non-batch dims. */
  image?: readonly [number, number, number];
}

export interface ImportedClassifier {
  /** Per-example input shape the graph takes (without the batch dim), e.g. [784] or [1, 28, 28]. */
  inputShape: number[];
  /** Product of inputShape: the pixel rows a3t feeds. */
  features: number;
  classes: number;
  /** Logits [batch, classes] for pixel rows x [batch, features] in [0, 1]; normalisation is applied inside; weights are graph constants. */
  logits(x: Tensor): Tensor;
  /** E.g. "the final Softmax was stripped: attacks run on the logits before it". */
  warnings: string[];
  /** How many nodes of each op type the model has (for reports). */
  ops: Record<string, number>;
}

/** A value known at import: initializers, Constant nodes and shape arithmetic, whose entries may be symbolic dims. */
interface Known {
  known: true;
  dims: number[];
  values: ArrayLike<Dim>;
  float: boolean;
  /** Computed from a traced tensor's shape (so it may differ from one build to the next). */
  fromShape?: boolean;
}
type Value = Tensor | Known;

const isKnown = (v: Value): v is Known => 'known' in v;
const shapeOf = (v: Value): Shape => (isKnown(v) ? v.dims : v.shape);
const known = (dims: number[], values: ArrayLike<Dim>, float: boolean): Known => ({ known: true, dims, values, float });

/** A problem with one node; the importer prefixes the file and the node. */
class NodeError extends Error {}

interface Ctx {
  node: OnnxNode;
  opset: number;
  /** Input i, or undefined when omitted. */
  value(i: number): Value | undefined;
  /** Input i as a float tensor; known values become graph constants, made once per import. */
  tensor(i: number): Tensor;
  /** Input i as a value known at import; `role` names it in the error when it is not. */
  known(i: number, role: string): Known;
  int(name: string, dflt: number): number;
  float(name: string, dflt: number): number;
  ints(name: string, dflt?: number[]): number[];
  string(name: string, dflt: string): string;
  /** A value made at the first build and reused by later ones (derived constants). */
  once<T>(tag: string, make: () => T): T;
  /** The batch dim of this build, and the fixed batch the model was exported with (if any). */
  batch: Dim;
  fixedBatch: number | null;
}

type Importer = (c: Ctx) => Value;

// ---- helpers over known values ---------------------------------------------------------------

function numbers(k: Known, role: string): number[] {
  const out = Array.from(k.values);
  const sym = out.find((v) => typeof v === 'string');
  if (sym !== undefined) throw new NodeError(`the ${role} holds the symbolic dim '${sym}', which a3t cannot compute with`);
  return out as number[];
}

const unsupported = (what: string): never => {
  throw new NodeError(`${what} is not supported`);
};

const normAxis = (axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new NodeError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
};

/** `shape` with 1s inserted at `axes` (of the result). */
function unsqueezed(shape: Shape, axes: number[]): Dim[] {
  const rank = shape.length + axes.length;
  const at = new Set(axes.map((a) => normAxis(a, rank)));
  const rest = [...shape];
  return Array.from({ length: rank }, (_, i) => (at.has(i) ? 1 : rest.shift()!));
}

function squeezed(shape: Shape, axes?: number[]): Dim[] {
  const at = new Set(axes ? axes.map((a) => normAxis(a, shape.length)) : shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  for (const a of at) if (shape[a] !== 1) throw new NodeError(`cannot squeeze axis ${a} of ${showShape(shape)}`);
  return shape.filter((_, i) => !at.has(i));
}

/** The same values under new dims (a known value's Reshape, Flatten, Unsqueeze, Squeeze). */
function rekeyed(k: Known, shape: Dim[]): Known {
  const n = k.values.length;
  const fixed = shape.filter((d) => d !== -1);
  if (fixed.some((d) => typeof d !== 'number')) throw new NodeError(`cannot reshape a known value to ${showShape(shape)}`);
  const prod = (fixed as number[]).reduce((p, d) => p * d, 1);
  const dims = shape.map((d) => (d === -1 ? n / prod : d)) as number[];
  if (dims.some((d) => !Number.isInteger(d)) || dims.reduce((p, d) => p * d, 1) !== n) throw new NodeError(`cannot reshape ${showShape(k.dims)} to ${showShape(shape)}`);
  return { ...k, dims };
}

/** Elementwise integer arithmetic on known vectors (shape computations); one side may be a single value. */
function foldInts(a: Known, b: Known, f: (x: number, y: number) => number): Known {
  const [x, y] = [numbers(a, 'first operand'), numbers(b, 'second operand')];
  if (x.length !== y.length && x.length !== 1 && y.length !== 1) throw new NodeError(`cannot combine known values ${showShape(a.dims)} and ${showShape(b.dims)}`);
  const n = Math.max(x.length, y.length);
  const values = Array.from({ length: n }, (_, i) => f(x[x.length === 1 ? 0 : i], y[y.length === 1 ? 0 : i]));
  return known(x.length >= y.length ? a.dims : b.dims, values, false);
}

/** ONNX Slice bounds for one axis of size d. */
function sliceRange(d: number, start: number, end: number, step: number): [number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + d : start;
  const e = end < 0 ? end + d : end;
  return step > 0 ? [clamp(s, 0, d), clamp(e, 0, d)] : [clamp(s, 0, d - 1), clamp(e, -1, d - 1)];
}

// ---- convolution and pooling windows -----------------------------------------------------------

type Pair = [number, number];

function pairAttr(c: Ctx, name: string, dflt?: number): Pair {
  const v = c.ints(name, dflt === undefined ? undefined : [dflt, dflt]);
  if (v.length !== 2) throw new NodeError(`${name} [${v.join(', ')}]: a3t imports 2-D windows only`);
  return [v[0], v[1]];
}

/** Strides and explicit pads [top, left, bottom, right], with auto_pad resolved from the input's size. */
function window(c: Ctx, x: Tensor, kernel: Pair, dilations: Pair): { strides: Pair; pads: [number, number, number, number] } {
  if (x.shape.length !== 4) throw new NodeError(`expects an [N, C, H, W] input, got ${showShape(x.shape)}`);
  const strides = pairAttr(c, 'strides', 1);
  const auto = c.string('auto_pad', 'NOTSET');
  if (auto === 'NOTSET') {
    const p = c.ints('pads', [0, 0, 0, 0]);
    if (p.length !== 4) throw new NodeError(`pads [${p.join(', ')}]: a3t imports 2-D windows only`);
    return { strides, pads: [p[0], p[1], p[2], p[3]] };
  }
  if (auto === 'VALID') return { strides, pads: [0, 0, 0, 0] };
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') return unsupported(`auto_pad '${auto}'`);
  const pads: [number, number, number, number] = [0, 0, 0, 0];
  for (const a of [0, 1]) {
    const size = x.shape[2 + a];
    if (typeof size !== 'number') throw new NodeError(`auto_pad ${auto} needs a fixed image size, got ${showShape(x.shape)}`);
    const total = Math.max(0, (Math.ceil(size / strides[a]) - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1 - size);
    pads[a] = auto === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
    pads[a + 2] = total - pads[a];
  }
  return { strides, pads };
}

function pool(c: Ctx, build: (x: Tensor, opts: o.Pool2dOptions) => Tensor): Tensor {
  const x = c.tensor(0);
  const kernel = pairAttr(c, 'kernel_shape');
  if (c.int('ceil_mode', 0) !== 0) unsupported('ceil_mode = 1 (a3t pools in floor mode only)');
  if (c.ints('dilations', [1, 1]).some((d) => d !== 1)) unsupported('pooling with dilations');
  return build(x, { kernel, ...window(c, x, kernel, [1, 1]) });
}

// ---- the importers -----------------------------------------------------------------------------

function binary(f: (a: Tensor, b: Tensor) => Tensor, fold: (x: number, y: number) => number): Importer {
  return (c) => {
    const [a, b] = [c.value(0)!, c.value(1)!];
    if (isKnown(a) && isKnown(b) && !a.float && !b.float) return foldInts(a, b, fold);
    return f(c.tensor(0), c.tensor(1));
  };
}

function constantNode(c: Ctx): Known {
  const [name, a] = Object.entries(c.node.attributes)[0] ?? ['(none)', undefined];
  if (a?.kind === 'tensor') return fromTensor(a.value, 'its value');
  if (name === 'value_float' && a?.kind === 'float') return known([], [a.value], true);
  if (name === 'value_floats' && a?.kind === 'floats') return known([a.value.length], a.value, true);
  if (name === 'value_int' && a?.kind === 'int') return known([], [a.value], false);
  if (name === 'value_ints' && a?.kind === 'ints') return known([a.value.length], a.value, false);
  return unsupported(`a Constant given by '${name}'`);
}

const IMPORTERS: Record<string, Importer> = {
  Conv: (c) => {
    const [x, w] = [c.tensor(0), c.tensor(1)];
    if (w.shape.length !== 4) throw new NodeError(`a3t imports 2-D convolutions only (weight ${showShape(w.shape)})`);
    const kernel = w.shape.slice(2) as Pair;
    const declared = c.ints('kernel_shape', kernel);
    if (declared.join() !== kernel.join()) throw new NodeError(`kernel_shape [${declared.join(', ')}] does not match the weight ${showShape(w.shape)}`);
    const dilations = pairAttr(c, 'dilations', 1);
    const b = c.value(2) && c.tensor(2);
    return o.conv2d(x, w, b, { ...window(c, x, kernel, dilations), dilations, group: c.int('group', 1) });
  },
  Gemm: (c) => {
    const opts = { transA: c.int('transA', 0) === 1, transB: c.int('transB', 0) === 1 };
    const [alpha, beta] = [c.float('alpha', 1), c.float('beta', 1)];
    const bias = c.value(2) && beta !== 0 ? (beta === 1 ? c.tensor(2) : o.mul(c.tensor(2), beta)) : undefined;
    if (alpha === 1) return o.matmul(c.tensor(0), c.tensor(1), opts, bias);
    const y = o.mul(o.matmul(c.tensor(0), c.tensor(1), opts), alpha);
    return bias ? o.add(y, bias) : y;
  },
  MatMul: (c) => o.matmul(c.tensor(0), c.tensor(1)),
  Add: binary(o.add, (x, y) => x + y),
  Sub: binary(o.sub, (x, y) => x - y),
  Mul: binary(o.mul, (x, y) => x * y),
  Div: binary(o.div, (x, y) => Math.trunc(x / y)),
  Relu: (c) => o.relu(c.tensor(0)),
  LeakyRelu: (c) => o.leakyRelu(c.tensor(0), c.float('alpha', 0.01)),
  Sigmoid: (c) => o.sigmoid(c.tensor(0)),
  Tanh: (c) => o.tanh(c.tensor(0)),
  MaxPool: (c) => pool(c, o.maxPool2d),
  AveragePool: (c) => pool(c, (x, opts) => o.avgPool2d(x, { ...opts, countIncludePad: c.int('count_include_pad', 0) === 1 })),
  GlobalAveragePool: (c) => {
    const x = c.tensor(0);
    if (x.shape.length < 3) throw new NodeError(`expects an [N, C, ...] input, got ${showShape(x.shape)}`);
    return o.reduceMean(x, x.shape.slice(2).map((_, i) => i + 2), true);
  },
  BatchNormalization: (c) => {
    if (c.int('training_mode', 0) !== 0) unsupported('training_mode = 1 (a3t imports models for inference)');
    if (c.int('spatial', 1) !== 1) unsupported('spatial = 0');
    const x = c.tensor(0);
    const [scale, bias, mean, variance] = ['scale', 'bias', 'mean', 'var'].map((role, i) => numbers(c.known(i + 1, role), role));
    const channels = scale.length;
    if ([bias, mean, variance].some((v) => v.length !== channels) || x.shape[1] !== channels)
      throw new NodeError(`scale, bias, mean and var must hold one value per channel of ${showShape(x.shape)}`);
    const eps = c.float('epsilon', 1e-5);
    const shape = [channels, ...x.shape.slice(2).map(() => 1)];
    const factor = scale.map((s, k) => s / Math.sqrt(variance[k] + eps));
    const mul = c.once('factor', () => o.constant(factor, shape));
    const add = c.once('shift', () => o.constant(bias.map((b, k) => b - mean[k] * factor[k]), shape));
    return o.add(o.mul(x, mul), add);
  },
  Flatten: (c) => {
    const x = c.value(0)!;
    const s = shapeOf(x);
    const given = c.int('axis', 1);
    const axis = given < 0 ? given + s.length : given;
    if (!(axis >= 0 && axis <= s.length)) throw new NodeError(`axis ${given} is out of range for ${showShape(s)}`);
    const left = s.slice(0, axis);
    const lead = left.length === 1 ? left[0] : left.every((d) => typeof d === 'number') ? (left as number[]).reduce((p, d) => p * d, 1) : unsupported(`Flatten of ${showShape(s)} at axis ${axis}`);
    return isKnown(x) ? rekeyed(x, [lead, -1]) : o.reshape(x, [lead, -1]);
  },
  Reshape: (c) => {
    const x = c.value(0)!;
    const s = shapeOf(x);
    const zeroCopies = c.int('allowzero', 0) === 0;
    const target = Array.from(c.known(1, 'target shape').values, (d, i) => {
      if (d === 0 && zeroCopies) {
        if (i >= s.length) throw new NodeError(`target entry ${i} is 0 but the input ${showShape(s)} has no dim ${i} to copy`);
        return s[i];
      }
      return d;
    });
    // A model exported with a fixed batch B reshapes to [B, ...]: read that B as the batch.
    if (c.fixedBatch !== null && !isKnown(x) && target[0] === c.fixedBatch && s[0] === c.batch) target[0] = c.batch;
    return isKnown(x) ? rekeyed(x, target) : o.reshape(x, target);
  },
  Pad: (c) => {
    let x = c.tensor(0);
    const pads = c.opset < 11 ? c.ints('pads') : numbers(c.known(1, 'pads'), 'pads');
    const value = c.opset < 11 ? c.float('value', 0) : c.value(2) ? numbers(c.known(2, 'constant value'), 'constant value')[0] : 0;
    if (c.value(3)) unsupported('Pad with axes');
    if (c.string('mode', 'constant') !== 'constant' || value !== 0) unsupported(`Pad other than with zeros (mode '${c.string('mode', 'constant')}', value ${value})`);
    const r = x.shape.length;
    if (pads.length !== 2 * r || pads.some((p) => p < 0)) throw new NodeError(`pads [${pads.join(', ')}] must be 2 non-negative values per axis of ${showShape(x.shape)}`);
    for (let a = 0; a < r; a++) if (pads[a] || pads[a + r]) x = o.pad(x, a, pads[a], pads[a + r]);
    return x;
  },
  Transpose: (c) => {
    const x = c.tensor(0);
    return o.transpose(x, c.ints('perm', x.shape.map((_, i) => x.shape.length - 1 - i)));
  },
  Identity: (c) => c.value(0)!,
  Dropout: (c) => {
    const training = c.value(2);
    if (training && (!isKnown(training) || numbers(training, 'training_mode').some((v) => v !== 0))) unsupported('Dropout in training mode');
    return c.value(0)!;
  },
  Constant: constantNode,
  Shape: (c) => {
    const x = c.value(0)!;
    const s = shapeOf(x);
    const start = c.int('start', 0);
    const end = c.int('end', s.length);
    const [from, to] = sliceRange(s.length, start, end, 1);
    const dims = s.slice(from, Math.max(from, to));
    return { ...known([dims.length], dims, false), fromShape: !isKnown(x) };
  },
  Gather: (c) => {
    const data = c.known(0, 'data');
    const idx = numbers(c.known(1, 'indices'), 'indices');
    if (data.dims.length !== 1 || c.int('axis', 0) !== 0) unsupported(`Gather on ${showShape(data.dims)} along axis ${c.int('axis', 0)} (a3t gathers from known vectors only)`);
    const n = data.values.length;
    const values = idx.map((i) => {
      if (!(i >= -n && i < n)) throw new NodeError(`index ${i} is out of range for ${n} values`);
      return data.values[i < 0 ? i + n : i];
    });
    return { ...data, dims: c.known(1, 'indices').dims, values };
  },
  Unsqueeze: (c) => {
    const x = c.value(0)!;
    const axes = c.node.inputs[1] ? numbers(c.known(1, 'axes'), 'axes') : c.ints('axes');
    const shape = unsqueezed(shapeOf(x), axes);
    return isKnown(x) ? { ...x, dims: shape as number[] } : o.reshape(x, shape);
  },
  Squeeze: (c) => {
    const x = c.value(0)!;
    const axes = c.node.inputs[1] ? numbers(c.known(1, 'axes'), 'axes') : c.node.attributes.axes ? c.ints('axes') : undefined;
    const shape = squeezed(shapeOf(x), axes);
    return isKnown(x) ? { ...x, dims: shape as number[] } : o.reshape(x, shape);
  },
  Concat: (c) => {
    const vs = c.node.inputs.map((_, i) => c.value(i)!);
    const ks = vs.filter(isKnown);
    if (ks.length === vs.length && ks.every((k) => k.dims.length === 1 && !k.float)) {
      return known([ks.reduce((n, k) => n + k.values.length, 0)], ks.flatMap((k) => Array.from(k.values)), false);
    }
    return o.concat(vs.map((_, i) => c.tensor(i)), c.int('axis', 0));
  },
  Slice: (c) => {
    const x = c.value(0)!;
    const s = shapeOf(x);
    const arg = (i: number, name: string) => (c.opset < 10 ? c.node.attributes[name] && c.ints(name) : c.value(i) && numbers(c.known(i, name), name));
    const starts = arg(1, 'starts') ?? [];
    const ends = arg(2, 'ends') ?? [];
    const axes = (arg(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normAxis(a, s.length));
    const steps = (c.opset < 10 ? undefined : arg(4, 'steps')) ?? starts.map(() => 1);
    if (starts.length === 0 || [ends, axes, steps].some((v) => v.length !== starts.length) || steps.includes(0)) throw new NodeError('needs starts, ends, axes and steps of one length, and no zero step');
    if (isKnown(x)) {
      if (s.length !== 1) unsupported(`Slice of a known ${showShape(s)} value`);
      const [from, to] = sliceRange(x.values.length, starts[0], ends[0], steps[0]);
      const values: Dim[] = [];
      for (let i = from; steps[0] > 0 ? i < to : i > to; i += steps[0]) values.push(x.values[i]);
      return { ...x, dims: [values.length], values };
    }
    let y = x;
    axes.forEach((a, i) => {
      const d = y.shape[a];
      if (steps[i] !== 1) unsupported(`Slice with step ${steps[i]}`);
      if (typeof d !== 'number') throw new NodeError(`cannot slice the symbolic axis ${a} of ${showShape(y.shape)}`);
      const [from, to] = sliceRange(d, starts[i], ends[i], 1);
      y = o.slice(y, a, from, Math.max(from, to));
    });
    return y;
  },
  Cast: (c) => {
    const x = c.value(0)!;
    const to = c.int('to', 0);
    const float = to === 1 || to === 11;
    if (!isKnown(x)) return to === 1 ? x : unsupported(`Cast of a tensor to ${ONNX_TYPE_NAMES[to] ?? `type ${to}`}`);
    if (float) return { ...x, values: numbers(x, 'input'), float };
    if (![6, 7].includes(to)) unsupported(`Cast of a known value to ${ONNX_TYPE_NAMES[to] ?? `type ${to}`}`);
    return { ...x, values: Array.from(x.values, (v) => (typeof v === 'number' ? Math.trunc(v) : v)), float };
  },
};

const FINAL = ['Softmax', 'LogSoftmax'];
const SUPPORTED = `a3t imports ${Object.keys(IMPORTERS).join(', ')}, and a final Softmax or LogSoftmax`;

function fromTensor(t: OnnxTensor, what: string): Known {
  if (!t.values) throw new NodeError(`${what} is ${ONNX_TYPE_NAMES[t.elemType] ?? `of ONNX type ${t.elemType}`}; a3t imports float32, float64 and integer tensors`);
  return known(t.dims, t.values, t.elemType === 1 || t.elemType === 11);
}

// ---- attributes ---------------------------------------------------------------------------------

type AttrValues = { int: number; float: number; ints: number[]; string: string };

function attrOf<K extends keyof AttrValues>(n: OnnxNode, name: string, kind: K): AttrValues[K] | undefined {
  const a: OnnxAttribute | undefined = n.attributes[name];
  if (a === undefined) return undefined;
  if (a.kind !== kind) throw new NodeError(`attribute '${name}' should be ${kind === 'int' ? 'an int' : `of kind ${kind}`}, got ${a.kind}`);
  return (a as unknown as { value: AttrValues[K] }).value;
}

// ---- the import -----------------------------------------------------------------------------------

const nodeLabel = (n: OnnxNode, i: number) => `node ${n.name ? `'${n.name}'` : `#${i}`} (${n.opType})`;

export function importOnnx(bytes: Uint8Array, file: string, opts: ImportOptions = {}): ImportedClassifier {
  const fail = (why: string, cause?: unknown): never => {
    throw inputError(`${file}: ${why}`, cause === undefined ? undefined : { cause });
  };
  let g: OnnxGraph;
  try {
    g = readOnnxGraph(bytes);
  } catch (e) {
    if (e instanceof OnnxFormatError) return fail(e.message, e);
    throw e;
  }
  const typeName = (t: number) => ONNX_TYPE_NAMES[t] ?? `ONNX type ${t}`;
  if (g.opset < 7) fail(`imports ONNX opset ${g.opset}; a3t imports opset 7 and later`);

  // The interface: one float32 image input, one float32 [batch, classes] output.
  if (g.inputs.length !== 1) fail(`the graph has ${g.inputs.length} inputs (${g.inputs.map((i) => `'${i.name}'`).join(', ') || 'none'}); a3t imports classifiers with one image input`);
  if (g.outputs.length !== 1) fail(`the graph has ${g.outputs.length} outputs (${g.outputs.map((i) => `'${i.name}'`).join(', ')}); a3t imports classifiers with one output, the logits [batch, classes]`);
  const [inp, out] = [g.inputs[0], g.outputs[0]];
  if (inp.elemType !== 1) fail(`input '${inp.name}' is ${typeName(inp.elemType)}; a3t feeds float32 images`);
  if (out.elemType !== 1) fail(`output '${out.name}' is ${typeName(out.elemType)}; a3t needs float32 logits [batch, classes]`);
  if (out.dims.length !== 0 && out.dims.length !== 2) fail(`output '${out.name}' has shape ${showShape(out.dims)}; a3t needs logits [batch, classes]`);
  if (inp.dims.length !== 2 && inp.dims.length !== 4) fail(`input '${inp.name}' has shape ${showShape(inp.dims)}; a3t imports models taking [N, features] or [N, C, H, W]`);
  const inputShape = resolveInput(inp.name, inp.dims.slice(1), opts.image, fail);
  const features = inputShape.reduce((p, d) => p * d, 1);
  const fixedBatch = typeof inp.dims[0] === 'number' ? inp.dims[0] : null;
  const normalise = normaliser(opts, inputShape, features);

  // Nodes the output depends on, in file order; every one must be supported.
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((v) => v && !producer.has(v) && producer.set(v, i)));
  const needed = new Set<number>();
  for (const stack = [out.name]; stack.length; ) {
    const i = producer.get(stack.pop()!);
    if (i === undefined || needed.has(i)) continue;
    needed.add(i);
    stack.push(...g.nodes[i].inputs.filter(Boolean));
  }
  const order = [...needed].sort((a, b) => a - b);
  const last = producer.get(out.name);
  const warnings: string[] = [];
  for (const i of order) {
    const n = g.nodes[i];
    if (FINAL.includes(n.opType) && i !== last) fail(`${nodeLabel(n, i)} is not the last node; a3t strips a final Softmax or LogSoftmax only, so that attacks see the logits`);
    if (!IMPORTERS[n.opType] && !FINAL.includes(n.opType)) fail(`${nodeLabel(n, i)} is not supported; ${SUPPORTED}`);
  }
  if (last !== undefined && FINAL.includes(g.nodes[last].opType)) warnings.push(`the final ${g.nodes[last].opType} was stripped: attacks run on the logits before it`);
  if (fixedBatch !== null) warnings.push(`the model was exported for batches of exactly ${fixedBatch}; a3t runs it on any batch size`);

  const initial = new Map<string, Known | NodeError>();
  for (const t of g.initializers) {
    try {
      initial.set(t.name, fromTensor(t, `initializer '${t.name}'`));
    } catch (e) {
      if (e instanceof NodeError) initial.set(t.name, e);
      else throw e;
    }
  }
  const constants = new WeakMap<Known, Tensor>();
  const memo = new Map<string, unknown>();

  function build(x: Tensor): Tensor {
    const batch = x.shape[0];
    const env = new Map<string, Value>([[inp.name, x]]);
    const lookup = (name: string): Value => {
      const v = env.get(name) ?? initial.get(name);
      if (v instanceof NodeError) throw v;
      if (v === undefined) throw new NodeError(producer.has(name) ? `uses '${name}' before it is defined, or an output a3t does not compute` : `uses '${name}', which no node, initializer or input defines`);
      return v;
    };
    for (const i of order) {
      const n = g.nodes[i];
      try {
        let result: Value;
        if (i === last && FINAL.includes(n.opType)) result = stripFinal(n, lookup(n.inputs[0]), g.opset);
        else {
          const ins = n.inputs.map((v) => (v ? lookup(v) : undefined));
          const constant = ins.every((v) => v === undefined || (isKnown(v) && !v.fromShape));
          const make = () => IMPORTERS[n.opType](context(n, i, ins, batch));
          result = constant ? once(memo, `${i}`, make) : make();
          if (isKnown(result) && ins.some((v) => v && isKnown(v) && v.fromShape)) result = { ...result, fromShape: true };
        }
        env.set(n.outputs[0], result);
      } catch (e) {
        if (e instanceof NodeError || e instanceof ShapeError) fail(`${nodeLabel(n, i)}: ${e.message}`, e);
        throw e;
      }
    }
    const y = env.get(out.name) ?? initial.get(out.name);
    if (!y || y instanceof NodeError || isKnown(y)) return fail(`output '${out.name}' is not computed from the input '${inp.name}'`);
    if (y.dtype !== 'float32' || y.shape.length !== 2 || y.shape[0] !== batch || typeof y.shape[1] !== 'number' || y.shape[1] < 2)
      fail(`output '${out.name}' is ${y.dtype} ${showShape(y.shape)}; a3t needs float32 logits [batch, classes] with at least 2 classes`);
    return y;
  }

  function context(n: OnnxNode, index: number, ins: Array<Value | undefined>, batch: Dim): Ctx {
    const c: Ctx = {
      node: n,
      opset: g.opset,
      batch,
      fixedBatch,
      value: (i) => ins[i],
      known: (i, role) => {
        const v = ins[i];
        if (!v || !isKnown(v)) throw new NodeError(`its ${role} (input ${i}${n.inputs[i] ? ` '${n.inputs[i]}'` : ''}) must be known at import (an initializer, a Constant, or computed from shapes)`);
        return v;
      },
      tensor: (i) => {
        const v = ins[i];
        if (!v) throw new NodeError(`input ${i} is missing`);
        if (!isKnown(v)) return v;
        if (!v.float) throw new NodeError(`input ${i} '${n.inputs[i]}' is an integer value where a3t expects a float tensor`);
        const make = () => o.constant(numbers(v, `input ${i}`), v.dims);
        if (v.fromShape) return make();
        let t = constants.get(v);
        if (!t) constants.set(v, (t = make()));
        return t;
      },
      int: (name, dflt) => attrOf(n, name, 'int') ?? dflt,
      float: (name, dflt) => attrOf(n, name, 'float') ?? dflt,
      ints: (name, dflt) => {
        const v = attrOf(n, name, 'ints') ?? dflt;
        if (!v) throw new NodeError(`attribute '${name}' is missing`);
        return v;
      },
      string: (name, dflt) => attrOf(n, name, 'string') ?? dflt,
      once: (tag, make) => once(memo, `${index}/${tag}`, make),
    };
    return c;
  }

  const logits = (x: Tensor): Tensor => {
    if (x.shape.length !== 2 || x.shape[1] !== features) throw new ShapeError(`${file}: expects pixel rows [batch, ${features}], got ${showShape(x.shape)}`);
    return build(o.reshape(normalise(x), [x.shape[0], ...inputShape]));
  };
  const classes = logits(o.input('x', ['batch', features])).shape[1] as number;
  return { inputShape, features, classes, logits, warnings, ops };
}

function once<T>(memo: Map<string, unknown>, key: string, make: () => T): T {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as T;
}

/** A final Softmax or LogSoftmax: its input, when it normalises the class axis. */
function stripFinal(n: OnnxNode, x: Value, opset: number): Value {
  const rank = shapeOf(x).length;
  const axis = attrOf(n, 'axis', 'int') ?? (opset < 13 ? 1 : -1);
  if (normAxis(axis, rank) !== rank - 1) throw new NodeError(`normalises axis ${axis} of ${showShape(shapeOf(x))}; a3t strips it only over the classes (the last axis)`);
  return x;
}

/** The per-example input shape, symbolic dims filled from the data's image shape, and checked against it. */
function resolveInput(name: string, dims: Array<number | string>, image: ImportOptions['image'], fail: (why: string) => never): number[] {
  const rank4 = dims.length === 3;
  const size = image ? image[0] * image[1] * image[2] : null;
  const shape = dims.map((d, i) => {
    if (typeof d === 'number' && d > 0) return d;
    if (image && rank4) return image[i];
    if (image && dims.length === 1) return size!;
    return fail(`input '${name}' has shape [N, ${dims.join(', ')}]: its non-batch dims must be fixed, or filled from the data's image shape`);
  });
  const n = shape.reduce((p, d) => p * d, 1);
  if (image && n !== size) fail(`input '${name}' takes ${showShape(shape)} (${n} values per example) but the data's images are ${showShape(image)} (${size})`);
  return shape;
}

/** x ↦ (x·scale − mean) / std per feature (channel-major rows), with constants made once; identity by default. */
function normaliser(opts: ImportOptions, inputShape: number[], features: number): (x: Tensor) => Tensor {
  const scale = opts.inputScale ?? 1;
  const mean = opts.mean ?? [0];
  const std = opts.std ?? [1];
  const channels = inputShape.length === 3 ? inputShape[0] : (opts.image?.[0] ?? 1);
  for (const [what, v] of [['mean', mean], ['std', std]] as const)
    if (v.length !== 1 && v.length !== channels) throw usageError(`${what} has ${v.length} values; give one, or one per channel (${channels})`);
  if (std.some((s) => !(s !== 0 && Number.isFinite(s))) || !Number.isFinite(scale)) throw usageError(`std must be finite and non-zero and inputScale finite, got std [${std.join(', ')}], inputScale ${scale}`);
  if (scale === 1 && mean.every((m) => m === 0) && std.every((s) => s === 1)) return (x) => x;
  const per = features / channels;
  const at = (v: readonly number[], k: number) => v[v.length === 1 ? 0 : Math.floor(k / per)];
  let consts: [Tensor, Tensor] | undefined;
  return (x) => {
    consts ??= [
      o.constant(Array.from({ length: features }, (_, k) => scale / at(std, k)), [features]),
      o.constant(Array.from({ length: features }, (_, k) => at(mean, k) / at(std, k)), [features]),
    ];
    return o.sub(o.mul(x, consts[0]), consts[1]);
  };
}
