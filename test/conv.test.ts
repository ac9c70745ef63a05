// Convolution and pooling: output sizes, argument errors, max-pool ties and the conv weight gradient on ONNX Runtime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../src/engine/grad.js';
import * as o from '../src/engine/ops.js';
import { type NDArray, evaluate } from '../src/engine/reference.js';
import { compile } from '../src/engine/runtime.js';
import type { Tensor } from '../src/engine/tensor.js';
import { closeness, randomValues } from './helpers.js';

/** Outputs on ONNX Runtime (float32, 1 thread) for float32 feeds. */
async function onOrt(outputs: Record<string, Tensor>, feeds: Record<string, ArrayLike<number>>): Promise<Record<string, Float32Array>> {
  const program = await compile({ outputs, threads: 1 });
  const got = await program.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, Float32Array.from(v)])));
  const out = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, Float32Array.from(v as Float32Array)]));
  await program.release();
  return out;
}

test('max pooling sends each window its cotangent at the first maximum, row by row, on ONNX Runtime as in the reference', async () => {
  // Batch 0 is all negative: after ReLU every window is all zeros and its top-left cell wins.
  // Batch 1: windows tie at 1 (top left), 2 (top right) and 3 (bottom right).
  const values = [...new Array(16).fill(-1), 1, 1, 0, 2, 0, 1, 2, 2, -1, -1, 3, 0, -1, 5, 3, 3];
  const a = o.input('a', [2, 1, 4, 4]);
  const h = o.relu(a);
  const r = o.constant([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 2, 2]);
  const [dh] = grad(o.reduceSum(o.mul(o.maxPool2d(h, { kernel: 2 }), r)), [h]);
  const want = [1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 5, 0, 0, 6, 0, 0, 0, 0, 0, 0, 8, 0, 0, 7, 0, 0];
  assert.deepEqual(Array.from(evaluate([dh], { a: values })[0].data), want);
  assert.deepEqual(Array.from((await onOrt({ dh }, { a: values })).dh), want);
});

test('overlapping, padded max-pool windows over ReLU zeros: ONNX Runtime picks the reference cells, one per window', async () => {
  const a = o.input('a', [2, 3, 7, 6]);
  const h = o.relu(a);
  const g = o.input('g', [2, 3, 4, 3]);
  const dh = o.maxPoolGrad(h, g, { kernel: 3, strides: 2, pads: 1 });
  const feeds = { a: randomValues(7, 252, -3, 1), g: Array.from({ length: 72 }, (_, k) => 2 ** (k % 12)) };
  const ref = evaluate([dh], feeds)[0].data;
  assert.deepEqual(Array.from((await onOrt({ dh }, feeds)).dh), Array.from(ref));
  // Windows carry distinct powers of two within each 12: every sum is an exact float.
  assert.equal(ref.reduce((s, v) => s + v, 0), feeds.g.reduce((s, v) => s + v, 0));
});

test('conv and pool output sizes follow the floor formula, and ONNX Runtime agrees', async () => {
  const out = (n: number, k: number, s: number, d: number, p0: number, p1: number) => Math.floor((n + p0 + p1 - (k - 1) * d - 1) / s) + 1;
  const cases: Array<[Tensor, number[]]> = [];
  const x1 = o.input('x1', [2, 3, 28, 28]);
  cases.push([o.conv2d(x1, o.input('w1', [16, 3, 4, 4]), undefined, { strides: 2, pads: 1 }), [2, 16, out(28, 4, 2, 1, 1, 1), out(28, 4, 2, 1, 1, 1)]]);
  const x2 = o.input('x2', [1, 2, 7, 9]);
  const w2 = o.input('w2', [4, 1, 3, 2]);
  cases.push([o.conv2d(x2, w2, undefined, { group: 2, dilations: [2, 3], strides: [2, 1], pads: [0, 1, 2, 3] }), [1, 4, out(7, 3, 2, 2, 0, 2), out(9, 2, 1, 3, 1, 3)]]);
  const x3 = o.input('x3', [2, 4, 5, 6]);
  const w3 = o.input('w3', [4, 3, 3, 3]);
  cases.push([o.convTranspose2d(x3, w3, { strides: 2, pads: 1, outputPadding: 1 }), [2, 3, (5 - 1) * 2 + 1 + 3 - 2, (6 - 1) * 2 + 1 + 3 - 2]]);
  cases.push([o.convTranspose2d(x3, o.input('w4', [4, 2, 2, 3]), { group: 2, dilations: [1, 2], pads: [0, 1, 1, 0] }), [2, 4, 5 + 2 - 1 - 1, 6 + 4 - 1]]);
  const x5 = o.input('x5', [2, 3, 7, 7]);
  cases.push([o.maxPool2d(x5, { kernel: 3, strides: 2, pads: 1 }), [2, 3, out(7, 3, 2, 1, 1, 1), out(7, 3, 2, 1, 1, 1)]]);
  cases.push([o.avgPool2d(o.input('x6', [1, 1, 7, 5]), { kernel: 2 }), [1, 1, 3, 2]]);
  cases.forEach(([t, want]) => assert.deepEqual(t.shape, want, t.op));
  const feeds = Object.fromEntries(cases.flatMap(([t]) => t.inputs).filter((i): i is Tensor<'input'> => i.op === 'input').map((i) => [i.attrs.name, new Float32Array(i.shape.reduce<number>((p, d) => p * (d as number), 1))]));
  const got = await onOrt(Object.fromEntries(cases.map(([t], i) => [`y${i}`, t])), feeds);
  cases.forEach(([, want], i) => assert.equal(got[`y${i}`].length, want.reduce((p, d) => p * d, 1), `output ${i}`));
});

test('bad convolution and pooling arguments are ShapeErrors that name the op, the shapes and the attribute', () => {
  const x = o.input('x', ['n', 3, 8, 8]);
  const w = o.input('w', [4, 3, 3, 3]);
  const bad: Array<[() => unknown, RegExp]> = [
    [() => o.conv2d(o.input('r', [3, 8, 8]), w), /conv2d of \[3, 8, 8\] by kernel \[4, 3, 3, 3\]: input must have rank 4/],
    [() => o.conv2d(x, o.input('w2', [4, 2, 3, 3])), /conv2d of \[n, 3, 8, 8\] by kernel \[4, 2, 3, 3\]: the kernel takes 2 input channels, the input has 3/],
    [() => o.conv2d(x, o.input('w3', [4, 1, 3, 3]), undefined, { group: 2 }), /group 2 splits the 3 input channels/],
    [() => o.conv2d(o.input('x4', [1, 4, 8, 8]), o.input('w4', [3, 2, 3, 3]), undefined, { group: 2 }), /group 2 does not divide the 3 output channels/],
    [() => o.conv2d(x, o.input('w5', [4, 3, 9, 3])), /kernel 9 is larger than the padded height 8 \+ 0 \+ 0/],
    [() => o.conv2d(x, w, undefined, { dilations: 5, pads: 1 }), /kernel 3 with dilation 5 \(spanning 11\) is larger than the padded height 8 \+ 1 \+ 1/],
    [() => o.conv2d(x, w, undefined, { strides: 0 }), /conv2d of .*: strides 0 must be one integer ≥ 1 or two/],
    [() => o.conv2d(x, w, undefined, { strides: [1, 2, 3] as never }), /strides \[1,2,3\] must be/],
    [() => o.conv2d(x, w, undefined, { pads: [1, 1] as never }), /pads \[1,1\] must be one integer ≥ 0 or four \[top, left, bottom, right\]/],
    [() => o.conv2d(x, w, undefined, { pads: -1 }), /pads -1 must be/],
    [() => o.conv2d(x, w, undefined, { group: 0 }), /group 0 must be a positive integer/],
    [() => o.conv2d(x, w, o.input('b', [3])), /bias float32 \[3\] must be float32 \[4\]/],
    [() => o.conv2d(x, o.input('w64', [4, 3, 3, 3], 'float64')), /dtypes differ: float32 and float64/],
    [() => o.conv2d(o.input('xs', [1, 3, 'h', 8]), w), /input \[1, 3, h, 8\] must have static height and width/],
    [() => o.convTranspose2d(x, o.input('wt', [4, 2, 3, 3])), /convTranspose2d of \[n, 3, 8, 8\] by kernel \[4, 2, 3, 3\]: the kernel takes 4 input channels, the input has 3/],
    [() => o.convTranspose2d(x, o.input('wt2', [3, 2, 3, 3]), { strides: 2, outputPadding: 2 }), /outputPadding \[2, 2\] must be below the strides \[2, 2\]/],
    [() => o.convTranspose2d(x, o.input('wt3', [3, 2, 3, 3]), { group: 2 }), /group 2 needs static channel counts, the input's divisible by 2/],
    [() => o.convTranspose2d(o.input('x1', [1, 3, 1, 1]), o.input('wt4', [3, 2, 1, 1]), { pads: 1 }), /pads \[1, 1, 1, 1\] leave an empty output -1×-1/],
    [() => o.maxPool2d(x, {} as never), /maxPool2d of \[n, 3, 8, 8\]: kernel undefined must be one integer ≥ 1 or two/],
    [() => o.maxPool2d(x, { kernel: 2, pads: 2 }), /maxPool2d of \[n, 3, 8, 8\]: pads \[2, 2, 2, 2\] must be smaller than the kernel \[2, 2\]/],
    [() => o.avgPool2d(x, { kernel: 9 }), /avgPool2d of \[n, 3, 8, 8\]: kernel 9 is larger than the padded height 8/],
    [() => o.avgPool2d(x, { kernel: 2, strides: -1 }), /avgPool2d of .*: strides -1 must be/],
    [() => o.maxPool2d(x, { kernel: 2, countIncludePad: true }), /maxPool2d of \[n, 3, 8, 8\]: countIncludePad applies to average pooling only/],
    [() => o.maxPool2d(o.input('xc', [1, 'c', 8, 8]), { kernel: 2 }), /input \[1, c, 8, 8\] must have a static channel count/],
    [() => o.maxPoolGrad(x, o.input('g', ['n', 3, 3, 3]), { kernel: 2 }), /maxPoolGrad of \[n, 3, 8, 8\] with \[n, 3, 3, 3\]: the cotangent must be float32 \[n, 3, 4, 4\]/],
  ];
  for (const [f, re] of bad) assert.throws(f, (e: Error) => e.name === 'ShapeError' && re.test(e.message), re.source);
});

/** dw[o, c, p, q] = Σ_{n,i,j} x[n, c, i·s + p − pad, j·s + q − pad] · g[n, o, i, j], straight from the definition. */
function directWeightGrad(x: NDArray, g: NDArray, kh: number, kw: number, s: number, pad: number): Float64Array {
  const [n, c, h, w] = x.shape;
  const [, oc, ho, wo] = g.shape;
  const dw = new Float64Array(oc * c * kh * kw);
  for (let o = 0; o < oc; o++)
    for (let ci = 0; ci < c; ci++)
      for (let p = 0; p < kh; p++)
        for (let q = 0; q < kw; q++) {
          let sum = 0;
          for (let m = 0; m < n; m++)
            for (let i = 0; i < ho; i++)
              for (let j = 0; j < wo; j++) {
                const r = i * s + p - pad;
                const t = j * s + q - pad;
                if (r >= 0 && r < h && t >= 0 && t < w) sum += x.data[((m * c + ci) * h + r) * w + t] * g.data[((m * oc + o) * ho + i) * wo + j];
              }
          dw[((o * c + ci) * kh + p) * kw + q] = sum;
        }
  return dw;
}

test('conv weight gradients of a LeNet-like pair (1→4 5×5, 4→8 4×4 s2 p1), batch 4: ONNX Runtime, reference and the definition agree', async () => {
  const x = o.input('x', [4, 1, 12, 12]);
  const w1 = o.input('w1', [4, 1, 5, 5]);
  const b1 = o.input('b1', [4]);
  const w2 = o.input('w2', [8, 4, 4, 4]);
  const b2 = o.input('b2', [8]);
  const y1 = o.conv2d(x, w1, b1);
  const h1 = o.relu(y1);
  const y2 = o.conv2d(h1, w2, b2, { strides: 2, pads: 1 });
  const r = o.constant(randomValues(5, 4 * 8 * 4 * 4, -1, 1), [4, 8, 4, 4]);
  const loss = o.reduceSum(o.mul(o.tanh(y2), r));
  const grads = grad(loss, [w1, b1, w2, b2, y1, y2]);
  const names = ['dw1', 'db1', 'dw2', 'db2', 'dy1', 'dy2'];
  const feeds = { x: randomValues(1, 576, 0, 1), w1: randomValues(2, 100, -0.4, 0.4), b1: randomValues(3, 4, -0.1, 0.1), w2: randomValues(4, 512, -0.25, 0.25), b2: randomValues(6, 8, -0.1, 0.1) };
  const [ref, refH1] = [evaluate(grads, feeds), evaluate([h1], feeds)[0]];
  const xs = { shape: [4, 1, 12, 12], data: Float64Array.from(feeds.x) };
  assert.ok(closeness(ref[0].data, directWeightGrad(xs, ref[4], 5, 5, 1, 0), 1e-12, 1e-10) <= 1, 'dw1 against the definition');
  assert.ok(closeness(ref[2].data, directWeightGrad(refH1, ref[5], 4, 4, 2, 1), 1e-12, 1e-10) <= 1, 'dw2 against the definition');
  const got = await onOrt(Object.fromEntries(names.map((n, i) => [n, grads[i]])), feeds);
  names.forEach((n, i) => {
    const c = closeness(got[n], ref[i].data, 1e-5, 1e-4);
    assert.ok(c <= 1, `${n}: ORT ${Array.from(got[n].slice(0, 4))} vs reference ${Array.from(ref[i].data.slice(0, 4))} (closeness ${c})`);
  });
});
