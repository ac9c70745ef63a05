// Ops without a finite-difference case: randomNormalLike (standard normal noise drawn anew on every run
// by ONNX Runtime, a distinct stream per node, the same stream for the same program; no gradient to its
// shape input) and the forward-only sliceAt/padAt (positions fed at run time), ONNX Runtime against the
// reference interpreter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../src/engine/grad.js';
import * as o from '../src/engine/ops.js';
import { evaluate } from '../src/engine/reference.js';
import { compile } from '../src/engine/runtime.js';

const N = 20000;

const moments = (v: Float32Array) => {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, sd };
};

test('ONNX Runtime draws N(0, 1) noise, anew per run and per node, the same sequence for the same program', async () => {
  const build = () => {
    const x = o.input('x', [N]);
    return { a: o.add(x, o.randomNormalLike(x, 1)), b: o.randomNormalLike(x, 2) };
  };
  const p = await compile({ outputs: build() });
  const q = await compile({ outputs: build() });
  const x = new Float32Array(N).fill(3);
  try {
    const first = await p.run({ x });
    const second = await p.run({ x });
    const a = Float32Array.from(first.a as Float32Array, (v) => v - 3);
    for (const v of [a, first.b as Float32Array]) {
      const { mean, sd } = moments(v);
      assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.03, `mean ${mean}, sd ${sd}`);
    }
    const same = (u: Float32Array, v: Float32Array) => u.every((x, i) => x === v[i]);
    assert.ok(!same(first.a as Float32Array, second.a as Float32Array), 'two runs drew the same noise');
    assert.ok(!same(a, first.b as Float32Array), 'two nodes drew the same noise');
    // Another session of the same graph replays the same sequence: results are reproducible.
    assert.ok(same(first.a as Float32Array, (await q.run({ x })).a as Float32Array));
  } finally {
    await p.release();
    await q.release();
  }
});

test('no gradient flows through the noise; the reference draws its own seeded numbers', () => {
  const x = o.input('x', [5], 'float64');
  const y = o.reduceSum(o.mul(o.add(x, o.randomNormalLike(x, 7)), 2));
  const [g] = grad(y, [x]);
  const feeds = { x: { shape: [5], data: Float64Array.from([1, 2, 3, 4, 5]) } };
  assert.deepEqual(Array.from(evaluate([g], feeds)[0].data), [2, 2, 2, 2, 2]);
  const noise = (seed: number) => evaluate([o.randomNormalLike(x, seed)], feeds)[0].data;
  assert.deepEqual(noise(7), noise(7));
  assert.notDeepEqual(noise(7), noise(8));
});

test('sliceAt and padAt at positions fed at run time: ONNX Runtime agrees with the reference', async () => {
  const x = o.input('x', [3, 10]);
  const at = o.input('at', [1], 'int64');
  const cut = o.sliceAt(x, 1, at, 4);
  const back = o.padAt(o.mul(cut, 2), 1, at, 12);
  const p = await compile({ outputs: { cut, back } });
  const data = Float32Array.from({ length: 30 }, (_, i) => i + 1);
  try {
    for (const start of [0, 3, 6]) {
      const out = await p.run({ x: data, at: BigInt64Array.of(BigInt(start)) });
      const ref = evaluate([cut, back], { x: { shape: [3, 10], data: Float64Array.from(data) }, at: { shape: [1], data: Float64Array.of(start) } });
      assert.deepEqual(Array.from(out.cut as Float32Array), Array.from(ref[0].data));
      assert.deepEqual(Array.from(out.back as Float32Array), Array.from(ref[1].data));
      // Row 0 from `start`: 4 values; padded back: twice them at the same place in 12 zeros.
      assert.deepEqual(Array.from((out.cut as Float32Array).subarray(0, 4)), [1, 2, 3, 4].map((v) => v + start));
      assert.deepEqual(Array.from((out.back as Float32Array).subarray(0, 12)), Array.from({ length: 12 }, (_, j) => (j >= start && j < start + 4 ? 2 * (j + 1) : 0)));
    }
  } finally {
    await p.release();
  }
  assert.throws(() => evaluate([cut], { x: { shape: [3, 10], data: new Float64Array(30) }, at: { shape: [1], data: Float64Array.of(7) } }), /leaves axis 1/);
  assert.throws(() => o.sliceAt(x, 1, at, 11), /does not fit/);
});

test('grad refuses to differentiate through sliceAt or padAt, naming the op; a target they do not reach is fine', () => {
  const x = o.input('x', [2, 6], 'float64');
  const w = o.input('w', [2, 3], 'float64');
  const at = o.input('at', [1], 'int64');
  const through = (t: o.Operand) => o.reduceSum(o.mul(t, t));
  assert.throws(() => grad(through(o.sliceAt(x, 1, at, 3)), [x]), /grad: op 'sliceAt' is forward-only/);
  assert.throws(() => grad(through(o.padAt(w, 1, at, 6)), [w]), /grad: op 'padAt' is forward-only/);
  // w does not reach sliceAt: its gradient is 2w (+ nothing through the cut), and the cut's own rule is never asked for.
  const [gw] = grad(through(o.add(o.sliceAt(x, 1, at, 3), w)), [w]);
  const feeds = { x: { shape: [2, 6], data: new Float64Array(12) }, w: { shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) }, at: { shape: [1], data: Float64Array.of(2) } };
  assert.deepEqual(Array.from(evaluate([gw], feeds)[0].data), [2, 4, 6, 8, 10, 12]);
});

test("sign on ONNX Runtime is exact at the edges of float32: ±0, subnormals, the largest values, ±∞ and NaN", async () => {
  const values = [0, -0, 1e-45, -1e-45, 1.2e-38, -3e-39, 0.5, -7, 3.4e38, -3.4e38, Infinity, -Infinity, NaN];
  const x = o.input('x', [values.length]);
  const p = await compile({ outputs: { s: o.sign(x) }, threads: 1 });
  const got = Array.from((await p.run({ x: Float32Array.from(values) })).s as Float32Array);
  await p.release();
  const want = values.map((v) => Math.sign(Math.fround(v)));
  got.forEach((v, i) => assert.ok(Object.is(v, want[i]) || (v === 0 && want[i] === 0), `sign(${values[i]}) = ${v}, expected ${want[i]}`));
});
