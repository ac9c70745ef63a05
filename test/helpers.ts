// Shared test helpers: seeded random arrays and central finite differences on the reference interpreter.
import type { Dataset, Split } from '../src/data/dataset.js';
import * as o from '../src/engine/ops.js';
import { type NDArray, evaluate } from '../src/engine/reference.js';
import { keyFromSeed, fold, uniform } from '../src/engine/rng.js';
import type { TrainConfig } from '../src/train/config.js';
import type { DType, Tensor } from '../src/engine/tensor.js';
import type { OpCase } from './cases.js';

/** Values in [lo, hi), kept at least `gap` away from the points in `avoid` (kinks of the op under test). */
export function randomValues(seed: number, n: number, lo = -2, hi = 2, avoid: number[] = [], gap = 0.05): Float64Array {
  const u = uniform(keyFromSeed(seed), n, new Float64Array(n));
  return u.map((v, i) => {
    let x = lo + (hi - lo) * v;
    for (const a of avoid) if (Math.abs(x - a) < gap) x = a + (x < a ? -gap : gap) * (1 + ((i % 7) / 7));
    return x;
  });
}

export function seededKey(seed: number, i = 0) {
  return fold(keyFromSeed(seed), i);
}

/** Central differences of the scalar `loss` with respect to every element of each input feed. */
export function finiteDifferences(loss: Tensor, feeds: Record<string, NDArray>, names: string[], h = 1e-6): Float64Array[] {
  const f = (fs: Record<string, NDArray>) => evaluate([loss], fs)[0].data[0];
  return names.map((name) => {
    const base = feeds[name];
    const out = new Float64Array(base.data.length);
    for (let i = 0; i < base.data.length; i++) {
      const plus = Float64Array.from(base.data);
      const minus = Float64Array.from(base.data);
      plus[i] += h;
      minus[i] -= h;
      out[i] = (f({ ...feeds, [name]: { shape: base.shape, data: plus } }) - f({ ...feeds, [name]: { shape: base.shape, data: minus } })) / (2 * h);
    }
    return out;
  });
}

/** Largest |a−b| / (atol + rtol·|b|); ≤ 1 means close. */
export function closeness(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : Math.max(worst, r);
  }
  return worst;
}

/** Build a case in `dtype`: its input tensors, output, and seeded feeds. */
export function instantiate(c: OpCase, dtype: DType, seed: number) {
  const ins: Record<string, Tensor> = {};
  const feeds: Record<string, NDArray> = {};
  c.inputs.forEach((s, i) => {
    const dt = s.dtype ?? dtype;
    ins[s.name] = o.input(s.name, c.symbolic?.[s.name] ?? s.shape, dt);
    const n = s.shape.reduce((p, d) => p * d, 1);
    let v = randomValues(seed * 31 + i, n, s.lo ?? -2, s.hi ?? 2, s.avoid ?? []);
    if (dt === 'int64') v = v.map(Math.floor);
    feeds[s.name] = { shape: s.shape, data: v };
  });
  return { ins, feeds, out: c.build(ins, dtype) };
}

/** `count` random images of `features` pixels (uniform bytes), labels cycling through `classes`. */
export function synthetic(count: number, features: number, classes: number, seed: number): Split {
  const pixels = Uint8Array.from(uniform(keyFromSeed(seed), count * features), (u) => Math.floor(u * 256));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % classes);
  return { pixels, labels, count, features };
}

/** A tiny random dataset (300 training images of 12 pixels, 3 classes) for whole training runs in well under a second. */
export const syntheticDataset = (): Dataset => ({ train: synthetic(300, 12, 3, 1), test: synthetic(60, 12, 3, 2), classes: 3, source: 'synthetic', shape: [3, 4] });

/** A model and run sized for syntheticDataset(): 3 epochs of 10 steps. */
export const TINY: Partial<TrainConfig> = { model: 'mlp:hidden=8-8,layer=1', discriminatorHidden: 4, validation: 50, batchSize: 25, epochs: 3, threads: 1, stepsPerRun: 4 };

/** IDX bytes: magic 00 00 type rank, big-endian dims, data. */
export function idx(dims: number[], data: ArrayLike<number>, type = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Array.from(data))]);
}
