// Op builders: each checks its operands, infers the output shape and dtype, and records a node.
import { type ConvAttrs, type ConvTransposeAttrs, type PoolAttrs, padsOf, pairOf, transposedSize, windows } from './conv.js';
import type { OpAttrs, OpName } from './op-attrs.js';
import { type DType, type Dim, type Node, type Shape, type Tensor, ShapeError, isFloat, node, showShape, staticSize, sameShape } from './tensor.js';

export type Operand = Tensor | number;

// ---- leaves ---------------------------------------------------------------------------------

/** A graph input, fed by name at run time. */
export function input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
  if (!/^[A-Za-z_][\w.:/-]*$/.test(name)) throw new ShapeError(`input: name '${name}' must start with a letter or '_' and hold only letters, digits, _ . : / -`);
  for (const d of shape) checkDim('input ' + name, d);
  return node('input', [], { name }, shape, dtype);
}

/** A constant; `value` is a scalar (filled to `shape`) or one value per element. */
export function constant(value: number | ArrayLike<number>, shape: Shape = [], dtype: DType = 'float32'): Tensor {
  const n = staticSize(shape);
  if (n === null) throw new ShapeError(`constant: shape ${showShape(shape)} must be static`);
  const data = new Float64Array(n);
  if (typeof value === 'number') data.fill(value);
  else if (value.length !== n) throw new ShapeError(`constant: ${value.length} values given for shape ${showShape(shape)} (${n} elements)`);
  else data.set(Array.from(value));
  return node('constant', [], { value: data }, shape, dtype);
}

function checkDim(where: string, d: Dim): void {
  if (typeof d === 'number' && !(Number.isInteger(d) && d >= 0)) throw new ShapeError(`${where}: dimension ${d} must be a non-negative integer or a name`);
}

/** Scalar constant with the value `v`, if `t` is one. */
export function scalarValue(t: Tensor): number | null {
  if (t.op !== 'constant') return null;
  const v = t.attrs.value;
  if (v.length === 0) return null;
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return null;
  return v[0];
}

function lift(x: Operand, like: Tensor): Tensor {
  return typeof x === 'number' ? constant(x, [], like.dtype) : x;
}

function pair(op: string, a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new ShapeError(`${op}: at least one operand must be a tensor`);
  const ta = typeof a === 'number' ? lift(a, b as Tensor) : a;
  const tb = lift(b, ta);
  if (ta.dtype !== tb.dtype) throw new ShapeError(`${op}: dtypes differ: ${ta.dtype} ${showShape(ta.shape)} and ${tb.dtype} ${showShape(tb.shape)}`);
  return [ta, tb];
}

// ---- shapes ---------------------------------------------------------------------------------

export function broadcastShapes(op: string, a: Shape, b: Shape): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new ShapeError(`${op}: shapes ${showShape(a)} and ${showShape(b)} do not broadcast (${da} vs ${db} at axis ${i})`);
  }
  return out;
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

function requireFloat(op: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new ShapeError(`${op}: expects a float tensor, got ${x.dtype} ${showShape(x.shape)}`);
}

// ---- elementwise ------------------------------------------------------------------------------

type Binary = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'greater' | 'less' | 'greaterOrEqual' | 'lessOrEqual' | 'equal';

function binary<K extends Binary>(op: K, a: Operand, b: Operand, outDtype?: DType): Node<K> {
  const [ta, tb] = pair(op, a, b);
  return node(op, [ta, tb], {}, broadcastShapes(op, ta.shape, tb.shape), outDtype ?? ta.dtype);
}

export function add(a: Operand, b: Operand): Tensor {
  const [ta, tb] = pair('add', a, b);
  if (scalarValue(tb) === 0 && tb.shape.length === 0) return ta;
  if (scalarValue(ta) === 0 && ta.shape.length === 0) return tb;
  return binary('add', ta, tb);
}
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export function mul(a: Operand, b: Operand): Tensor {
  const [ta, tb] = pair('mul', a, b);
  if (scalarValue(tb) === 1 && tb.shape.length === 0) return ta;
  if (scalarValue(ta) === 1 && ta.shape.length === 0) return tb;
  return binary('mul', ta, tb);
}
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);
/** Elementwise larger / smaller of a and b (broadcasting). */
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);

export const greater = (a: Operand, b: Operand): Tensor => binary('greater', a, b, 'bool');
export const less = (a: Operand, b: Operand): Tensor => binary('less', a, b, 'bool');
export const greaterOrEqual = (a: Operand, b: Operand): Tensor => binary('greaterOrEqual', a, b, 'bool');
export const lessOrEqual = (a: Operand, b: Operand): Tensor => binary('lessOrEqual', a, b, 'bool');
export const equal = (a: Operand, b: Operand): Tensor => binary('equal', a, b, 'bool');

function unary<K extends OpName>(op: K, x: Tensor, attrs: OpAttrs[K]): Node<K> {
  requireFloat(op, x);
  return node(op, [x], attrs, x.shape, x.dtype);
}
export const neg = (x: Tensor): Tensor => unary('neg', x, {});
export const exp = (x: Tensor): Tensor => unary('exp', x, {});
export const log = (x: Tensor): Tensor => unary('log', x, {});
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, {});
export const relu = (x: Tensor): Tensor => unary('relu', x, {});
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => unary('leakyRelu', x, { alpha });
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, {});
export const tanh = (x: Tensor): Tensor => unary('tanh', x, {});
export const sign = (x: Tensor): Tensor => unary('sign', x, {});
export const abs = (x: Tensor): Tensor => unary('abs', x, {});
/** Identity whose gradient is zero. */
export const stopGradient = (x: Tensor): Tensor => node('stopGradient', [x], {}, x.shape, x.dtype);
/**
 * Standard normal noise of x's shape, drawn anew on every run (ONNX RandomNormalLike). Its numbers come
 * from the runtime's generator, seeded by `seed` per node: distinct nodes need distinct seeds, and the
 * reference interpreter draws other (equally seeded) numbers. No gradient flows to x.
 */
export function randomNormalLike(x: Tensor, seed: number): Tensor {
  if (!isFloat(x.dtype)) throw new ShapeError(`randomNormalLike: needs a float tensor, got ${x.dtype}`);
  return node('randomNormalLike', [x], { seed }, x.shape, x.dtype);
}

export function clip(x: Tensor, min?: number, max?: number): Tensor {
  if (min !== undefined && max !== undefined && min > max) throw new ShapeError(`clip: min ${min} exceeds max ${max}`);
  return unary('clip', x, { min, max });
}

export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== 'bool') throw new ShapeError(`where: condition must be bool, got ${cond.dtype} ${showShape(cond.shape)}`);
  const [ta, tb] = pair('where', a, b);
  const shape = broadcastShapes('where', cond.shape, broadcastShapes('where', ta.shape, tb.shape));
  return node('where', [cond, ta, tb], {}, shape, ta.dtype);
}

export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : node('cast', [x], { to: dtype }, x.shape, dtype);
}

// ---- reductions and normalisers -----------------------------------------------------------------

function reduce(op: 'reduceSum' | 'reduceMean' | 'reduceMax', x: Tensor, axes: number | readonly number[] | undefined, keepdims: boolean): Tensor {
  requireFloat(op, x);
  const list = axes === undefined ? x.shape.map((_, i) => i) : (typeof axes === 'number' ? [axes] : axes).map((a) => normAxis(op, a, x.shape.length));
  const set = [...new Set(list)].sort((a, b) => a - b);
  if (set.length === 0) return x;
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!set.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return node(op, [x], { axes: set, keepdims }, shape, x.dtype);
}
export const reduceSum = (x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor => reduce('reduceSum', x, axes, keepdims);
export const reduceMean = (x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor => reduce('reduceMean', x, axes, keepdims);
export const reduceMax = (x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor => reduce('reduceMax', x, axes, keepdims);

export const softmax = (x: Tensor, axis = -1): Tensor => unary('softmax', x, { axis: normAxis('softmax', axis, x.shape.length) });
export const logSoftmax = (x: Tensor, axis = -1): Tensor => unary('logSoftmax', x, { axis: normAxis('logSoftmax', axis, x.shape.length) });

export function argmax(x: Tensor, axis = -1, keepdims = false): Tensor {
  const a = normAxis('argmax', axis, x.shape.length);
  const shape = x.shape.flatMap((d, i) => (i !== a ? [d] : keepdims ? [1] : []));
  return node('argmax', [x], { axis: a, keepdims }, shape, 'int64');
}

/** One-hot rows for int64 labels: shape [...labels, depth]. */
export function oneHot(labels: Tensor, depth: number, dtype: DType = 'float32'): Tensor {
  if (labels.dtype !== 'int64') throw new ShapeError(`oneHot: labels must be int64, got ${labels.dtype} ${showShape(labels.shape)}`);
  if (!(Number.isInteger(depth) && depth > 0)) throw new ShapeError(`oneHot: depth ${depth} must be a positive integer`);
  return node('oneHot', [labels], { depth }, [...labels.shape, depth], dtype);
}

// ---- linear algebra -----------------------------------------------------------------------------

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** op(a)·op(b) (+ c, broadcast to the product) for 2-D tensors, op = transpose where asked. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}, c?: Tensor): Tensor {
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const desc = `matmul${transA ? ' (a transposed)' : ''}${transB ? ' (b transposed)' : ''}`;
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError(`${desc}: expects 2-D operands, got ${showShape(a.shape)} and ${showShape(b.shape)}`);
  if (a.dtype !== b.dtype) throw new ShapeError(`${desc}: dtypes differ: ${a.dtype} and ${b.dtype}`);
  requireFloat('matmul', a);
  const [m, ka] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) throw new ShapeError(`${desc}: inner dimensions differ: ${showShape(a.shape)} and ${showShape(b.shape)} (${ka} vs ${kb})`);
  if (c) {
    if (c.dtype !== a.dtype || c.shape.length > 2 || !sameShape(broadcastShapes(desc, c.shape, [m, n]), [m, n]))
      throw new ShapeError(`${desc}: addend ${c.dtype} ${showShape(c.shape)} does not broadcast to the product [${m}, ${n}]`);
  }
  return node('matmul', c ? [a, b, c] : [a, b], { transA, transB }, [m, n], a.dtype);
}

// ---- layout -------------------------------------------------------------------------------------

/** Reshape; at most one -1; a named dim of the input may appear in the target. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const desc = `reshape ${showShape(x.shape)} to ${showShape(shape)}`;
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1) throw new ShapeError(`${desc}: at most one -1 allowed`);
  const symsIn = x.shape.filter((d) => typeof d === 'string').sort();
  const symsOut = shape.filter((d) => typeof d === 'string').sort();
  const numIn = x.shape.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  const numOut = shape.reduce<number>((p, d) => (typeof d === 'number' && d !== -1 ? p * d : p), 1);
  let out = [...shape];
  if (holes === 1) {
    if (symsOut.length !== symsIn.length || symsOut.some((s, i) => s !== symsIn[i])) {
      // -1 absorbs the symbolic dims of the input: only allowed when the target names none.
      if (symsOut.length > 0) throw new ShapeError(`${desc}: -1 cannot be combined with these named dims`);
      if (numIn % numOut !== 0) throw new ShapeError(`${desc}: ${numIn} elements do not divide into ${numOut}`);
      const rest = numIn / numOut;
      const fill = symsIn.length === 0 ? rest : symsIn.length === 1 && rest === 1 ? symsIn[0] : null;
      if (fill === null) throw new ShapeError(`${desc}: -1 would be a product of named dims`);
      out = shape.map((d) => (d === -1 ? fill : d));
    } else {
      if (numIn % numOut !== 0) throw new ShapeError(`${desc}: ${numIn} elements do not divide into ${numOut}`);
      out = shape.map((d) => (d === -1 ? numIn / numOut : d));
    }
  } else {
    if (numIn !== numOut || symsIn.length !== symsOut.length || symsOut.some((s, i) => s !== symsIn[i])) throw new ShapeError(`${desc}: element counts differ`);
  }
  for (const d of out) checkDim('reshape', d);
  if (sameShape(out, x.shape)) return x;
  return node('reshape', [x], {}, out, x.dtype);
}

export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const r = x.shape.length;
  const p = perm ?? x.shape.map((_, i) => r - 1 - i);
  if (p.length !== r || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) throw new ShapeError(`transpose: perm [${p.join(', ')}] is not a permutation of the axes of ${showShape(x.shape)}`);
  return node('transpose', [x], { perm: [...p] }, p.map((i) => x.shape[i]), x.dtype);
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one tensor');
  if (xs.length === 1) return xs[0];
  const r = xs[0].shape.length;
  const a = normAxis('concat', axis, r);
  let total: Dim = 0;
  for (const x of xs) {
    const bad = x.shape.length !== r || x.dtype !== xs[0].dtype || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i]);
    if (bad) throw new ShapeError(`concat on axis ${a}: ${x.dtype} ${showShape(x.shape)} does not fit ${xs[0].dtype} ${showShape(xs[0].shape)}`);
    const d = x.shape[a];
    total = typeof total === 'number' && typeof d === 'number' ? total + d : `${total}+${d}`;
  }
  const shape = [...xs[0].shape];
  shape[a] = total;
  return node('concat', xs, { axis: a }, shape, xs[0].dtype);
}

/** Elements start..end-1 along one axis (static extent). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis('slice', axis, x.shape.length);
  const d = x.shape[a];
  if (typeof d !== 'number') throw new ShapeError(`slice: axis ${a} of ${showShape(x.shape)} is symbolic`);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= d)) throw new ShapeError(`slice: range ${start}..${end} out of bounds for axis ${a} of ${showShape(x.shape)}`);
  if (start === 0 && end === d) return x;
  const shape = [...x.shape];
  shape[a] = end - start;
  return node('slice', [x], { axis: a, start, end }, shape, x.dtype);
}

/**
 * `length` elements along one axis from a position computed or fed at run time: `start` is an int64 [1]
 * and must lie in [0, size − length] (ONNX Slice would clamp the end and return fewer). Forward-only:
 * it has no VJP rule.
 */
export function sliceAt(x: Tensor, axis: number, start: Tensor, length: number): Tensor {
  const a = normAxis('sliceAt', axis, x.shape.length);
  const d = x.shape[a];
  if (typeof d !== 'number' || !(Number.isInteger(length) && length >= 1 && length <= d)) throw new ShapeError(`sliceAt: length ${length} does not fit axis ${a} of ${showShape(x.shape)}`);
  if (start.dtype !== 'int64' || !sameShape(start.shape, [1])) throw new ShapeError(`sliceAt: start must be int64 [1], got ${start.dtype} ${showShape(start.shape)}`);
  const shape = [...x.shape];
  shape[a] = length;
  return node('sliceAt', [x, start], { axis: a, length }, shape, x.dtype);
}

/**
 * x placed at a position given at run time inside zeros of `size` along one axis (ONNX Pad with pads
 * computed in the graph): `before` is an int64 [1] in [0, size − x's extent]. Forward-only.
 */
export function padAt(x: Tensor, axis: number, before: Tensor, size: number): Tensor {
  const a = normAxis('padAt', axis, x.shape.length);
  const d = x.shape[a];
  if (typeof d !== 'number' || !(Number.isInteger(size) && size >= d)) throw new ShapeError(`padAt: size ${size} cannot hold axis ${a} of ${showShape(x.shape)}`);
  if (before.dtype !== 'int64' || !sameShape(before.shape, [1])) throw new ShapeError(`padAt: before must be int64 [1], got ${before.dtype} ${showShape(before.shape)}`);
  const shape = [...x.shape];
  shape[a] = size;
  return node('padAt', [x, before], { axis: a, size }, shape, x.dtype);
}

/** Zero padding along one axis (the VJP of slice). */
export function pad(x: Tensor, axis: number, before: number, after: number): Tensor {
  const a = normAxis('pad', axis, x.shape.length);
  const d = x.shape[a];
  if (typeof d !== 'number') throw new ShapeError(`pad: axis ${a} of ${showShape(x.shape)} is symbolic`);
  const shape = [...x.shape];
  shape[a] = d + before + after;
  return node('pad', [x], { axis: a, before, after }, shape, x.dtype);
}

/** Broadcast `x` to the shape of `like`. */
export function expandAs(x: Tensor, like: Tensor): Tensor {
  const shape = broadcastShapes('expandAs', x.shape, like.shape);
  if (!sameShape(shape, like.shape)) throw new ShapeError(`expandAs: ${showShape(x.shape)} does not broadcast to ${showShape(like.shape)}`);
  if (sameShape(x.shape, like.shape)) return x;
  return node('expandAs', [x, like], {}, like.shape, x.dtype);
}

/** The size of one axis of `x` as a scalar of `dtype` (a constant when static). */
export function dimSize(x: Tensor, axis: number, dtype: DType = 'float32'): Tensor {
  const a = normAxis('dimSize', axis, x.shape.length);
  const d = x.shape[a];
  if (typeof d === 'number') return constant(d, [], dtype);
  return node('dimSize', [x], { axis: a }, [], dtype);
}

// ---- convolution and pooling (NCHW, 2-D) --------------------------------------------------------

export interface Conv2dOptions {
  /** [sh, sw] or one number for both (default 1). */
  strides?: number | readonly [number, number];
  /** [top, left, bottom, right] (ONNX order: begins then ends) or one number for all (default 0). */
  pads?: number | readonly [number, number, number, number];
  /** [dh, dw] or one number for both (default 1). */
  dilations?: number | readonly [number, number];
  /** Channel groups (default 1). */
  group?: number;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra cells at the bottom and right of the output (default 0); each below the stride. */
  outputPadding?: number | readonly [number, number];
}

export interface Pool2dOptions {
  kernel: number | readonly [number, number];
  /** Default: the kernel (as PyTorch; ONNX's default is 1). */
  strides?: number | readonly [number, number];
  pads?: number | readonly [number, number, number, number];
  /** Average pooling only: count padded zeros in the divisor (ONNX count_include_pad; default false). */
  countIncludePad?: boolean;
}

function convAttrs(desc: string, opts: Conv2dOptions): ConvAttrs {
  const group = opts.group ?? 1;
  if (!(Number.isInteger(group) && group >= 1)) throw new ShapeError(`${desc}: group ${group} must be a positive integer`);
  return { strides: pairOf(desc, 'strides', opts.strides ?? 1, 1), pads: padsOf(desc, opts.pads ?? 0), dilations: pairOf(desc, 'dilations', opts.dilations ?? 1, 1), group };
}

/** Rank 4, float, static height and width; returns [H, W]. */
function image(desc: string, what: string, x: Tensor): [number, number] {
  requireFloat(desc, x);
  if (x.shape.length !== 4) throw new ShapeError(`${desc}: ${what} must have rank 4, got ${showShape(x.shape)}`);
  const [h, w] = x.shape.slice(2);
  if (typeof h !== 'number' || typeof w !== 'number') throw new ShapeError(`${desc}: ${what} ${showShape(x.shape)} must have static height and width`);
  return [h, w];
}

/** With one group, channels may be one name (the weight gradient convolves over the batch); with several, static. */
function checkGroups(desc: string, c: Dim, perGroup: Dim, group: number, oc: Dim): void {
  if (group === 1) {
    if (c !== perGroup) throw new ShapeError(`${desc}: the kernel takes ${perGroup} input channels, the input has ${c}`);
    return;
  }
  if (typeof c !== 'number' || typeof perGroup !== 'number' || typeof oc !== 'number') throw new ShapeError(`${desc}: group ${group} needs static channel counts`);
  if (c % group !== 0 || perGroup !== c / group) throw new ShapeError(`${desc}: group ${group} splits the ${c} input channels into groups of ${c / group}, but the kernel takes ${perGroup}`);
  if (oc % group !== 0) throw new ShapeError(`${desc}: group ${group} does not divide the ${oc} output channels`);
}

/** x [N, C, H, W], w [O, C/group, kh, kw], optional bias b [O] → [N, O, Ho, Wo]. */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor, opts: Conv2dOptions = {}): Tensor {
  const desc = `conv2d of ${showShape(x.shape)} by kernel ${showShape(w.shape)}`;
  const [h, wd] = image(desc, 'input', x);
  const [kh, kw] = image(desc, 'kernel', w);
  if (w.dtype !== x.dtype) throw new ShapeError(`${desc}: dtypes differ: ${x.dtype} and ${w.dtype}`);
  const a = convAttrs(desc, opts);
  const oc = w.shape[0];
  checkGroups(desc, x.shape[1], w.shape[1], a.group, oc);
  if (b && (b.dtype !== x.dtype || b.shape.length !== 1 || b.shape[0] !== oc)) throw new ShapeError(`${desc}: bias ${b.dtype} ${showShape(b.shape)} must be ${x.dtype} [${oc}]`);
  const ho = windows(desc, 'height', h, kh, a.strides[0], a.dilations[0], a.pads[0], a.pads[2]);
  const wo = windows(desc, 'width', wd, kw, a.strides[1], a.dilations[1], a.pads[1], a.pads[3]);
  return node('conv2d', b ? [x, w, b] : [x, w], { ...a }, [x.shape[0], oc, ho, wo], x.dtype);
}

/**
 * The adjoint of conv2d in its input (ONNX ConvTranspose, no bias): x [N, C, H, W], w [C, O/group, kh, kw]
 * → [N, O, Ho, Wo], Ho = (H−1)·sh + outputPadding[0] + (kh−1)·dh + 1 − padTop − padBottom.
 */
export function convTranspose2d(x: Tensor, w: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  const desc = `convTranspose2d of ${showShape(x.shape)} by kernel ${showShape(w.shape)}`;
  const [h, wd] = image(desc, 'input', x);
  const [kh, kw] = image(desc, 'kernel', w);
  if (w.dtype !== x.dtype) throw new ShapeError(`${desc}: dtypes differ: ${x.dtype} and ${w.dtype}`);
  const a: ConvTransposeAttrs = { ...convAttrs(desc, opts), outputPadding: pairOf(desc, 'outputPadding', opts.outputPadding ?? 0, 0) };
  const { strides: s, pads: p, dilations: d, outputPadding: op, group } = a;
  const c = x.shape[1];
  if (w.shape[0] !== c) throw new ShapeError(`${desc}: the kernel takes ${w.shape[0]} input channels, the input has ${c}`);
  if (group > 1 && !(typeof c === 'number' && c % group === 0 && typeof w.shape[1] === 'number')) throw new ShapeError(`${desc}: group ${group} needs static channel counts, the input's divisible by ${group}`);
  // ONNX allows outputPadding below the dilation too, but ONNX Runtime checks that conv2d maps the output back to x's size.
  if (op[0] >= s[0] || op[1] >= s[1]) throw new ShapeError(`${desc}: outputPadding [${op.join(', ')}] must be below the strides [${s.join(', ')}]`);
  const ho = transposedSize(h, kh, s[0], d[0], p[0], p[2], op[0]);
  const wo = transposedSize(wd, kw, s[1], d[1], p[1], p[3], op[1]);
  if (ho < 1 || wo < 1) throw new ShapeError(`${desc}: pads [${p.join(', ')}] leave an empty output ${ho}×${wo}`);
  const oc = group === 1 ? w.shape[1] : (w.shape[1] as number) * group;
  return node('convTranspose2d', [x, w], { ...a }, [x.shape[0], oc, ho, wo], x.dtype);
}

function poolAttrs(desc: string, x: Tensor, opts: Pool2dOptions): [PoolAttrs, Dim[]] {
  const [h, wd] = image(desc, 'input', x);
  if (typeof x.shape[1] !== 'number') throw new ShapeError(`${desc}: input ${showShape(x.shape)} must have a static channel count`);
  const kernel = pairOf(desc, 'kernel', opts.kernel, 1);
  const a: PoolAttrs = { kernel, strides: pairOf(desc, 'strides', opts.strides ?? kernel, 1), pads: padsOf(desc, opts.pads ?? 0) };
  const { pads: p } = a;
  // ONNX Runtime refuses pads ≥ kernel: a window could then hold only padding.
  if (Math.max(p[0], p[2]) >= kernel[0] || Math.max(p[1], p[3]) >= kernel[1]) throw new ShapeError(`${desc}: pads [${p.join(', ')}] must be smaller than the kernel [${kernel.join(', ')}]`);
  const ho = windows(desc, 'height', h, kernel[0], a.strides[0], 1, p[0], p[2]);
  const wo = windows(desc, 'width', wd, kernel[1], a.strides[1], 1, p[1], p[3]);
  return [a, [x.shape[0], x.shape[1], ho, wo]];
}

/** Maximum over each window (padding never wins). */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const desc = `maxPool2d of ${showShape(x.shape)}`;
  if (opts.countIncludePad) throw new ShapeError(`${desc}: countIncludePad applies to average pooling only`);
  const [a, shape] = poolAttrs(desc, x, opts);
  return node('maxPool2d', [x], { ...a }, shape, x.dtype);
}

/** Mean over each window; padded cells count in the divisor only with countIncludePad. */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const [a, shape] = poolAttrs(`avgPool2d of ${showShape(x.shape)}`, x, opts);
  return node('avgPool2d', [x], { ...a, countIncludePad: !!opts.countIncludePad }, shape, x.dtype);
}

/** The gradient of maxPool2d: each window's `g` added at the window's first maximum of `x` (row by row). */
export function maxPoolGrad(x: Tensor, g: Tensor, opts: Pool2dOptions): Tensor {
  const desc = `maxPoolGrad of ${showShape(x.shape)} with ${showShape(g.shape)}`;
  const [a, shape] = poolAttrs(desc, x, opts);
  if (g.dtype !== x.dtype || !sameShape(g.shape, shape)) throw new ShapeError(`${desc}: the cotangent must be ${x.dtype} ${showShape(shape)}`);
  return node('maxPoolGrad', [x, g], { ...a }, x.shape, x.dtype);
}

/** The adjoint of maxPoolGrad in g: `c` read at each window's first maximum of `x` (the pooled shape). */
export function maxPoolPick(x: Tensor, c: Tensor, opts: Pool2dOptions): Tensor {
  const desc = `maxPoolPick of ${showShape(x.shape)} with ${showShape(c.shape)}`;
  const [a, shape] = poolAttrs(desc, x, opts);
  if (c.dtype !== x.dtype || !sameShape(c.shape, x.shape)) throw new ShapeError(`${desc}: the cotangent must be ${x.dtype} ${showShape(x.shape)}`);
  return node('maxPoolPick', [x, c], { ...a }, shape, x.dtype);
}
