// FAB-T run over a dataset, as AutoAttack runs it: for the 2nd, 3rd, ... most likely class in turn (one
// per "restart"), 100 FAB iterations on the examples still standing; an example falls when FAB finds a
// misclassified point within ε. Each iteration is one compiled run — the last step's point checked
// (misclassified? its norm), pulled back by β where it was, and z_t − z_y with its input gradient at the
// result — and the two projections of the step in TypeScript.
import { FAB, fabScratch, fabStep } from '../attacks/fab.js';
import { NORMS } from '../attacks/norms.js';
import type { AttackSpec } from '../attacks/spec.js';
import type { Split } from '../data/dataset.js';
import { floatRows } from '../data/selection.js';
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import { type Program, compile } from '../engine/runtime.js';
import type { Tensor } from '../engine/tensor.js';
import { usageError } from '../errors.js';
import { type AttackProgram, radiusPerRow } from './attack-runner.js';
import type { Architecture } from './model.js';
import { argmaxRow, batchBucket, compileLogits, mean, rankedClass } from './predict.js';

export async function compileFab(arch: Architecture, spec: AttackSpec, opts: { threads?: number; rows?: number } = {}): Promise<AttackProgram> {
  if (spec.target !== 'ranked') throw usageError(`${spec.name}: FAB runs targeted at the classes ranked 2nd, 3rd, ... (target=ranked)`);
  if (spec.restarts > arch.classes - 1) throw usageError(`${spec.name}: at most ${arch.classes - 1} target classes, got ${spec.restarts}`);
  const f = arch.inputs;
  const k = arch.classes;
  const norm = NORMS[spec.norm];
  const rows = opts.rows ?? 500;
  const programs = new Map<number, Promise<Program>>();
  const iterationFor = (batch: number) => {
    let p = programs.get(batch);
    if (!p) {
      const logits = arch.trace();
      const x0 = o.input('x0', [batch, f]);
      const stepped = o.input('stepped', [batch, f]);
      const y = o.input('y', [batch], 'int64');
      const wrong = o.reshape(o.less(o.cast(o.equal(o.argmax(logits(stepped), 1), y), 'float32'), 0.5), [batch, 1]);
      const size = norm.size(o.sub(stepped, x0));
      const x1 = o.where(wrong, o.add(x0, o.mul(o.sub(stepped, x0), FAB.beta)), stepped);
      const z = logits(x1);
      const pick = (labels: Tensor) => o.reduceSum(o.mul(z, o.oneHot(labels, k)), 1);
      const df = o.sub(pick(o.input('target', [batch], 'int64')), pick(y));
      const outputs = { wrong: o.cast(wrong, 'float32'), size, x1, df, dg: grad(o.reduceSum(df), [x1])[0] };
      programs.set(batch, (p = compile({ outputs, threads: opts.threads })));
    }
    return p;
  };
  const logits = await compileLogits(arch, opts);
  return {
    spec,
    async run(model, data: Split, eps) {
      if (data.features !== f) throw usageError(`${spec.name}: the model takes ${f} features, the data has ${data.features}`);
      const n = data.count;
      const radius = radiusPerRow(spec, eps, n, f);
      const x = floatRows(data, 0, n);
      const clean = await logits.run(model, x, n);
      const standing = Uint8Array.from({ length: n }, (_, i) => (argmaxRow(clean, i, k) === data.labels[i] ? 1 : 0));
      const adversarial = Float32Array.from(x);
      // A misclassified clean point needs no perturbation.
      const minNorm = Float32Array.from(standing, (s) => (s ? Infinity : 0));
      const scratch = fabScratch(f);
      for (let r = 0; r < spec.restarts; r++) {
        const todo = Array.from({ length: n }, (_, i) => i).filter((i) => standing[i]);
        for (let at = 0; at < todo.length; at += rows) {
          const chunk = todo.slice(at, at + rows);
          const m = chunk.length;
          const batch = batchBucket(m, rows, 8);
          const x0 = new Float32Array(batch * f);
          chunk.forEach((i, j) => x0.set(x.subarray(i * f, (i + 1) * f), j * f));
          // The point each iteration's run checks: the clean one first (correct, so nothing is recorded).
          const stepped = Float32Array.from(x0);
          const best = Float32Array.from(x0);
          const res = new Float64Array(m).fill(1e10);
          const y = new BigInt64Array(batch);
          const target = new BigInt64Array(batch);
          chunk.forEach((i, j) => {
            y[j] = BigInt(data.labels[i]);
            target[j] = BigInt(rankedClass(clean, i, k, r + 1));
          });
          const program = await iterationFor(batch);
          for (let it = 0; it <= spec.steps; it++) {
            const out = await program.run({ x0, stepped, y, target, ...model.params });
            const [wrong, size] = [out.wrong as Float32Array, out.size as Float32Array];
            for (let j = 0; j < m; j++)
              if (wrong[j] && size[j] < res[j]) {
                res[j] = size[j];
                best.set(stepped.subarray(j * f, (j + 1) * f), j * f);
              }
            if (it === spec.steps) break;
            stepped.set(out.x1 as Float32Array);
            const [df, dg] = [out.df as Float32Array, out.dg as Float32Array];
            for (let j = 0; j < m; j++) fabStep(spec.norm, stepped.subarray(j * f, (j + 1) * f), x0.subarray(j * f, (j + 1) * f), df[j], dg.subarray(j * f, (j + 1) * f), scratch);
          }
          chunk.forEach((i, j) => {
            minNorm[i] = Math.min(minNorm[i], res[j]);
            if (res[j] <= radius[i]) {
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
