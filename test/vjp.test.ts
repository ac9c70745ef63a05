// Every VJP rule against central finite differences, in float64 on the reference interpreter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../src/engine/grad.js';
import * as o from '../src/engine/ops.js';
import { EMIT } from '../src/engine/onnx.js';
import { COMPUTED_OPS } from '../src/engine/op-attrs.js';
import { KERNELS, evaluate } from '../src/engine/reference.js';
import { FORWARD_ONLY, VJP } from '../src/engine/vjp.js';
import { CASES, MLP_CASE } from './cases.js';
import { closeness, finiteDifferences, instantiate, randomValues } from './helpers.js';

test('every op with a VJP rule has a finite-difference case', () => {
  // stopGradient deliberately disagrees with finite differences; randomNormalLike's numbers differ between the
  // reference and ONNX Runtime (so it is no shared case): their exact tests are below and in random-op.test.ts.
  const covered = new Set([...CASES.flatMap((c) => c.covers), 'stopGradient', 'randomNormalLike']);
  const missing = COMPUTED_OPS.filter((op) => VJP[op] !== FORWARD_ONLY && !covered.has(op));
  assert.deepEqual(missing, []);
});

test('every computed op has an emission rule, a reference kernel and a VJP entry; only sliceAt and padAt are forward-only', () => {
  // The tables are typed over OpAttrs, so a gap is a compile error; this catches one hidden by a cast or a spread.
  const ops = [...COMPUTED_OPS].sort();
  assert.ok(ops.length >= 50 && !ops.some((op: string) => op === 'input' || op === 'constant'), `computed ops: ${ops.join(', ')}`);
  for (const [name, table] of Object.entries({ EMIT, KERNELS, VJP })) assert.deepEqual(Object.keys(table).sort(), ops, `${name} has exactly the computed ops`);
  for (const op of ops) {
    assert.equal(typeof EMIT[op], 'function', `emission rule for ${op}`);
    assert.equal(typeof KERNELS[op], 'function', `reference kernel for ${op}`);
  }
  assert.deepEqual(ops.filter((op) => VJP[op] === FORWARD_ONLY), ['padAt', 'sliceAt']);
  assert.ok(ops.every((op) => VJP[op] === FORWARD_ONLY || typeof VJP[op] === 'function'));
});

for (const [i, c] of [...CASES, MLP_CASE].entries()) {
  const label = c.covers.length ? c.covers.join('+') : 'mlp cross-entropy';
  test(`VJP matches central differences: ${label} (case ${i})`, () => {
    const { ins, feeds, out } = instantiate(c, 'float64', i + 1);
    // A random linear functional of the output, so every output element carries weight.
    const size = evaluate([out], feeds)[0].data.length;
    const weights = o.constant(randomValues(1000 + i, size, -1, 1), evaluate([out], feeds)[0].shape, 'float64');
    const loss = o.reduceSum(o.mul(out, weights));
    const names = c.inputs.filter((s) => !s.fixed).map((s) => s.name);
    const grads = grad(loss, names.map((n) => ins[n]));
    const analytic = evaluate(grads, feeds);
    const numeric = finiteDifferences(loss, feeds, names);
    names.forEach((n, k) => {
      assert.equal(analytic[k].data.length, feeds[n].data.length, `gradient of ${n} has the input's size`);
      const r = closeness(analytic[k].data, numeric[k], 1e-6, 1e-5);
      assert.ok(r <= 1, `${label}: d/d${n} analytic ${Array.from(analytic[k].data.slice(0, 6))} vs numeric ${Array.from(numeric[k].slice(0, 6))} (closeness ${r})`);
    });
  });
}

test('gradients accumulate over several uses and honour stopGradient', () => {
  const x = o.input('x', [3], 'float64');
  const y = o.reduceSum(o.add(o.mul(x, x), o.stopGradient(o.mul(x, 3))));
  const [g] = evaluate(grad(y, [x]), { x: [1, 2, 3] });
  assert.deepEqual(Array.from(g.data), [2, 4, 6]);
});

test('gradient with respect to an unreachable tensor is zero of its shape', () => {
  const x = o.input('x', [2], 'float64');
  const z = o.input('z', [2, 2], 'float64');
  const [gz] = evaluate(grad(o.reduceSum(o.exp(x)), [z]), { x: [0, 1], z: [1, 2, 3, 4] });
  assert.deepEqual(gz.shape, [2, 2]);
  assert.deepEqual(Array.from(gz.data), [0, 0, 0, 0]);
});

test('grad rejects a non-scalar target', () => {
  const x = o.input('x', [2, 3], 'float64');
  assert.throws(() => grad(o.exp(x), [x]), /grad: expects a float scalar, got float64 \[2, 3\]/);
});

test('reference reshape keeps each named dim at its own size', () => {
  const x = o.input('x', ['a', 'b', 6], 'float64');
  const r = o.reduceSum(o.reshape(x, ['a', 'b', 2, 3]), 3);
  const [out] = evaluate([r], { x: { shape: [2, 5, 6], data: new Float64Array(60).fill(1) } });
  assert.deepEqual(out.shape, [2, 5, 2]);
  assert.ok(out.data.every((v) => v === 3));
});
