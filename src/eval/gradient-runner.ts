// The gradient routines (steps, APGD) run over a dataset: one compiled graph per batch size, chunks of
// examples, ε fed at run time, per-example random starts from the key, restarts on the examples still standing.
import { column } from '../attacks/norms.js';
import { type GraphAttack, attackPoint } from '../attacks/spec.js';
import * as o from '../engine/ops.js';
import { floatRows, int64Labels } from '../data/selection.js';
import { fold, uniform } from '../engine/rng.js';
import { type TypedArray, compile } from '../engine/runtime.js';
import type { Tensor } from '../engine/tensor.js';
import { usageError } from '../errors.js';
import { type AttackProgram, DEFAULT_ROWS, type RunnerOptions, checkFeatures, programCache, radiusPerRow, standingRows } from './attack-program.js';
import type { Architecture } from './model.js';
import { batchBucket, compileLogits, mean, rankedClass } from './predict.js';

/** The classes a targeted attack aims at on restart r, from the clean logits. */
function pickTargets(spec: GraphAttack, logits: Float32Array, labels: Uint8Array, classes: number, r: number, out: BigInt64Array, rows: ArrayLike<number>): void {
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j];
    const z = logits.subarray(i * classes, (i + 1) * classes);
    let t: number;
    if (spec.target === 'next') t = (labels[i] + 1) % classes;
    else if (spec.target === 'least-likely') t = z.indexOf(Math.min(...z));
    else {
      // 'ranked': the (r+2)-th most likely class, as APGD-T's r-th target.
      t = rankedClass(logits, i, classes, r + 1);
    }
    out[j] = BigInt(t);
  }
}

/**
 * The attack's graph for a fixed batch size. Trap: with a named batch dim, ONNX Runtime takes ~25 s to
 * create a session for APGD's 6,700 nodes (0.9 s with a static one), so batches are static and padded.
 */
function attackGraph(arch: Architecture, spec: GraphAttack, batch: number): Record<string, Tensor> {
  const f = arch.inputs;
  const x = o.input('x', [batch, f]);
  const y = o.input('y', [batch], 'int64');
  const eps = o.input('eps', [batch, 1]);
  const start = spec.randomStart ? o.input('start', [batch, f]) : undefined;
  const target = spec.target !== 'none' ? o.oneHot(o.input('target', [batch], 'int64'), arch.classes) : undefined;
  const logits = arch.trace();
  // Robust so far (1/0 per row), the first misclassified point and the last point.
  let ok: Tensor | null = null;
  let firstWrong: Tensor = x;
  let last: Tensor = x;
  const visit = (p: Tensor, z: Tensor) => {
    const hit = o.cast(o.equal(o.argmax(z, 1), y), 'float32');
    firstWrong = ok ? o.where(column(o.greater(o.sub(ok, hit), 0)), p, firstWrong) : p;
    ok = ok ? o.mul(ok, hit) : hit;
    last = p;
  };
  // Without a random start the attack's first point is x itself; with one, check the clean point too.
  if (spec.randomStart) visit(x, logits(x));
  attackPoint(spec, { x, eps, logits, start, visit }, o.oneHot(y, arch.classes), target);
  const robust = o.greater(ok!, 0);
  return { robust, adversarial: o.where(column(robust), last, firstWrong) };
}


export async function compileGradient(arch: Architecture, spec: GraphAttack, opts: RunnerOptions = {}): Promise<AttackProgram> {
  // A deterministic model gives every EOT draw the same gradient: one draw is the same attack.
  if (spec.routine === 'apgd' && (spec.eot ?? 1) > 1 && !arch.random) spec = { ...spec, eot: 1 };
  const f = arch.inputs;
  const targeted = spec.target !== 'none';
  if (targeted && spec.target === 'ranked' && spec.restarts > arch.classes - 1) throw usageError(`${spec.name}: at most ${arch.classes - 1} restarts (one per other class), got ${spec.restarts}`);
  const programs = programCache<number>();
  const programFor = (batch: number) => programs.get(batch, () => compile({ outputs: attackGraph(arch, spec, batch), threads: opts.threads }));
  const clean = targeted ? await compileLogits(arch, opts) : null;
  const rows = opts.rows ?? DEFAULT_ROWS;
  return {
    spec,
    async run(model, data, epsValue, key, ids) {
      // Buffers per run: ONNX Runtime reads the feeds while runs of this program may overlap.
      const xs = new Float32Array(rows * f);
      const ys = new BigInt64Array(rows);
      const ts = new BigInt64Array(rows);
      const noise = new Float32Array(rows * f);
      checkFeatures(spec, arch, data);
      const n = data.count;
      const radius = radiusPerRow(spec, epsValue, n, f);
      const epsBuf = new Float32Array(rows);
      const standing = new Uint8Array(n).fill(1);
      const adversarial = new Float32Array(n * f);
      const cleanLogits = clean ? await clean.run(model, data, n) : null;
      for (let r = 0; r < spec.restarts; r++) {
        // All rows on the first restart (all stand), then those still standing.
        const todo = standingRows(standing);
        const restartKey = fold(key, r);
        for (let at = 0; at < todo.length; at += rows) {
          const chunk = todo.slice(at, at + rows);
          const batch = batchBucket(chunk.length, rows, 64);
          // Padding rows stay zero (labels 0); their results are ignored.
          xs.fill(0, 0, batch * f);
          ys.fill(0n, 0, batch);
          ts.fill(0n, 0, batch);
          epsBuf.fill(0, 0, batch);
          int64Labels(data.labels, chunk, ys);
          chunk.forEach((i, j) => {
            floatRows(data, i, i + 1, xs.subarray(j * f, (j + 1) * f));
            epsBuf[j] = radius[i];
            // Each example's start depends only on the key, the restart and its index: not on chunking.
            if (spec.randomStart) uniform(fold(restartKey, ids ? ids[i] : i), f, noise.subarray(j * f, (j + 1) * f));
          });
          const feeds: Record<string, TypedArray> = { x: xs.subarray(0, batch * f), y: ys.subarray(0, batch), eps: epsBuf.subarray(0, batch), ...model.params };
          if (spec.randomStart) feeds.start = noise.subarray(0, batch * f);
          if (cleanLogits) {
            pickTargets(spec, cleanLogits, data.labels, arch.classes, r, ts, chunk);
            feeds.target = ts.subarray(0, batch);
          }
          const out = await (await programFor(batch)).run(feeds);
          const ok = out.robust as Uint8Array;
          const adv = out.adversarial as Float32Array;
          chunk.forEach((i, j) => {
            if (!ok[j]) standing[i] = 0;
            adversarial.set(adv.subarray(j * f, (j + 1) * f), i * f);
          });
        }
      }
      return { robust: standing, adversarial, accuracy: mean(standing) };
    },
    async release() {
      await programs.release();
      await clean?.release();
    },
  };
}
