// The table of local gradient rules: for each op, the cotangents of its inputs given the output's.
import { cellsInside, outputPaddingFor } from './conv.js';
import type { ComputedOp, ConvAttrs } from './op-attrs.js';
import * as o from './ops.js';
import { type Node, type Shape, type Tensor, isFloat, sameShape } from './tensor.js';

/** Cotangents for each input (null = no gradient flows there). `y` is the node, `g` its cotangent. */
export type VjpRule<K extends ComputedOp = ComputedOp> = (y: Node<K>, g: Tensor) => Array<Tensor | null>;

/** Sum `g` over the axes that broadcasting added, so it has `shape` again. */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  return o.reshape(o.reduceSum(g, axes, true), shape);
}

/**
 * The cotangent of a product's addend. A bias row [n] summed over m rows is a product with a row of
 * ones: for [128, 512], ONNX Runtime's ReduceSum over the leading axis measured 96 µs, the product 27 µs
 * (per step of a looped graph, the loop's own cost in both).
 */
function biasGrad(g: Tensor, shape: Shape): Tensor {
  const [m, n] = g.shape;
  if (shape.length === 1 && shape[0] === n && typeof m === 'number' && m > 1)
    return o.reshape(o.matmul(o.constant(new Array(m).fill(1), [1, m], g.dtype), g), [n as number]);
  return unbroadcast(g, shape);
}

/** The VJP table's entry for an op that has no rule on purpose. */
export const FORWARD_ONLY = 'forward-only';

const mask = (cond: Tensor, g: Tensor): Tensor => o.where(cond, g, 0);

// An activation is often differentiated more than once (an attack's input gradient, then the
// parameter gradient): its mask (ReLU) or slope (leaky ReLU) is built once per node and reused.
const masks = new WeakMap<Tensor, Tensor>();
const positive = (y: Tensor): Tensor => masks.get(y) ?? masks.set(y, o.greater(y.inputs[0], 0)).get(y)!;
// ReLU's mask as 0/1 floats, multiplied in: ONNX Runtime's Where with a broadcast zero runs on one thread
// (5.3 ms for [128, 32, 28, 28] against Mul's 1.2 ms; the Cast is paid once per forward pass).
const ones = new WeakMap<Tensor, Tensor>();
const positiveOnes = (y: Tensor): Tensor => ones.get(y) ?? ones.set(y, o.cast(positive(y), y.dtype)).get(y)!;
const slopes = new WeakMap<Tensor, Tensor>();
function slope(y: Tensor, negative: number): Tensor {
  let s = slopes.get(y);
  if (!s) slopes.set(y, (s = o.where(positive(y), o.constant(1, [], y.dtype), o.constant(negative, [], y.dtype))));
  return s;
}

/** Insert the reduced axes back as 1s so the cotangent broadcasts against the input. */
function keepDims(y: Tensor<'reduceSum' | 'reduceMean' | 'reduceMax'>, g: Tensor): Tensor {
  const x = y.inputs[0];
  if (y.attrs.keepdims) return g;
  const axes = y.attrs.axes;
  return o.reshape(g, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

/**
 * The gradient of ⟨conv2d(x, w), g⟩ in w, itself a convolution over the batch: x with batch and channels
 * swapped is the input, g so swapped the kernel, and strides and dilations trade places:
 * dw[o, c, p, q] = Σ_{n,i,j} x[n, c, i·sh + p·dh − pt, j·sw + q·dw − pl] · g[n, o, i, j].
 */
export function convWeightGrad(x: Tensor, g: Tensor, w: Tensor, a: ConvAttrs): Tensor {
  const { strides: s, pads: p, dilations: d, group } = a;
  const [n, c, h, wd] = x.shape;
  const [kh, kw] = w.shape.slice(2) as number[];
  if (group > 1 && typeof n !== 'number') {
    // [Cg, G·N, H, W] below would multiply a named batch: one convolution per group instead.
    const [cg, og] = [(c as number) / group, (g.shape[1] as number) / group];
    const part = (k: number) => convWeightGrad(o.slice(x, 1, k * cg, (k + 1) * cg), o.slice(g, 1, k * og, (k + 1) * og), w, { ...a, group: 1 });
    return o.concat(Array.from({ length: group }, (_, k) => part(k)), 0);
  }
  const [ho, wo] = g.shape.slice(2) as number[];
  // End pads that just reach the last tap, row (k−1)·d + (n−1)·s − begin; taps beyond kh, kw are cropped.
  const end = (k: number, dk: number, m: number, sk: number, size: number, begin: number) => Math.max(0, (k - 1) * dk + (m - 1) * sk + 1 - size - begin);
  const opts = { strides: d, dilations: s, pads: [p[0], p[1], end(kh, d[0], ho, s[0], h as number, p[0]), end(kw, d[1], wo, s[1], wd as number, p[1])] as const, group };
  // Group k of x's channels, [N, G·Cg, H, W] → [Cg, G·N, H, W], is group k of the new channels.
  const cg = (c as number) / group;
  const xt = group === 1 ? o.transpose(x, [1, 0, 2, 3]) : o.reshape(o.transpose(o.reshape(x, [n, group, cg, h, wd]), [2, 1, 0, 3, 4]), [cg, group * (n as number), h, wd]);
  const dw = o.conv2d(xt, o.transpose(g, [1, 0, 2, 3]), undefined, opts); // [C/G, O, kh', kw']
  return o.transpose(o.slice(o.slice(dw, 2, 0, kh), 3, 0, kw), [1, 0, 2, 3]);
}

/**
 * One entry per computed op, so a missing one is a compile error: its rule, or FORWARD_ONLY for an op
 * that is never differentiated (grad refuses it by name).
 */
export const VJP: { readonly [K in ComputedOp]: VjpRule<K> | typeof FORWARD_ONLY } = {
  add: ({ inputs: [a, b] }, g) => [unbroadcast(g, a.shape), unbroadcast(g, b.shape)],
  sub: ({ inputs: [a, b] }, g) => [unbroadcast(g, a.shape), unbroadcast(o.neg(g), b.shape)],
  mul: ({ inputs: [a, b] }, g) => [unbroadcast(o.mul(g, b), a.shape), unbroadcast(o.mul(g, a), b.shape)],
  div: (y, g) => {
    const [a, b] = y.inputs;
    return [unbroadcast(o.div(g, b), a.shape), unbroadcast(o.neg(o.div(o.mul(g, y), b)), b.shape)];
  },
  pow: (y, g) => {
    const [a, b] = y.inputs;
    const da = o.mul(g, o.mul(b, o.pow(a, o.sub(b, 1))));
    const db = b.op === 'constant' ? null : unbroadcast(o.mul(g, o.mul(y, o.log(a))), b.shape);
    return [unbroadcast(da, a.shape), db];
  },
  // On a tie the whole cotangent goes to a (PyTorch splits it evenly): either is a subgradient.
  maximum: ({ inputs: [a, b] }, g) => {
    const first = o.greaterOrEqual(a, b);
    return [unbroadcast(o.where(first, g, 0), a.shape), unbroadcast(o.where(first, 0, g), b.shape)];
  },
  minimum: ({ inputs: [a, b] }, g) => {
    const first = o.lessOrEqual(a, b);
    return [unbroadcast(o.where(first, g, 0), a.shape), unbroadcast(o.where(first, 0, g), b.shape)];
  },
  neg: (_y, g) => [o.neg(g)],
  exp: (y, g) => [o.mul(g, y)],
  log: (y, g) => [o.div(g, y.inputs[0])],
  sqrt: (y, g) => [o.div(g, o.mul(y, 2))],
  relu: (y, g) => [o.mul(g, positiveOnes(y))],
  leakyRelu: (y, g) => [o.mul(g, slope(y, y.attrs.alpha))],
  sigmoid: (y, g) => [o.mul(g, o.mul(y, o.sub(1, y)))],
  tanh: (y, g) => [o.mul(g, o.sub(1, o.mul(y, y)))],
  sign: () => [null],
  abs: (y, g) => [o.mul(g, o.sign(y.inputs[0]))],
  // Subgradient 1 on the boundary, as PyTorch's clamp.
  clip: (y, g) => {
    const x = y.inputs[0];
    const { min, max } = y.attrs;
    let r = g;
    if (min !== undefined) r = mask(o.greaterOrEqual(x, min), r);
    if (max !== undefined) r = mask(o.lessOrEqual(x, max), r);
    return [r];
  },
  where: ({ inputs: [c, a, b] }, g) => [null, unbroadcast(o.where(c, g, 0), a.shape), unbroadcast(o.where(c, 0, g), b.shape)],
  greater: () => [null, null],
  less: () => [null, null],
  greaterOrEqual: () => [null, null],
  lessOrEqual: () => [null, null],
  equal: () => [null, null],
  argmax: () => [null],
  oneHot: () => [null],
  dimSize: () => [null],
  stopGradient: () => [null],
  randomNormalLike: () => [null],
  cast: (y, g) => [isFloat(y.inputs[0].dtype) ? o.cast(g, y.inputs[0].dtype) : null],
  reduceSum: (y, g) => [o.expandAs(keepDims(y, g), y.inputs[0])],
  reduceMean: (y, g) => {
    const x = y.inputs[0];
    let count: Tensor | number = 1;
    for (const a of y.attrs.axes) count = typeof count === 'number' && typeof x.shape[a] === 'number' ? count * (x.shape[a] as number) : o.mul(count, o.dimSize(x, a, x.dtype));
    return [o.expandAs(o.div(keepDims(y, g), count), x)];
  },
  // Ties all receive the full cotangent.
  reduceMax: (y, g) => {
    const x = y.inputs[0];
    const hit = o.equal(x, o.expandAs(keepDims(y, y), x));
    return [mask(hit, o.expandAs(keepDims(y, g), x))];
  },
  softmax: (y, g) => {
    const axis = y.attrs.axis;
    return [o.mul(y, o.sub(g, o.reduceSum(o.mul(g, y), axis, true)))];
  },
  logSoftmax: (y, g) => {
    const axis = y.attrs.axis;
    return [o.sub(g, o.mul(o.exp(y), o.reduceSum(g, axis, true)))];
  },
  matmul: (y, g) => {
    const [a, b, c] = y.inputs;
    const { transA, transB } = y.attrs;
    const dc = c ? [biasGrad(g, c.shape)] : [];
    if (!transA && !transB) return [o.matmul(g, b, { transB: true }), o.matmul(a, g, { transA: true }), ...dc];
    if (transA && !transB) return [o.matmul(b, g, { transB: true }), o.matmul(a, g), ...dc];
    if (!transA && transB) return [o.matmul(g, b), o.matmul(g, a, { transA: true }), ...dc];
    return [o.matmul(b, g, { transA: true, transB: true }), o.matmul(g, a, { transA: true, transB: true }), ...dc];
  },
  reshape: (y, g) => [o.reshape(g, y.inputs[0].shape)],
  transpose: (y, g) => {
    const perm = y.attrs.perm;
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [o.transpose(g, inv)];
  },
  concat: (y, g) => {
    const axis = y.attrs.axis;
    let at = 0;
    return y.inputs.map((x) => {
      const d = x.shape[axis] as number;
      const s = o.slice(g, axis, at, at + d);
      at += d;
      return s;
    });
  },
  slice: (y, g) => {
    const { axis, start, end } = y.attrs;
    return [o.pad(g, axis, start, (y.inputs[0].shape[axis] as number) - end)];
  },
  pad: (y, g) => {
    const { axis, before } = y.attrs;
    return [o.slice(g, axis, before, before + (y.inputs[0].shape[axis] as number))];
  },
  // Their positions are int64 values computed at run time; no attack or objective differentiates through them.
  sliceAt: FORWARD_ONLY,
  padAt: FORWARD_ONLY,
  expandAs: (y, g) => [unbroadcast(g, y.inputs[0].shape), null],
  conv2d: (y, g) => {
    const [x, w, b] = y.inputs;
    const a: ConvAttrs = y.attrs;
    const { strides: s, pads: p, dilations: d } = a;
    const [kh, kw] = w.shape.slice(2) as number[];
    const outputPadding = [0, 1].map((i) => outputPaddingFor(x.shape[2 + i] as number, g.shape[2 + i] as number, i ? kw : kh, s[i], d[i], p[i], p[2 + i])) as [number, number];
    const dx = o.convTranspose2d(g, w, { ...a, outputPadding });
    return [dx, convWeightGrad(x, g, w, a), ...(b ? [o.reduceSum(g, [0, 2, 3])] : [])];
  },
  // The adjoint of conv2d(·, w), which maps y's size back to x's because outputPadding < strides.
  convTranspose2d: (y, g) => {
    const [x, w] = y.inputs;
    const { outputPadding: _, ...a } = y.attrs;
    return [o.conv2d(g, w, undefined, a), convWeightGrad(g, x, w, a)];
  },
  maxPool2d: (y, g) => [o.maxPoolGrad(y.inputs[0], g, y.attrs)],
  maxPoolGrad: (y, g) => [null, o.maxPoolPick(y.inputs[0], g, y.attrs)],
  maxPoolPick: (y, g) => [null, o.maxPoolGrad(y.inputs[0], g, y.attrs)],
  // Each window's cotangent over its divisor, spread back over the window by a ones kernel per channel.
  avgPool2d: (y, g) => {
    const x = y.inputs[0];
    const { kernel: k, strides: s, pads: p, countIncludePad } = y.attrs;
    const [c, h, wd] = x.shape.slice(1) as number[];
    const [ho, wo] = y.shape.slice(2) as number[];
    let scaled: Tensor;
    if (countIncludePad) scaled = o.div(g, k[0] * k[1]);
    else {
      const rows = cellsInside(h, k[0], s[0], p[0], ho);
      const cols = cellsInside(wd, k[1], s[1], p[1], wo);
      scaled = o.div(g, o.constant(rows.flatMap((r) => cols.map((q) => r * q)), [ho, wo], g.dtype));
    }
    const outputPadding: [number, number] = [outputPaddingFor(h, ho, k[0], s[0], 1, p[0], p[2]), outputPaddingFor(wd, wo, k[1], s[1], 1, p[1], p[3])];
    return [o.convTranspose2d(scaled, o.constant(1, [c, 1, k[0], k[1]], g.dtype), { strides: s, pads: p, group: c, outputPadding })];
  },
};
