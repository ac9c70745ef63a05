// Logits of a model over a set of images, in chunks of one compiled program with a free batch size.
import * as o from '../engine/ops.js';
import { type Program, compile } from '../engine/runtime.js';
import type { Split } from '../data/dataset.js';
import { floatRows } from '../data/selection.js';
import type { Architecture, Model } from './model.js';

export interface LogitsProgram {
  /** Logits [count × classes] of `images` ([count × inputs], or the first `count` rows of a split). */
  run(model: Model, images: Float32Array | Split, count: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function compileLogits(arch: Architecture, opts: { threads?: number; rows?: number } = {}): Promise<LogitsProgram> {
  const x = o.input('x', ['batch', arch.inputs]);
  const program: Program = await compile({ outputs: { logits: arch.trace()(x) }, threads: opts.threads });
  const rows = opts.rows ?? 500;
  return {
    async run(model, images, count) {
      const out = new Float32Array(count * arch.classes);
      // A split's rows become floats a chunk at a time.
      const chunk = images instanceof Float32Array ? null : new Float32Array(Math.min(rows, count) * arch.inputs);
      for (let at = 0; at < count; at += rows) {
        const n = Math.min(rows, count - at);
        const x = chunk ? floatRows(images as Split, at, at + n, chunk).subarray(0, n * arch.inputs) : (images as Float32Array).subarray(at * arch.inputs, (at + n) * arch.inputs);
        const r = await program.run({ x, ...model.params });
        out.set(r.logits as Float32Array, at * arch.classes);
      }
      return out;
    },
    release: () => program.release(),
  };
}

/** Per example, 1 where the largest logit is the label's (the lowest index wins ties, as ONNX ArgMax). */
export function correctness(logits: Float32Array, labels: Uint8Array, classes: number): Uint8Array {
  return Uint8Array.from(labels, (y, i) => +(argmaxRow(logits, i, classes) === y));
}

/** The largest logit's class in row i (the lowest index wins ties, as ONNX ArgMax). */
export function argmaxRow(logits: ArrayLike<number>, i: number, classes: number): number {
  let best = 0;
  for (let j = 1; j < classes; j++) if (logits[i * classes + j] > logits[i * classes + best]) best = j;
  return best;
}

/** The class probabilities of row i: softmax of its logits (shifted by their largest, so exp never overflows). */
export function softmaxRow(logits: ArrayLike<number>, i: number, classes: number): number[] {
  const z = Array.from({ length: classes }, (_, j) => logits[i * classes + j]);
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** The class of rank `rank` in row i (0: the most likely; ties to the lower index): APGD-T's and FAB-T's targets. */
export function rankedClass(logits: Float32Array, i: number, classes: number, rank: number): number {
  const z = logits.subarray(i * classes, (i + 1) * classes);
  const order = Array.from(z.keys()).sort((a, b) => z[b] - z[a] || a - b);
  return order[Math.min(rank, classes - 1)];
}

/** The batch size a chunk of m rows runs at: powers of two from `least` up to `rows` (few programs, little padding). */
export const batchBucket = (m: number, rows: number, least: number): number => Math.min(rows, Math.max(least, 2 ** Math.ceil(Math.log2(m))));

export const mean = (flags: Uint8Array): number => flags.reduce((s, v) => s + v, 0) / flags.length;
