// Convolutions on ONNX Runtime's blocked (NCHWc) kernels: every lowering (forward, phase-split input
// gradient, weight gradient over the batch, ops kept blocked between convolutions) against the float64
// reference interpreter, beside the standard-ONNX emission of the same graph. The IR (and so the
// finite-difference checks of conv2d's rules) is the same for both: only the emitted ONNX differs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { activeBackend } from '../src/engine/backend.js';
import { grad } from '../src/engine/grad.js';
import * as o from '../src/engine/ops.js';
import { evaluate } from '../src/engine/reference.js';
import { type TypedArray, blockSize, compile } from '../src/engine/runtime.js';
import type { Tensor } from '../src/engine/tensor.js';
import type { OpCase } from './cases.js';
import { closeness, instantiate } from './helpers.js';

const NCHWC = 'com.microsoft.nchwc';
const cpuFlags = (() => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
  } catch {
    return [];
  }
})();

test('the block size is read from ONNX Runtime: 16 with AVX-512, 8 with AVX2, and none on the web backend', async () => {
  const block = await blockSize(await activeBackend());
  if (process.arch === 'x64' && cpuFlags.length) assert.equal(block, cpuFlags.includes('avx512f') ? 16 : cpuFlags.includes('avx2') ? 8 : block);
  assert.ok([0, 4, 8, 16].includes(block), `block ${block}`);
  const { webBackend } = await import('../src/engine/backend-web.js');
  const ort = await import('onnxruntime-web');
  assert.equal(await blockSize(webBackend(ort as never)), 0);
});

// Channel counts are multiples of 16, so every case is eligible with either block size.
// `convs`: blocked Conv nodes in the graph of the value and its gradients — per layer 1 forward, stride_h·stride_w
// phases of the input gradient (where eligible), 1 weight gradient over the batch (input channels ≥ 4).
// `absent`: standard operators the blocked emission must not need (a ReLU the convolution applies itself).
const CONV_CASES: Array<OpCase & { label: string; blocked: string[]; convs: number; absent?: string[] }> = [
  {
    label: 'stride 1, pad 1, bias',
    covers: [],
    inputs: [{ name: 'x', shape: [4, 16, 9, 9] }, { name: 'w', shape: [16, 16, 3, 3] }, { name: 'b', shape: [16] }],
    build: ({ x, w, b }) => o.conv2d(x, w, b, { pads: 1 }),
    blocked: ['Conv'],
    convs: 3, // 1 + 1 + 1
  },
  {
    label: 'stride 2, kernel 4, asymmetric pads, odd sizes (phases cropped)',
    covers: [],
    inputs: [{ name: 'x', shape: [4, 16, 11, 10] }, { name: 'w', shape: [32, 16, 4, 3] }],
    build: ({ x, w }) => o.conv2d(x, w, undefined, { strides: 2, pads: [1, 0, 2, 1] }),
    blocked: ['Conv'],
    convs: 6, // 1 + 2·2 + 1
  },
  {
    label: 'stride 3, kernel 5 (phases of 2, 2 and 1 taps)',
    covers: [],
    inputs: [{ name: 'x', shape: [4, 16, 13, 14] }, { name: 'w', shape: [16, 16, 5, 5] }, { name: 'b', shape: [16] }],
    build: ({ x, w, b }) => o.conv2d(x, w, b, { strides: 3, pads: 2 }),
    blocked: ['Conv'],
    convs: 11, // 1 + 3·3 + 1
  },
  {
    label: 'three input channels (standard-layout input), kernel 5, pad 2, the ReLU applied by the convolution',
    covers: [],
    inputs: [{ name: 'x', shape: [4, 3, 12, 12] }, { name: 'w', shape: [16, 3, 5, 5] }, { name: 'b', shape: [16] }],
    build: ({ x, w, b }) => o.relu(o.conv2d(x, w, b, { pads: 2 })),
    blocked: ['Conv'],
    convs: 1, // forward only: 3 output channels and a batch of 3 for the weight gradient stay standard
    absent: ['Relu'],
  },
  {
    label: 'dilation 2, strides [1, 2] (dilated: forward blocked, gradient standard)',
    covers: [],
    inputs: [{ name: 'x', shape: [4, 16, 10, 11] }, { name: 'w', shape: [16, 16, 3, 3] }],
    build: ({ x, w }) => o.conv2d(x, w, undefined, { dilations: 2, strides: [1, 2], pads: 1 }),
    blocked: ['Conv'],
    convs: 2, // forward + weight gradient; the dilated input gradient stays standard
  },
  {
    label: 'a leaky ReLU (slope 0.1) applied by the convolution',
    covers: [],
    inputs: [{ name: 'x', shape: [4, 16, 6, 6] }, { name: 'w', shape: [16, 16, 3, 3] }],
    build: ({ x, w }) => o.leakyRelu(o.conv2d(x, w, undefined, { pads: 1 }), 0.1),
    blocked: ['Conv'],
    convs: 3, // 1 + 1 + 1
    absent: ['LeakyRelu'],
  },
  {
    // The gradient itself is the result, so ties between window cells (the ReLU's zeros) must go to the first.
    label: "max-pool's gradient over ReLU zeros: each window's cotangent at its first maximum",
    covers: [],
    inputs: [{ name: 'x', shape: [4, 16, 8, 6] }, { name: 'w', shape: [16, 16, 3, 3] }, { name: 'g', shape: [4, 16, 4, 3] }],
    build: ({ x, w, g }) => o.maxPoolGrad(o.relu(o.conv2d(x, w, undefined, { pads: 1 })), g, { kernel: 2 }),
    blocked: ['Conv', 'MaxPool'],
    convs: 1 + 4, // the forward convolution and the 4 window cells (no gradient reaches x through an argmax)
    absent: ['ScatterElements'],
  },
  {
    label: 'a named batch',
    covers: [],
    inputs: [{ name: 'x', shape: [5, 16, 8, 8] }, { name: 'w', shape: [16, 16, 3, 3] }],
    symbolic: { x: ['n', 16, 8, 8] },
    build: ({ x, w }) => o.conv2d(x, w, undefined, { strides: 2, pads: 1 }),
    blocked: ['Conv'],
    convs: 5, // 1 + 4; the weight gradient over a named batch stays standard
  },
  {
    // conv → ReLU → max-pool → conv → ReLU → flatten → dense: masks, pools and bias gradients on blocked
    // values, layouts changed at the flatten.
    label: 'a small CNN: ReLU masks, max-pool, bias gradients and the flatten between layouts, ReLUs applied by the convolutions',
    covers: [],
    inputs: [
      { name: 'x', shape: [4, 1, 12, 12] },
      { name: 'w1', shape: [16, 1, 3, 3] },
      { name: 'b1', shape: [16] },
      { name: 'w2', shape: [32, 16, 4, 4] },
      { name: 'b2', shape: [32] },
      { name: 'd', shape: [32 * 3 * 3, 5] },
    ],
    build: ({ x, w1, b1, w2, b2, d }) => {
      const h1 = o.maxPool2d(o.relu(o.conv2d(x, w1, b1, { pads: 1 })), { kernel: 2 });
      const h2 = o.relu(o.conv2d(h1, w2, b2, { strides: 2, pads: 1 }));
      return o.matmul(o.reshape(h2, [4, 32 * 3 * 3]), d);
    },
    blocked: ['Conv', 'MaxPool', 'ReorderInput', 'ReorderOutput'],
    convs: 11, // conv1 forward; the pool's gradient 4 window cells; conv2 1 + 4 + 1
    absent: ['Relu', 'ScatterElements'],
  },
];

for (const c of CONV_CASES) {
  test(`blocked convolutions match the reference: ${c.label}, value and gradients`, async (t) => {
    const block = await blockSize(await activeBackend());
    if (!block) return t.skip('this runtime has no blocked convolution kernels');
    const { ins, feeds, out } = instantiate(c, 'float32', 3);
    const names = c.inputs.map((s) => s.name);
    const loss = o.reduceSum(o.mul(out, out));
    const grads = grad(loss, names.map((n) => ins[n]));
    const outputs: Record<string, Tensor> = { out };
    names.forEach((n, k) => (outputs[`d_${n}`] = grads[k]));
    const want = evaluate([out, ...grads], feeds);
    const ortFeeds: Record<string, TypedArray> = {};
    for (const s of c.inputs) ortFeeds[s.name] = Float32Array.from(feeds[s.name].data);
    for (const convolutions of ['auto', 'standard'] as const) {
      const program = await compile({ outputs, threads: 2, convolutions });
      const blocked = Object.keys(program.opCounts).filter((k) => k.startsWith(NCHWC)).map((k) => k.slice(NCHWC.length + 1));
      if (convolutions === 'standard') assert.deepEqual(blocked, [], 'the standard emission uses ONNX operators only');
      else {
        for (const op of c.blocked) assert.ok(blocked.includes(op), `${c.label}: expected blocked ${op} nodes, got ${blocked.join(', ') || 'none'}`);
        assert.equal(program.opCounts[`${NCHWC}.Conv`], c.convs, `${c.label}: blocked Conv nodes`);
        for (const op of c.absent ?? []) assert.equal(program.opCounts[op], undefined, `${c.label}: no ${op} nodes`);
      }
      const got = await program.run(ortFeeds);
      ['out', ...names.map((n) => `d_${n}`)].forEach((k, j) => {
        // float32 sums of large terms: the absolute tolerance scales with the largest reference value.
        const scale = want[j].data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const r = closeness(Array.from(got[k] as Float32Array, Number), want[j].data, 1e-6 * scale || 1e-12, 1e-4);
        assert.ok(r <= 1, `${c.label} (${convolutions}): ${k} ORT ${Array.from(got[k] as Float32Array).slice(0, 4)} vs reference ${Array.from(want[j].data).slice(0, 4)} (closeness ${r})`);
      });
      await program.release();
    }
  });
}
