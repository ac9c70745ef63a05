// ONNX emission: the traced graph as a ModelProto (opset 18), one table entry per op.
import type { ComputedOp } from './op-attrs.js';
import { type Attr, type EmittedModel, Emitter, ONNX_DTYPE, type ValueInfo, finishModel, poolAttributes, valueInfo } from './onnx-emitter.js';
import { type EmitRule, type Lowering, Layouts, STANDARD, emitBlocked } from './nchwc.js';
import { type Node, type Tensor, ShapeError, showShape, staticSize, topoSort } from './tensor.js';

export { type EmittedModel, OPSET, type ValueInfo } from './onnx-emitter.js';

/** Emits the ONNX nodes computing `t` from its inputs' values `ins` into the value `out`. */
type Emit<K extends ComputedOp> = (e: Emitter, t: Node<K>, ins: string[], out: string) => void;

/** An op without attributes as one ONNX operator (a rule for any node, so it fits every entry). */
const simple = (op: string) => (e: Emitter, _t: Tensor, ins: string[], out: string) => e.node(op, ins, [out]);

function reshapeTarget(t: Tensor): number[] {
  const x = t.inputs[0];
  const open = t.shape.filter((d, i) => typeof d === 'string' && x.shape[i] !== d).length;
  if (open > 1) throw new ShapeError(`onnx: reshape ${showShape(x.shape)} to ${showShape(t.shape)} moves more than one named dim`);
  return t.shape.map((d, i) => (typeof d === 'number' ? d : x.shape[i] === d ? 0 : -1));
}

/** The shape of `t` (value `name`) as an int64 vector: a constant when static. */
function shapeOf(e: Emitter, t: Tensor, name: string): string {
  if (staticSize(t.shape) !== null) return e.small('int64', [t.shape.length], t.shape as number[]);
  const shape = e.temp();
  e.node('Shape', [name], [shape]);
  return shape;
}

function convAttrs(t: Tensor<'conv2d' | 'convTranspose2d'>): Attr[] {
  const { strides, pads, dilations, group } = t.attrs;
  return [
    { name: 'kernel_shape', ints: t.inputs[1].shape.slice(2) as number[] },
    { name: 'strides', ints: strides },
    { name: 'pads', ints: pads },
    { name: 'dilations', ints: dilations },
    { name: 'group', i: group },
  ];
}

/** MaxPool's Indices output for `x` (int64, the pooled shape, flat indices into the whole N·C·H·W tensor), and it as 1-D. */
function maxPoolIndices(e: Emitter, t: Tensor<'maxPoolGrad' | 'maxPoolPick'>, x: string): [string, string] {
  const [pooled, at, flat] = [e.temp(), e.temp(), e.temp()];
  e.node('MaxPool', [x], [pooled, at], poolAttributes(t.attrs));
  e.node('Reshape', [at, e.small('int64', [1], [-1])], [flat]);
  return [at, flat];
}

/** One rule per computed op: a missing one is a compile error. */
export const EMIT: { readonly [K in ComputedOp]: Emit<K> } = {
  add: simple('Add'),
  sub: simple('Sub'),
  mul: simple('Mul'),
  div: simple('Div'),
  pow: simple('Pow'),
  maximum: simple('Max'),
  minimum: simple('Min'),
  greater: simple('Greater'),
  less: simple('Less'),
  greaterOrEqual: simple('GreaterOrEqual'),
  lessOrEqual: simple('LessOrEqual'),
  equal: simple('Equal'),
  neg: simple('Neg'),
  exp: simple('Exp'),
  log: simple('Log'),
  sqrt: simple('Sqrt'),
  relu: simple('Relu'),
  sigmoid: simple('Sigmoid'),
  tanh: simple('Tanh'),
  // ONNX Runtime's Sign runs on one thread (150 µs for [128, 784]); float32 values scaled by 2^200 in two
  // steps (no single constant holds it) are ±∞, ±0 or at least 2^51 in size, so clipping to [−1, 1] is the
  // sign exactly, subnormals included, in 70 µs.
  sign: (e, t, ins, out) => {
    if (t.dtype !== 'float32') return e.node('Sign', ins, [out]);
    const [a, b] = [e.temp(), e.temp()];
    const big = e.small('float32', [], [2 ** 100]);
    e.node('Mul', [ins[0], big], [a]);
    e.node('Mul', [a, big], [b]);
    e.node('Clip', [b, e.small('float32', [], [-1]), e.small('float32', [], [1])], [out]);
  },
  abs: simple('Abs'),
  where: simple('Where'),
  stopGradient: simple('Identity'),
  randomNormalLike: (e, t, ins, out) => e.node('RandomNormalLike', ins, [out], [{ name: 'dtype', i: ONNX_DTYPE[t.dtype] }, { name: 'seed', f: t.attrs.seed }]),
  leakyRelu: (e, t, ins, out) => e.node('LeakyRelu', ins, [out], [{ name: 'alpha', f: t.attrs.alpha }]),
  clip: (e, t, ins, out) => {
    const { min, max } = t.attrs;
    const bound = (v?: number) => (v === undefined ? '' : e.small(t.dtype, [], [v]));
    e.node('Clip', [ins[0], bound(min), bound(max)], [out]);
  },
  cast: (e, t, ins, out) => e.node('Cast', ins, [out], [{ name: 'to', i: ONNX_DTYPE[t.dtype] }]),
  reduceSum: reduceEmit('ReduceSum'),
  reduceMean: reduceEmit('ReduceMean'),
  reduceMax: reduceEmit('ReduceMax'),
  softmax: (e, t, ins, out) => e.node('Softmax', ins, [out], [{ name: 'axis', i: t.attrs.axis }]),
  logSoftmax: (e, t, ins, out) => e.node('LogSoftmax', ins, [out], [{ name: 'axis', i: t.attrs.axis }]),
  argmax: (e, t, ins, out) =>
    e.node('ArgMax', ins, [out], [
      { name: 'axis', i: t.attrs.axis },
      { name: 'keepdims', i: t.attrs.keepdims ? 1 : 0 },
    ]),
  oneHot: (e, t, ins, out) =>
    e.node('OneHot', [ins[0], e.small('int64', [], [t.attrs.depth]), e.small(t.dtype, [2], [0, 1])], [out], [{ name: 'axis', i: -1 }]),
  matmul: (e, t, ins, out) =>
    e.node('Gemm', ins, [out], [
      { name: 'transA', i: t.attrs.transA ? 1 : 0 },
      { name: 'transB', i: t.attrs.transB ? 1 : 0 },
    ]),
  reshape: (e, t, ins, out) => e.node('Reshape', [ins[0], e.small('int64', [t.shape.length], reshapeTarget(t))], [out]),
  transpose: (e, t, ins, out) => e.node('Transpose', ins, [out], [{ name: 'perm', ints: t.attrs.perm }]),
  concat: (e, t, ins, out) => e.node('Concat', ins, [out], [{ name: 'axis', i: t.attrs.axis }]),
  slice: (e, t, ins, out) => {
    const { axis, start, end } = t.attrs;
    e.node('Slice', [ins[0], e.small('int64', [1], [start]), e.small('int64', [1], [end]), e.small('int64', [1], [axis])], [out]);
  },
  sliceAt: (e, t, ins, out) => {
    const { axis, length } = t.attrs;
    const end = e.temp();
    e.node('Add', [ins[1], e.small('int64', [1], [length])], [end]);
    e.node('Slice', [ins[0], ins[1], end, e.small('int64', [1], [axis])], [out]);
  },
  padAt: (e, t, ins, out) => {
    const { axis, size } = t.attrs;
    const r = t.shape.length;
    const after = e.temp();
    e.node('Sub', [e.small('int64', [1], [size - (t.inputs[0].shape[axis] as number)]), ins[1]], [after]);
    const zero = (n: number) => (n ? [e.small('int64', [n], new Array(n).fill(0))] : []);
    const pads = e.temp();
    e.node('Concat', [...zero(axis), ins[1], ...zero(r - 1 - axis), ...zero(axis), after, ...zero(r - 1 - axis)], [pads], [{ name: 'axis', i: 0 }]);
    e.node('Pad', [ins[0], pads], [out]);
  },
  pad: (e, t, ins, out) => {
    const { axis, before, after } = t.attrs;
    const r = t.shape.length;
    const pads = new Array(2 * r).fill(0);
    pads[axis] = before;
    pads[r + axis] = after;
    e.node('Pad', [ins[0], e.small('int64', [2 * r], pads)], [out]);
  },
  expandAs: (e, t, ins, out) => e.node('Expand', [ins[0], shapeOf(e, t.inputs[1], ins[1])], [out]),
  dimSize: (e, t, ins, out) => {
    const a = t.attrs.axis;
    const s = e.temp();
    const c = e.temp();
    e.node('Shape', ins, [s], [
      { name: 'start', i: a },
      { name: 'end', i: a + 1 },
    ]);
    e.node('Cast', [s], [c], [{ name: 'to', i: ONNX_DTYPE[t.dtype] }]);
    e.node('Reshape', [c, e.small('int64', [0], [])], [out]);
  },
  conv2d: (e, t, ins, out) => e.node('Conv', ins, [out], convAttrs(t)),
  // ONNX Runtime's ConvTranspose runs one small GEMM and col2im per image (measured: 3.3 ms for cnn-small's
  // [128, 32, 7, 7] input gradient); one batched MatMul and Col2Im do the same in 2.5 ms.
  convTranspose2d: (e, t, ins, out) => {
    const { strides, pads, dilations, group, outputPadding } = t.attrs;
    if (group !== 1) return e.node('ConvTranspose', ins, [out], [...convAttrs(t), { name: 'output_padding', ints: outputPadding }]);
    const [c, h, wd] = t.inputs[0].shape.slice(1) as number[];
    const [o, kh, kw] = t.inputs[1].shape.slice(1) as number[];
    const [rows, w2, wt, cols] = [e.temp(), e.temp(), e.temp(), e.temp()];
    e.node('Reshape', [ins[0], e.small('int64', [3], [0, c, h * wd])], [rows]);
    e.node('Reshape', [ins[1], e.small('int64', [2], [c, o * kh * kw])], [w2]);
    e.node('Transpose', [w2], [wt], [{ name: 'perm', ints: [1, 0] }]);
    e.node('MatMul', [wt, rows], [cols]);
    // Col2Im's image shape is the output's, output padding included.
    e.node('Col2Im', [cols, e.small('int64', [2], t.shape.slice(2) as number[]), e.small('int64', [2], [kh, kw])], [out], [
      { name: 'dilations', ints: dilations },
      { name: 'pads', ints: pads },
      { name: 'strides', ints: strides },
    ]);
  },
  maxPool2d: (e, t, ins, out) => e.node('MaxPool', ins, [out], poolAttributes(t.attrs)),
  avgPool2d: (e, t, ins, out) => e.node('AveragePool', ins, [out], [...poolAttributes(t.attrs), { name: 'count_include_pad', i: t.attrs.countIncludePad ? 1 : 0 }]),
  maxPoolGrad: (e, t, [x, g], out) => {
    const [, at] = maxPoolIndices(e, t, x);
    const shape = shapeOf(e, t, x);
    const [zeros, flatZeros, flatG, sums] = [e.temp(), e.temp(), e.temp(), e.temp()];
    const flat = e.small('int64', [1], [-1]);
    e.node('Expand', [e.small(t.dtype, [], [0]), shape], [zeros]);
    e.node('Reshape', [zeros, flat], [flatZeros]);
    e.node('Reshape', [g, flat], [flatG]);
    // Overlapping windows can pick the same cell: their cotangents add up.
    e.node('ScatterElements', [flatZeros, at, flatG], [sums], [
      { name: 'axis', i: 0 },
      { name: 'reduction', s: 'add' },
    ]);
    e.node('Reshape', [sums, shape], [out]);
  },
  maxPoolPick: (e, t, [x, c], out) => {
    const [at, flatAt] = maxPoolIndices(e, t, x);
    const [flatC, picked] = [e.temp(), e.temp()];
    e.node('Reshape', [c, e.small('int64', [1], [-1])], [flatC]);
    e.node('GatherElements', [flatC, flatAt], [picked], [{ name: 'axis', i: 0 }]);
    e.node('Reshape', [picked, shapeOf(e, t, at)], [out]);
  },
};

function reduceEmit(op: string): Emit<'reduceSum' | 'reduceMean' | 'reduceMax'> {
  return (e, t, ins, out) => {
    const axes = t.attrs.axes;
    e.node(op, [ins[0], e.small('int64', [axes.length], axes)], [out], [{ name: 'keepdims', i: t.attrs.keepdims ? 1 : 0 }]);
  };
}

/**
 * Emit the nodes computing `outputs` into `e`. `bind` names the value of each input node (and may
 * emit nodes producing it); constants become initializers. With a blocked lowering, convolutions and
 * the ops between them run on blocked values (nchwc.ts). Returns each output's value name.
 */
function emitNodes(e: Emitter, outputs: Readonly<Record<string, Tensor>>, bind: (t: Tensor<'input'>) => string, lowering: Lowering): Map<string, string> {
  const names = Object.keys(outputs);
  if (names.length === 0) throw new ShapeError('onnx: a graph needs at least one output');
  const outputOf = new Map<number, string>();
  for (const n of names) {
    const t = outputs[n];
    if (t.op !== 'input' && t.op !== 'constant' && !outputOf.has(t.id)) outputOf.set(t.id, n);
  }
  const order = topoSort(names.map((n) => outputs[n]));
  const users = new Map<number, Tensor[]>();
  for (const t of order) for (const i of new Set(t.inputs)) users.set(i.id, [...(users.get(i.id) ?? []), t]);
  const values = new Layouts(e, lowering.block, (t) => outputOf.get(t.id), (t) => users.get(t.id) ?? []);
  for (const t of order) {
    if (t.op === 'input') values.setStandard(t, bind(t));
    else if (t.op === 'constant') {
      const name = `${e.prefix}k${t.id}`;
      e.initializer(name, t.dtype, t.shape as number[], t.attrs.value);
      values.setStandard(t, name);
    } else {
      const rule = ruleFor(e, t);
      if (lowering.block && emitBlocked(values, t, rule)) continue;
      const out = values.nameFor(t);
      rule(t.inputs.map((i) => values.plain(i)), out);
      values.setStandard(t, out);
    }
  }
  return new Map(names.map((n) => [n, values.plain(outputs[n])]));
}

/** `t`'s rule from the table, bound to `e` (generic in K so the rule and the node are of one op). */
function ruleFor<K extends ComputedOp>(e: Emitter, t: Node<K>): EmitRule {
  const emit: Emit<K> = EMIT[t.op];
  return (ins, out) => emit(e, t, ins, out);
}

/** Checks that distinct input nodes have distinct names; returns the name. */
function inputNamer(outputs: Readonly<Record<string, Tensor>>) {
  const seen = new Map<string, Tensor>();
  return (t: Tensor<'input'>): string => {
    const name = t.attrs.name;
    const prev = seen.get(name);
    if (prev && prev !== t) throw new ShapeError(`onnx: two different inputs are named '${name}'`);
    if (outputs[name] && outputs[name] !== t) throw new ShapeError(`onnx: '${name}' names both an input and an output`);
    seen.set(name, t);
    return name;
  };
}

/** Emit the graph that computes `outputs` (by name) from the inputs it reaches. */
export function emitOnnx(outputs: Readonly<Record<string, Tensor>>, graphName = 'a3t', lowering: Lowering = STANDARD): EmittedModel {
  const e = new Emitter();
  const inputs: ValueInfo[] = [];
  const name = inputNamer(outputs);
  const values = emitNodes(e, outputs, (t) => {
    const n = name(t);
    if (!inputs.some((i) => i.name === n)) inputs.push({ name: n, shape: t.shape, dtype: t.dtype });
    return n;
  }, lowering);
  for (const [n, v] of values) if (v !== n) e.node('Identity', [v], [n]);
  const outInfo = Object.keys(outputs).map((n) => ({ name: n, shape: outputs[n].shape, dtype: outputs[n].dtype }));
  return finishModel(e, inputs, outInfo, graphName);
}

export interface LoopSpec {
  /** Per-step results, stacked along a new leading axis 'steps'. */
  outputs: Readonly<Record<string, Tensor>>;
  /** Carried state: input name → its value after one step. */
  carried: Readonly<Record<string, Tensor>>;
}

export const STEPS_DIM = 'steps';

/**
 * Emit a model that runs the step graph once per row of its stacked inputs (an ONNX Loop), carrying
 * the state from step to step inside ONNX Runtime. Every input that is not carried is fed stacked,
 * shape ['steps', ...shape]; outputs are the carried state after the last step (named `<name>__next`)
 * and each per-step output stacked the same way.
 */
export function emitLoopOnnx(spec: LoopSpec, graphName = 'a3t-loop', lowering: Lowering = STANDARD): EmittedModel {
  const carried = Object.keys(spec.carried);
  const body = new Emitter('b_');
  const stacked: ValueInfo[] = [];
  const state: ValueInfo[] = [];
  const name = inputNamer({ ...spec.outputs });
  const bodyOutputs: Record<string, Tensor> = {};
  for (const c of carried) bodyOutputs[`${c}@out`] = spec.carried[c];
  for (const [n, t] of Object.entries(spec.outputs)) bodyOutputs[`${n}@step`] = t;
  const values = emitNodes(body, bodyOutputs, (t) => {
    const n = name(t);
    if (carried.includes(n)) {
      if (!state.some((s) => s.name === n)) state.push({ name: n, shape: t.shape, dtype: t.dtype });
      return `${n}@in`;
    }
    if (!stacked.some((s) => s.name === n)) {
      stacked.push({ name: n, shape: [STEPS_DIM, ...t.shape], dtype: t.dtype });
      body.node('Gather', [n, 'iter'], [`${n}@step`], [{ name: 'axis', i: 0 }]);
    }
    return `${n}@step`;
  }, lowering);
  for (const [n, v] of values) if (v !== n) body.node('Identity', [v], [n]);
  body.node('Identity', ['cond'], ['cond@out']);
  for (const c of carried) if (!state.some((s) => s.name === c)) throw new ShapeError(`onnx: carried state '${c}' is not an input of the step`);
  if (stacked.length === 0) throw new ShapeError('onnx: a loop needs at least one per-step input to count its steps');
  const stateInfo = carried.map((c) => state.find((s) => s.name === c)!);
  const bodyIn: ValueInfo[] = [{ name: 'iter', shape: [], dtype: 'int64' }, { name: 'cond', shape: [], dtype: 'bool' }, ...stateInfo.map((s) => ({ ...s, name: `${s.name}@in` }))];
  const outNames = Object.keys(spec.outputs);
  const bodyOut: ValueInfo[] = [
    { name: 'cond@out', shape: [], dtype: 'bool' },
    ...stateInfo.map((s) => ({ ...s, name: `${s.name}@out` })),
    ...outNames.map((n) => ({ name: `${n}@step`, shape: spec.outputs[n].shape, dtype: spec.outputs[n].dtype })),
  ];
  body.graph.string(2, 'step');
  for (const i of bodyIn) body.graph.message(11, valueInfo(i));
  for (const o of bodyOut) body.graph.message(12, valueInfo(o));

  const main = new Emitter();
  // Trip count = rows of the first stacked input.
  main.node('Shape', [stacked[0].name], ['steps@1d'], [
    { name: 'start', i: 0 },
    { name: 'end', i: 1 },
  ]);
  main.node('Reshape', ['steps@1d', main.small('int64', [0], [])], ['steps@count']);
  const finals = carried.map((c) => `${c}__next`);
  main.node('Loop', ['steps@count', '', ...carried], [...finals, ...outNames], [{ name: 'body', g: body.graph }]);
  main.nodeCount += body.nodeCount;
  for (const [op, n] of Object.entries(body.opCounts)) main.opCounts[op] = (main.opCounts[op] ?? 0) + n;
  const outInfo: ValueInfo[] = [
    ...stateInfo.map((s) => ({ ...s, name: `${s.name}__next` })),
    ...outNames.map((n) => ({ name: n, shape: [STEPS_DIM, ...spec.outputs[n].shape], dtype: spec.outputs[n].dtype })),
  ];
  return finishModel(main, [...stateInfo, ...stacked], outInfo, graphName, new Set([...main.domains, ...body.domains]));
}
