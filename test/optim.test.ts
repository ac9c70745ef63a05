// The optimizer graphs against textbook float64 implementations (PyTorch's torch.optim semantics),
// three consecutive steps each, on the reference interpreter and (Adam, float32) on ONNX Runtime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as o from '../src/engine/ops.js';
import { evaluate } from '../src/engine/reference.js';
import { compile } from '../src/engine/runtime.js';
import { A3tError } from '../src/errors.js';
import type { DType, Tensor } from '../src/engine/tensor.js';
import { type AdamOptions, adam } from '../src/optim/adam.js';
import type { Optimizer } from '../src/optim/optimizer.js';
import { type SgdOptions, sgd } from '../src/optim/sgd.js';
import { closeness, randomValues } from './helpers.js';

const N = 64;
const STEPS = 3;

// ---- textbook references -------------------------------------------------------------------------

interface AdamRef {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** One step of torch.optim.Adam (amsgrad off, L2 weight decay added to the gradient). */
function adamStep(s: AdamRef, g: ArrayLike<number>, t: number, { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 }: AdamOptions): AdamRef {
  const n = s.p.length;
  const p = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = g[i] + weightDecay * s.p[i];
    m[i] = beta1 * s.m[i] + (1 - beta1) * d;
    v[i] = beta2 * s.v[i] + (1 - beta2) * d * d;
    const mHat = m[i] / (1 - beta1 ** t);
    const vHat = v[i] / (1 - beta2 ** t);
    p[i] = s.p[i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
  }
  return { p, m, v };
}

/** One step of torch.optim.SGD (dampening 0, no Nesterov): v = μv + g + λp; p -= lr·v (v = g + λp without momentum). */
function sgdStep(p0: Float64Array, vel: Float64Array, g: ArrayLike<number>, { lr = 0.01, momentum = 0, weightDecay = 0 }: SgdOptions): { p: Float64Array; v: Float64Array } {
  const p = new Float64Array(p0.length);
  const v = new Float64Array(p0.length);
  for (let i = 0; i < p0.length; i++) {
    const d = g[i] + weightDecay * p0[i];
    v[i] = momentum > 0 ? momentum * vel[i] + d : d;
    p[i] = p0[i] - lr * v[i];
  }
  return { p, v };
}

// ---- graph harness ---------------------------------------------------------------------------------

/** The optimizer's update as a graph over inputs p, g, step and one input per slot. */
function build(opt: Optimizer, dtype: DType, n = N) {
  const p = o.input('p', [n], dtype);
  const g = o.input('g', [n], dtype);
  const step = o.input('step', [], dtype);
  const state: Record<string, Tensor> = {};
  for (const s of opt.slots) state[s] = o.input(s, [n], dtype);
  const next = opt.update(p, g, state, step);
  assert.deepEqual(Object.keys(next.state).sort(), [...opt.slots].sort(), 'next state has one tensor per slot');
  assert.deepEqual(next.params.shape, [n]);
  assert.equal(next.params.dtype, dtype);
  for (const s of opt.slots) {
    assert.deepEqual(next.state[s].shape, [n], `slot ${s} shape`);
    assert.equal(next.state[s].dtype, dtype, `slot ${s} dtype`);
  }
  return { next };
}

/** A different seeded gradient for each step, scaled by `scale`. */
const gradient = (step: number, scale = 1) => randomValues(100 + step, N, -1, 1).map((x) => x * scale);
const initialParams = () => randomValues(7, N, -1, 1);

/** Run the graph for STEPS steps on the reference interpreter, feeding its outputs back. */
function runReference(opt: Optimizer, gradScale = 1) {
  const { next } = build(opt, 'float64');
  let p = initialParams();
  let state: Record<string, Float64Array> = Object.fromEntries(opt.slots.map((s) => [s, new Float64Array(N)]));
  const history: Array<{ p: Float64Array; state: Record<string, Float64Array> }> = [];
  for (let t = 1; t <= STEPS; t++) {
    const outs = evaluate([next.params, ...opt.slots.map((s) => next.state[s])], { p, g: gradient(t, gradScale), step: [t], ...state });
    p = outs[0].data;
    state = Object.fromEntries(opt.slots.map((s, i) => [s, outs[i + 1].data]));
    history.push({ p, state });
  }
  return history;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what: string) {
  const r = closeness(got, want, atol, rtol);
  assert.ok(r <= 1, `${what}: closeness ${r} (first values ${Array.from(got).slice(0, 3).join(', ')} vs ${Array.from(want).slice(0, 3).join(', ')})`);
}

// ---- Adam ------------------------------------------------------------------------------------------

const ADAM_CASES: Array<{ label: string; opts: AdamOptions; gradScale?: number }> = [
  { label: 'defaults', opts: {} },
  { label: 'lr 0.01, betas 0.8/0.99', opts: { lr: 0.01, beta1: 0.8, beta2: 0.99 } },
  { label: 'weight decay 0.1', opts: { lr: 0.01, weightDecay: 0.1 } },
  // Gradients of the size of ε, so a mis-scaled ε′ shows up in the parameters.
  { label: 'ε comparable to the gradients', opts: { lr: 0.05, eps: 1e-3 }, gradScale: 1e-3 },
  { label: 'beta1 0 (RMSProp-like)', opts: { lr: 0.01, beta1: 0, beta2: 0.9 } },
];

for (const c of ADAM_CASES) {
  test(`adam (${c.label}): 3 steps on the reference interpreter match torch.optim.Adam`, () => {
    const opt = adam(c.opts);
    assert.equal(opt.name, 'adam');
    assert.deepEqual([...opt.slots], ['m', 'v']);
    const got = runReference(opt, c.gradScale);
    const { beta1 = 0.9, beta2 = 0.999 } = c.opts;
    let ref: AdamRef = { p: initialParams(), m: new Float64Array(N), v: new Float64Array(N) };
    for (let t = 1; t <= STEPS; t++) {
      const before = ref.p;
      ref = adamStep(ref, gradient(t, c.gradScale), t, c.opts);
      const { p, state } = got[t - 1];
      assertClose(p, ref.p, 1e-15, 1e-12, `params after step ${t}`);
      // The step actually moved the parameters (so agreement is not vacuous).
      assert.ok(ref.p.some((x, i) => Math.abs(x - before[i]) > 1e-6), `step ${t} moves the parameters`);
      // The stored moments are rescaled: M = m/(1−β1), V = v/(1−β2).
      assertClose(state.m.map((x) => x * (1 - beta1)), ref.m, 1e-18, 1e-12, `m after step ${t}`);
      assertClose(state.v.map((x) => x * (1 - beta2)), ref.v, 1e-24, 1e-12, `v after step ${t}`);
    }
  });
}

test('adam in float32 on ONNX Runtime (state ping-pong) matches the float64 reference for 3 steps', async () => {
  const opts: AdamOptions = { lr: 0.01, beta1: 0.9, beta2: 0.99, weightDecay: 0.01 };
  const opt = adam(opts);
  const { next } = build(opt, 'float32');
  const prog = await compile({ state: { p: next.params, m: next.state.m, v: next.state.v }, threads: 1 });
  try {
    assert.deepEqual([...prog.stateNames].sort(), ['m', 'p', 'v']);
    assert.deepEqual(prog.feeds.map((f) => f.name).sort(), ['g', 'step']);
    const p0 = Float32Array.from(initialParams());
    prog.setState('p', p0);
    // The reference starts from the same float32-rounded values.
    let ref: AdamRef = { p: Float64Array.from(p0), m: new Float64Array(N), v: new Float64Array(N) };
    for (let t = 1; t <= STEPS; t++) {
      const g = Float32Array.from(gradient(t));
      await prog.run({ g, step: Float32Array.of(t) });
      ref = adamStep(ref, g, t, opts);
      assertClose(prog.state('p') as Float32Array, ref.p, 1e-6, 1e-5, `ORT params after step ${t}`);
      assertClose((prog.state('m') as Float32Array).map((x) => x * (1 - 0.9)), ref.m, 1e-7, 1e-5, `ORT m after step ${t}`);
      assertClose((prog.state('v') as Float32Array).map((x) => x * (1 - 0.99)), ref.v, 1e-9, 1e-5, `ORT v after step ${t}`);
    }
    // Three steps of size up to lr moved every parameter (the smallest move here is about 1.4e-3).
    assert.ok(Array.from(prog.state('p') as Float32Array).every((x, i) => Math.abs(x - p0[i]) > 1e-4), 'every parameter moved');
  } finally {
    await prog.release();
  }
});

// ---- SGD -------------------------------------------------------------------------------------------

const SGD_CASES: Array<{ label: string; opts: SgdOptions }> = [
  { label: 'plain', opts: { lr: 0.1 } },
  { label: 'plain with weight decay', opts: { lr: 0.1, weightDecay: 0.05 } },
  { label: 'momentum 0.9', opts: { lr: 0.1, momentum: 0.9 } },
  { label: 'momentum 0.5 with weight decay', opts: { lr: 0.05, momentum: 0.5, weightDecay: 0.1 } },
];

for (const c of SGD_CASES) {
  test(`sgd (${c.label}): 3 steps on the reference interpreter match torch.optim.SGD`, () => {
    const opt = sgd(c.opts);
    assert.equal(opt.name, 'sgd');
    const hasMomentum = (c.opts.momentum ?? 0) > 0;
    assert.deepEqual([...opt.slots], hasMomentum ? ['velocity'] : []);
    const got = runReference(opt);
    let p: Float64Array = initialParams();
    let v: Float64Array = new Float64Array(N);
    for (let t = 1; t <= STEPS; t++) {
      ({ p, v } = sgdStep(p, v, gradient(t), c.opts));
      assertClose(got[t - 1].p, p, 1e-15, 1e-12, `params after step ${t}`);
      if (hasMomentum) assertClose(got[t - 1].state.velocity, v, 1e-15, 1e-12, `velocity after step ${t}`);
    }
    // With momentum the third step differs from plain gradient descent on the same gradients.
    if (hasMomentum) {
      let q = initialParams();
      const z = new Float64Array(N);
      for (let t = 1; t <= STEPS; t++) q = sgdStep(q, z, gradient(t), { ...c.opts, momentum: 0 }).p;
      assert.ok(closeness(got[STEPS - 1].p, q, 1e-9, 0) > 1, 'momentum changes the trajectory');
    }
  });
}

// ---- hyper-parameter checks ------------------------------------------------------------------------

test('adam rejects bad hyper-parameters with a usage error naming the parameter', () => {
  const bad: Array<[AdamOptions, RegExp]> = [
    [{ lr: 0 }, /adam lr/],
    [{ lr: -1e-3 }, /adam lr/],
    [{ lr: Number.NaN }, /adam lr/],
    [{ lr: Infinity }, /adam lr/],
    [{ beta1: 1 }, /adam beta/],
    [{ beta1: 1.5 }, /adam beta1/],
    [{ beta1: -0.1 }, /adam beta1/],
    [{ beta2: 1 }, /adam beta/],
    [{ beta2: -0.5 }, /adam beta2/],
    [{ eps: -1e-8 }, /adam eps/],
    [{ weightDecay: -0.1 }, /adam weight decay/],
  ];
  for (const [opts, pattern] of bad)
    assert.throws(
      () => adam(opts),
      (e: unknown) => e instanceof A3tError && e.kind === 'usage' && pattern.test(e.message),
      `adam(${JSON.stringify(opts)})`,
    );
  // Boundary values that are fine.
  assert.doesNotThrow(() => adam({ beta1: 0, beta2: 0, eps: 0, weightDecay: 0, lr: 1e-9 }));
});

test('sgd rejects bad hyper-parameters with a usage error naming the parameter', () => {
  const bad: Array<[SgdOptions, RegExp]> = [
    [{ lr: 0 }, /sgd lr/],
    [{ lr: -0.1 }, /sgd lr/],
    [{ lr: Number.NaN }, /sgd lr/],
    [{ momentum: -0.1 }, /sgd momentum/],
    [{ momentum: 1.5 }, /sgd momentum/],
    [{ momentum: Number.NaN }, /sgd momentum/],
    [{ weightDecay: -1 }, /sgd weight decay/],
  ];
  for (const [opts, pattern] of bad)
    assert.throws(
      () => sgd(opts),
      (e: unknown) => e instanceof A3tError && e.kind === 'usage' && pattern.test(e.message),
      `sgd(${JSON.stringify(opts)})`,
    );
  assert.doesNotThrow(() => sgd({ lr: 1, momentum: 0.99, weightDecay: 0 }));
});
