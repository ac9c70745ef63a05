// ONNX Runtime against the float64 reference interpreter, op by op (float32 graphs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as o from '../src/engine/ops.js';
import { evaluate } from '../src/engine/reference.js';
import { compile } from '../src/engine/runtime.js';
import type { TypedArray } from '../src/engine/runtime.js';
import { grad } from '../src/engine/grad.js';
import { CASES, MLP_CASE } from './cases.js';
import { closeness, instantiate } from './helpers.js';

for (const [i, c] of [...CASES, MLP_CASE].entries()) {
  const label = c.covers.length ? c.covers.join('+') : 'mlp cross-entropy';
  test(`ONNX Runtime matches the reference: ${label} (case ${i}), value and gradients`, async () => {
    const { ins, feeds, out } = instantiate(c, 'float32', i + 1);
    const names = c.inputs.filter((s) => !s.fixed).map((s) => s.name);
    const loss = o.reduceSum(o.mul(out, out));
    const grads = grad(loss, names.map((n) => ins[n]));
    const outputs: Record<string, o.Operand> = { out };
    names.forEach((n, k) => (outputs[`d_${n}`] = grads[k]));
    const program = await compile({ outputs: outputs as never, threads: 1 });
    const ortFeeds: Record<string, TypedArray> = {};
    for (const s of c.inputs) ortFeeds[s.name] = s.dtype === 'int64' ? BigInt64Array.from(feeds[s.name].data, (v) => BigInt(v)) : Float32Array.from(feeds[s.name].data);
    const got = await program.run(ortFeeds);
    const want = evaluate([out, ...grads], feeds);
    const keys = ['out', ...names.map((n) => `d_${n}`)];
    keys.forEach((k, j) => {
      const r = closeness(Array.from(got[k] as Float32Array, Number), want[j].data, 1e-5, 1e-4);
      assert.ok(r <= 1, `${label}: ${k} ORT ${Array.from(got[k] as Float32Array).slice(0, 5)} vs reference ${Array.from(want[j].data).slice(0, 5)} (closeness ${r})`);
    });
    await program.release();
  });
}
