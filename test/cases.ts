// One small graph per op (float64), shared by the finite-difference test and the ONNX Runtime test.
import * as o from '../src/engine/ops.js';
import type { DType, Shape, Tensor } from '../src/engine/tensor.js';

export interface InputSpec {
  name: string;
  shape: number[];
  lo?: number;
  hi?: number;
  /** Kinks of the op: sampled values keep away from them. */
  avoid?: number[];
  /** Inputs that are not differentiated (labels, conditions). */
  fixed?: boolean;
  dtype?: DType;
}

export interface OpCase {
  /** The ops whose VJP rules this case exercises. */
  covers: string[];
  inputs: InputSpec[];
  build(x: Record<string, Tensor>, dtype: DType): Tensor;
  /** Named dims for the inputs (shape given in `inputs` is the concrete one fed). */
  symbolic?: Record<string, Shape>;
}

// Max pooling needs no near-ties in a window: per image a fixed ramp, scrambled, a whole unit apart, plus 0.1·input.
function spread(a: Tensor): Tensor {
  const image = [1, ...a.shape.slice(1)] as number[];
  const n = image.reduce((p, d) => p * d, 1);
  return o.add(o.constant(Array.from({ length: n }, (_, k) => (k * 37) % n), image, a.dtype), o.mul(a, 0.1));
}
/** Σ over the named batch of y·σ(y): the tests weigh outputs by a constant, which needs a static shape. */
const overBatch = (y: Tensor): Tensor => o.reduceSum(o.mul(y, o.sigmoid(y)), 0);
const pool = { kernel: 3, strides: 2, pads: 1 } as const;

const x34 = (extra: Partial<InputSpec> = {}): InputSpec => ({ name: 'a', shape: [3, 4], ...extra });
const b4 = (extra: Partial<InputSpec> = {}): InputSpec => ({ name: 'b', shape: [4], ...extra });

export const CASES: OpCase[] = [
  { covers: ['add'], inputs: [x34(), b4()], build: ({ a, b }) => o.add(a, b) },
  { covers: ['sub'], inputs: [x34(), { name: 'b', shape: [3, 1] }], build: ({ a, b }) => o.sub(a, b) },
  { covers: ['mul'], inputs: [{ name: 'a', shape: [3, 1] }, { name: 'b', shape: [1, 4] }], build: ({ a, b }) => o.mul(a, b) },
  { covers: ['div'], inputs: [x34(), b4({ lo: 0.5, hi: 2 })], build: ({ a, b }) => o.div(a, b) },
  { covers: ['pow'], inputs: [x34({ lo: 0.5, hi: 2 }), b4({ lo: -1.5, hi: 2.5 })], build: ({ a, b }) => o.pow(a, b) },
  { covers: ['pow', 'constant'], inputs: [x34({ lo: 0.5, hi: 2 })], build: ({ a }) => o.pow(a, 3) },
  { covers: ['maximum', 'greaterOrEqual'], inputs: [x34({ lo: -1, hi: 1 }), b4({ lo: -0.9, hi: 0.9 })], build: ({ a, b }) => o.maximum(a, b) },
  { covers: ['minimum', 'lessOrEqual'], inputs: [x34({ lo: -1, hi: 1 }), b4({ lo: -0.9, hi: 0.9 })], build: ({ a, b }) => o.minimum(a, b) },
  { covers: ['neg'], inputs: [x34()], build: ({ a }) => o.neg(a) },
  { covers: ['exp'], inputs: [x34()], build: ({ a }) => o.exp(a) },
  { covers: ['log'], inputs: [x34({ lo: 0.2, hi: 3 })], build: ({ a }) => o.log(a) },
  { covers: ['sqrt'], inputs: [x34({ lo: 0.2, hi: 3 })], build: ({ a }) => o.sqrt(a) },
  { covers: ['relu', 'greater', 'where'], inputs: [x34({ avoid: [0] })], build: ({ a }) => o.relu(a) },
  { covers: ['leakyRelu'], inputs: [x34({ avoid: [0] })], build: ({ a }) => o.leakyRelu(a, 0.1) },
  { covers: ['sigmoid'], inputs: [x34()], build: ({ a }) => o.sigmoid(a) },
  { covers: ['tanh'], inputs: [x34()], build: ({ a }) => o.tanh(a) },
  { covers: ['abs', 'sign'], inputs: [x34({ avoid: [0] })], build: ({ a }) => o.abs(a) },
  // sign is flat away from 0: its rule must give zero, and FD agrees.
  { covers: ['sign'], inputs: [x34({ avoid: [0] })], build: ({ a }) => o.mul(o.sign(a), a) },
  { covers: ['clip', 'greaterOrEqual', 'lessOrEqual'], inputs: [x34({ avoid: [-0.5, 0.7] })], build: ({ a }) => o.clip(a, -0.5, 0.7) },
  { covers: ['where', 'less'], inputs: [x34(), b4(), { name: 'c', shape: [3, 4], fixed: true }], build: ({ a, b, c }) => o.where(o.less(c, 0), a, b) },
  { covers: ['equal', 'cast'], inputs: [x34(), { name: 'c', shape: [3, 4], fixed: true }], build: ({ a, c }) => o.mul(a, o.cast(o.equal(o.sign(c), 1), a.dtype)) },
  { covers: ['cast'], inputs: [x34()], build: ({ a }, dt) => o.mul(o.cast(o.cast(a, dt === 'float64' ? 'float32' : 'float64'), dt), a) },
  { covers: ['reduceSum'], inputs: [{ name: 'a', shape: [2, 3, 4] }], build: ({ a }) => o.reduceSum(a, [0, 2]) },
  { covers: ['reduceSum'], inputs: [x34()], build: ({ a }) => o.reduceSum(a, 1, true) },
  { covers: ['reduceMean'], inputs: [{ name: 'a', shape: [2, 3, 4] }], build: ({ a }) => o.reduceMean(a, 1, true) },
  { covers: ['reduceMean', 'dimSize', 'expandAs'], inputs: [x34()], symbolic: { a: ['n', 4] }, build: ({ a }) => o.mul(o.reduceMean(a, 0), o.reduceMean(a)) },
  { covers: ['reduceMax'], inputs: [x34()], build: ({ a }) => o.reduceMax(a, 1) },
  { covers: ['softmax'], inputs: [x34()], build: ({ a }) => o.softmax(a, 1) },
  { covers: ['logSoftmax'], inputs: [x34()], build: ({ a }) => o.logSoftmax(a, 0) },
  { covers: ['matmul'], inputs: [{ name: 'a', shape: [3, 5] }, { name: 'b', shape: [5, 2] }], build: ({ a, b }) => o.matmul(a, b) },
  { covers: ['matmul'], inputs: [{ name: 'a', shape: [5, 3] }, { name: 'b', shape: [5, 2] }], build: ({ a, b }) => o.matmul(a, b, { transA: true }) },
  { covers: ['matmul'], inputs: [{ name: 'a', shape: [3, 5] }, { name: 'b', shape: [2, 5] }], build: ({ a, b }) => o.matmul(a, b, { transB: true }) },
  { covers: ['matmul'], inputs: [{ name: 'a', shape: [5, 3] }, { name: 'b', shape: [2, 5] }], build: ({ a, b }) => o.matmul(a, b, { transA: true, transB: true }) },
  { covers: ['matmul'], inputs: [{ name: 'a', shape: [3, 5] }, { name: 'b', shape: [5, 2] }, { name: 'c', shape: [2] }], build: ({ a, b, c }) => o.matmul(a, b, {}, c) },
  { covers: ['matmul'], inputs: [{ name: 'a', shape: [5, 3] }, { name: 'b', shape: [2, 5] }, { name: 'c', shape: [3, 2] }], build: ({ a, b, c }) => o.matmul(a, b, { transA: true, transB: true }, c) },
  // A weight used twice: its two gradient products are accumulated through the Gemm addend.
  { covers: ['matmul'], inputs: [{ name: 'a', shape: [3, 5] }, { name: 'b', shape: [5, 2] }], build: ({ a, b }) => o.tanh(o.matmul(o.tanh(o.matmul(a, b)), b, { transB: true })) },
  { covers: ['reshape'], inputs: [{ name: 'a', shape: [2, 6] }], build: ({ a }) => o.reshape(a, [3, -1]) },
  { covers: ['transpose'], inputs: [{ name: 'a', shape: [2, 3, 4] }], build: ({ a }) => o.transpose(a, [2, 0, 1]) },
  { covers: ['concat'], inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [4, 3] }], build: ({ a, b }) => o.concat([a, b, a], 0) },
  { covers: ['slice'], inputs: [x34()], build: ({ a }) => o.slice(a, 1, 1, 3) },
  { covers: ['pad'], inputs: [x34()], build: ({ a }) => o.pad(a, 0, 1, 2) },
  { covers: ['expandAs'], inputs: [{ name: 'a', shape: [1, 4] }, { name: 'c', shape: [3, 4], fixed: true }], build: ({ a, c }) => o.expandAs(a, c) },
  { covers: ['conv2d'], inputs: [{ name: 'a', shape: [2, 3, 5, 5] }, { name: 'w', shape: [4, 3, 3, 3] }, { name: 'b', shape: [4] }], build: ({ a, w, b }) => o.conv2d(a, w, b) },
  {
    covers: ['conv2d'],
    inputs: [{ name: 'a', shape: [2, 2, 6, 7] }, { name: 'w', shape: [3, 2, 3, 2] }],
    build: ({ a, w }) => o.conv2d(a, w, undefined, { strides: 2, pads: [1, 0, 2, 1] }),
  },
  {
    covers: ['conv2d'],
    inputs: [{ name: 'a', shape: [1, 2, 7, 6] }, { name: 'w', shape: [2, 2, 2, 3] }],
    build: ({ a, w }) => o.conv2d(a, w, undefined, { dilations: 2, strides: [1, 2], pads: 1 }),
  },
  {
    covers: ['conv2d'],
    inputs: [{ name: 'a', shape: [2, 4, 5, 5] }, { name: 'w', shape: [6, 2, 3, 3] }, { name: 'b', shape: [6] }],
    build: ({ a, w, b }) => o.conv2d(a, w, b, { group: 2, strides: 2, pads: 1 }),
  },
  { covers: ['conv2d'], inputs: [{ name: 'a', shape: [2, 3, 5, 4] }, { name: 'w', shape: [3, 1, 3, 2] }], build: ({ a, w }) => o.conv2d(a, w, undefined, { group: 3, pads: [1, 1, 0, 0] }) },
  {
    covers: ['conv2d'],
    inputs: [{ name: 'a', shape: [3, 2, 6, 6] }, { name: 'w', shape: [3, 2, 4, 4] }, { name: 'b', shape: [3] }],
    symbolic: { a: ['n', 2, 6, 6] },
    build: ({ a, w, b }) => overBatch(o.conv2d(a, w, b, { strides: 2, pads: 1 })),
  },
  // A grouped weight gradient over a named batch: one convolution per group.
  {
    covers: ['conv2d'],
    inputs: [{ name: 'a', shape: [2, 4, 5, 5] }, { name: 'w', shape: [6, 2, 3, 3] }],
    symbolic: { a: ['n', 4, 5, 5] },
    build: ({ a, w }) => overBatch(o.conv2d(a, w, undefined, { group: 2, strides: 2, pads: [0, 1, 1, 0] })),
  },
  {
    covers: ['convTranspose2d'],
    inputs: [{ name: 'a', shape: [2, 3, 3, 3] }, { name: 'w', shape: [3, 2, 3, 3] }],
    build: ({ a, w }) => o.convTranspose2d(a, w, { strides: 2, pads: [1, 1, 0, 1], outputPadding: 1 }),
  },
  {
    covers: ['convTranspose2d'],
    inputs: [{ name: 'a', shape: [1, 4, 3, 4] }, { name: 'w', shape: [4, 1, 2, 2] }],
    build: ({ a, w }) => o.convTranspose2d(a, w, { group: 2, dilations: 2, strides: [2, 1], pads: [0, 1, 1, 0], outputPadding: [1, 0] }),
  },
  {
    covers: ['convTranspose2d'],
    inputs: [{ name: 'a', shape: [3, 2, 3, 3] }, { name: 'w', shape: [2, 3, 4, 4] }],
    symbolic: { a: ['n', 2, 3, 3] },
    build: ({ a, w }) => overBatch(o.convTranspose2d(a, w, { strides: 2, pads: 1 })),
  },
  {
    covers: ['convTranspose2d'],
    inputs: [{ name: 'a', shape: [2, 4, 3, 3] }, { name: 'w', shape: [4, 2, 3, 3] }],
    symbolic: { a: ['n', 4, 3, 3] },
    build: ({ a, w }) => overBatch(o.convTranspose2d(a, w, { group: 4, strides: 2, outputPadding: 1 })),
  },
  { covers: ['maxPool2d'], inputs: [{ name: 'a', shape: [2, 2, 7, 7] }], build: ({ a }) => o.maxPool2d(spread(a), pool) },
  { covers: ['maxPool2d'], inputs: [{ name: 'a', shape: [3, 2, 4, 6] }], symbolic: { a: ['n', 2, 4, 6] }, build: ({ a }) => overBatch(o.maxPool2d(spread(a), { kernel: 2 })) },
  { covers: ['maxPoolGrad'], inputs: [{ name: 'a', shape: [2, 2, 7, 7] }, { name: 'g', shape: [2, 2, 4, 4] }], build: ({ a, g }) => o.maxPoolGrad(spread(a), g, pool) },
  { covers: ['maxPoolPick'], inputs: [{ name: 'a', shape: [2, 2, 7, 7] }, { name: 'c', shape: [2, 2, 7, 7] }], build: ({ a, c }) => o.maxPoolPick(spread(a), c, pool) },
  { covers: ['avgPool2d'], inputs: [{ name: 'a', shape: [2, 2, 6, 7] }], build: ({ a }) => o.avgPool2d(a, pool) },
  { covers: ['avgPool2d'], inputs: [{ name: 'a', shape: [2, 2, 6, 7] }], build: ({ a }) => o.avgPool2d(a, { kernel: [2, 3], strides: [1, 2], pads: [1, 0, 0, 2], countIncludePad: true }) },
  { covers: ['avgPool2d'], inputs: [{ name: 'a', shape: [3, 2, 5, 5] }], symbolic: { a: ['n', 2, 5, 5] }, build: ({ a }) => overBatch(o.avgPool2d(a, { kernel: 2, pads: [1, 1, 0, 0] })) },
  {
    covers: ['oneHot', 'argmax'],
    inputs: [x34(), { name: 'y', shape: [3], fixed: true, dtype: 'int64', lo: 0, hi: 4 }],
    build: ({ a, y }, dt) => o.add(o.mul(a, o.oneHot(y, 4, dt)), o.cast(o.reshape(o.argmax(a, 1, true), [3, 1]), dt)),
  },
];

/** Whole composite: cross-entropy of a tiny leaky-ReLU MLP, as the training step uses it. */
export const MLP_CASE: OpCase = {
  covers: [],
  inputs: [
    { name: 'x', shape: [4, 5], lo: 0, hi: 1 },
    { name: 'w', shape: [5, 3], lo: -1, hi: 1 },
    { name: 'y', shape: [4], fixed: true, dtype: 'int64', lo: 0, hi: 3 },
  ],
  build: ({ x, w, y }, dt) => o.neg(o.reduceMean(o.reduceSum(o.mul(o.logSoftmax(o.leakyRelu(o.matmul(x, w), 0.2)), o.oneHot(y, 3, dt)), 1))),
};
