// FAB-T run over a dataset, as AutoAttack runs it: for the 2nd, 3rd, ... most likely class in turn (one
// per "restart"), 100 FAB iterations on the examples still standing; an example falls when FAB finds a
// misclassified point within ε. Each iteration is one compiled run for z_t − z_y and its input gradient
// (batch sizes in powers of two), the projections in TypeScript, and one run for the new point's class.
import { FAB, fabStep, projectionScratch } from '../attacks/fab.js';
import type { AttackSpec } from '../attacks/spec.js';
import type { Split } from '../data/dataset.js';
import { floatRows } from '../data/selection.js';
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import { type Program, compile } from '../engine/runtime.js';
import { usageError } from '../errors.js';
import type { AttackProgram } from './attack-runner.js';
import type { Architecture } from './model.js';
import { argmaxRow, batchBucket, compileLogits, mean, rankedClass } from './predict.js';

export async function compileFab(arch: Architecture, spec: AttackSpec, opts: { threads?: number; rows?: number } = {}): Promise<AttackProgram> {
  if (spec.norm !== 'linf') throw usageError(`${spec.name}: FAB is implemented for the L∞ ball only`);
  if (spec.target !== 'ranked') throw usageError(`${spec.name}: FAB runs targeted at the classes ranked 2nd, 3rd, ... (target=ranked)`);
  if (spec.restarts > arch.classes - 1) throw usageError(`${spec.name}: at most ${arch.classes - 1} target classes, got ${spec.restarts}`);
  const f = arch.inputs;
  const k = arch.classes;
  const rows = opts.rows ?? 500;
  const programs = new Map<number, Promise<Program>>();
  const gradFor = (batch: number) => {
    let p = programs.get(batch);
    if (!p) {
      const x = o.input('x', [batch, f]);
      const z = arch.trace()(x);
      const pick = (name: string) => o.reduceSum(o.mul(z, o.oneHot(o.input(name, [batch], 'int64'), k)), 1);
      const df = o.sub(pick('target'), pick('y'));
      programs.set(batch, (p = compile({ outputs: { df, dg: grad(o.reduceSum(df), [x])[0] }, threads: opts.threads })));
    }
    return p;
  };
  const logits = await compileLogits(arch, opts);
  return {
    spec,
    async run(model, data: Split, eps) {
      if (data.features !== f) throw usageError(`${spec.name}: the model takes ${f} features, the data has ${data.features}`);
      if (!(eps >= 0 && eps <= 1)) throw usageError(`${spec.name}: ε must be in [0, 1] for linf, got ${eps}`);
      const n = data.count;
      const x = floatRows(data, 0, n);
      const clean = await logits.run(model, x, n);
      const standing = Uint8Array.from({ length: n }, (_, i) => (argmaxRow(clean, i, k) === data.labels[i] ? 1 : 0));
      const adversarial = Float32Array.from(x);
      // A misclassified clean point needs no perturbation.
      const minNorm = Float32Array.from(standing, (s) => (s ? Infinity : 0));
      const scratch = { ...projectionScratch(f), d1: new Float64Array(f), d2: new Float64Array(f) };
      for (let r = 0; r < spec.restarts; r++) {
        const todo = Array.from({ length: n }, (_, i) => i).filter((i) => standing[i]);
        for (let at = 0; at < todo.length; at += rows) {
          const chunk = todo.slice(at, at + rows);
          const m = chunk.length;
          const batch = batchBucket(m, rows, 8);
          const x0 = new Float32Array(batch * f);
          chunk.forEach((i, j) => x0.set(x.subarray(i * f, (i + 1) * f), j * f));
          const x1 = Float32Array.from(x0);
          const best = Float32Array.from(x0);
          const res = new Float64Array(m).fill(1e10);
          const y = new BigInt64Array(batch);
          const target = new BigInt64Array(batch);
          chunk.forEach((i, j) => {
            y[j] = BigInt(data.labels[i]);
            target[j] = BigInt(rankedClass(clean, i, k, r + 1));
          });
          const program = await gradFor(batch);
          for (let it = 0; it < spec.steps; it++) {
            const out = await program.run({ x: x1, y, target, ...model.params });
            const df = out.df as Float32Array;
            const dg = out.dg as Float32Array;
            for (let j = 0; j < m; j++) fabStep(x1.subarray(j * f, (j + 1) * f), x0.subarray(j * f, (j + 1) * f), df[j], dg.subarray(j * f, (j + 1) * f), scratch);
            const z = await logits.run(model, x1.subarray(0, m * f), m);
            for (let j = 0; j < m; j++) {
              if (argmaxRow(z, j, k) === data.labels[chunk[j]]) continue;
              let t = 0;
              for (let q = j * f; q < (j + 1) * f; q++) t = Math.max(t, Math.abs(x1[q] - x0[q]));
              if (t < res[j]) {
                res[j] = t;
                best.set(x1.subarray(j * f, (j + 1) * f), j * f);
              }
              for (let q = j * f; q < (j + 1) * f; q++) x1[q] = x0[q] + (x1[q] - x0[q]) * FAB.beta;
            }
          }
          chunk.forEach((i, j) => {
            minNorm[i] = Math.min(minNorm[i], res[j]);
            if (res[j] <= eps) {
              standing[i] = 0;
              adversarial.set(best.subarray(j * f, (j + 1) * f), i * f);
            }
          });
        }
      }
      return { robust: standing, adversarial, accuracy: mean(standing), minNorm };
    },
    async release() {
      for (const p of programs.values()) await (await p).release();
      await logits.release();
    },
  };
}
