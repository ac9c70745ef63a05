// The attributes each op records on its node, one entry per op: the one list of op names. A leaf module
// (no imports), so tensor.ts and conv.ts can both build on it.

export type DType = 'float32' | 'float64' | 'int64' | 'bool';

export type Pair = [number, number];
/** [top, left, bottom, right]: begins then ends, as ONNX. */
export type Pads = [number, number, number, number];

export interface ConvAttrs {
  strides: Pair;
  pads: Pads;
  dilations: Pair;
  group: number;
}

export interface ConvTransposeAttrs extends ConvAttrs {
  outputPadding: Pair;
}

export interface PoolAttrs {
  kernel: Pair;
  strides: Pair;
  pads: Pads;
}

/** An op without attributes. */
export type NoAttrs = Record<never, never>;
export interface AxisAttrs {
  axis: number;
}
export interface ReduceAttrs {
  /** Sorted, distinct, non-negative. */
  axes: number[];
  keepdims: boolean;
}

export interface OpAttrs {
  // leaves: no inputs; emitted and evaluated apart from the op tables
  input: { name: string };
  constant: { value: Float64Array };
  // elementwise
  add: NoAttrs;
  sub: NoAttrs;
  mul: NoAttrs;
  div: NoAttrs;
  pow: NoAttrs;
  maximum: NoAttrs;
  minimum: NoAttrs;
  greater: NoAttrs;
  less: NoAttrs;
  greaterOrEqual: NoAttrs;
  lessOrEqual: NoAttrs;
  equal: NoAttrs;
  neg: NoAttrs;
  exp: NoAttrs;
  log: NoAttrs;
  sqrt: NoAttrs;
  relu: NoAttrs;
  leakyRelu: { alpha: number };
  sigmoid: NoAttrs;
  tanh: NoAttrs;
  sign: NoAttrs;
  abs: NoAttrs;
  stopGradient: NoAttrs;
  randomNormalLike: { seed: number };
  clip: { min?: number; max?: number };
  where: NoAttrs;
  cast: { to: DType };
  // reductions and normalisers
  reduceSum: ReduceAttrs;
  reduceMean: ReduceAttrs;
  reduceMax: ReduceAttrs;
  softmax: AxisAttrs;
  logSoftmax: AxisAttrs;
  argmax: { axis: number; keepdims: boolean };
  oneHot: { depth: number };
  // linear algebra and layout
  matmul: { transA: boolean; transB: boolean };
  reshape: NoAttrs;
  transpose: { perm: number[] };
  concat: AxisAttrs;
  slice: { axis: number; start: number; end: number };
  sliceAt: { axis: number; length: number };
  padAt: { axis: number; size: number };
  pad: { axis: number; before: number; after: number };
  expandAs: NoAttrs;
  dimSize: AxisAttrs;
  // convolution and pooling
  conv2d: ConvAttrs;
  convTranspose2d: ConvTransposeAttrs;
  maxPool2d: PoolAttrs;
  avgPool2d: PoolAttrs & { countIncludePad: boolean };
  maxPoolGrad: PoolAttrs;
  maxPoolPick: PoolAttrs;
}

export type OpName = keyof OpAttrs;
/** Ops with no inputs, which the emitter and the interpreter bind apart from their tables. */
export type LeafOp = 'input' | 'constant';
/** Ops computed from their inputs: each has an emission rule, a reference kernel and a VJP entry. */
export type ComputedOp = Exclude<OpName, LeafOp>;

// Checked against OpAttrs both ways: a name missing here or not an op is a compile error.
const COMPUTED: { [K in ComputedOp]: true } = {
  add: true, sub: true, mul: true, div: true, pow: true, maximum: true, minimum: true,
  greater: true, less: true, greaterOrEqual: true, lessOrEqual: true, equal: true,
  neg: true, exp: true, log: true, sqrt: true, relu: true, leakyRelu: true, sigmoid: true, tanh: true, sign: true, abs: true,
  stopGradient: true, randomNormalLike: true, clip: true, where: true, cast: true,
  reduceSum: true, reduceMean: true, reduceMax: true, softmax: true, logSoftmax: true, argmax: true, oneHot: true,
  matmul: true, reshape: true, transpose: true, concat: true, slice: true, sliceAt: true, padAt: true, pad: true, expandAs: true, dimSize: true,
  conv2d: true, convTranspose2d: true, maxPool2d: true, avgPool2d: true, maxPoolGrad: true, maxPoolPick: true,
};

/** Every computed op's name, at run time (for tests and checks over the tables). */
export const COMPUTED_OPS = Object.keys(COMPUTED) as ComputedOp[];
