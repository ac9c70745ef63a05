// FAB-T run over a dataset, as AutoAttack runs it: for the 2nd, 3rd, ... most likely class in turn (its
// `targets`), 100 FAB iterations on the examples still standing; an example falls when FAB finds a
// misclassified point within ε. Each iteration is one compiled run — the last step's point checked
// (misclassified? its norm), pulled back by β where it was, and z_t − z_y with its input gradient at the
// result — and the two projections of each example's step in TypeScript (fab-steps.ts). With step workers
// a chunk runs as two lanes: while one lane's graph runs, the other lane's rows are stepped.
import { FAB } from '../attacks/fab.js';
import { NORMS } from '../attacks/norms.js';
import type { FabAttack } from '../attacks/spec.js';
import type { Split } from '../data/dataset.js';
import { floatRows } from '../data/selection.js';
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import { type Program, compile } from '../engine/runtime.js';
import type { Tensor } from '../engine/tensor.js';
import { usageError } from '../errors.js';
import { type AttackProgram, DEFAULT_ROWS, type RunnerOptions, checkFeatures, programCache, radiusPerRow, standingRows } from './attack-program.js';
import { type FabRows, fabStepper } from './fab-steps.js';
import { type Architecture, type Model, denseFirstOf } from './model.js';
import { argmaxRow, batchBucket, compileLogits, mean, rankedClass } from './predict.js';

export async function compileFab(arch: Architecture, spec: FabAttack, opts: RunnerOptions = {}): Promise<AttackProgram> {
  if (spec.targets > arch.classes - 1) throw usageError(`${spec.name}: at most ${arch.classes - 1} target classes, got ${spec.targets}`);
  const f = arch.inputs;
  const k = arch.classes;
  const norm = NORMS[spec.norm];
  const rows = opts.rows ?? DEFAULT_ROWS;
  const stepper = await fabStepper(opts.threads);
  // ONNX Runtime gets the threads the step workers leave (they overlap: see fab-steps-node.ts).
  const threads = stepper.workers && stepper.threads ? stepper.threads - stepper.workers : opts.threads;
  const programs = programCache<string>();
  // On a dense first layer (x·W + b) the pulled-back point's x·W is the mix of the clean and the stepped
  // point's, so each iteration runs the first layer once instead of twice (its largest product; the clean
  // point's x·W is computed once per chunk): same function, rounded differently.
  // The architecture's own split, if it made one (a wrapper has none unless it opts in).
  const denseFirst = denseFirstOf(arch);
  const iterationFor = (batch: number) =>
    programs.get(`iteration ${batch}`, () => {
      const x0 = o.input('x0', [batch, f]);
      const stepped = o.input('stepped', [batch, f]);
      const y = o.input('y', [batch], 'int64');
      const target = o.input('target', [batch], 'int64');
      const isWrong = (z: Tensor) => o.reshape(o.less(o.cast(o.equal(o.argmax(z, 1), y), 'float32'), 0.5), [batch, 1]);
      const difference = (z: Tensor) => o.sub(o.reduceSum(o.mul(z, o.oneHot(target, k)), 1), o.reduceSum(o.mul(z, o.oneHot(y, k)), 1));
      const pulled = (from: Tensor, to: Tensor) => o.add(from, o.mul(o.sub(to, from), FAB.beta));
      let wrong: Tensor;
      let df: Tensor;
      let dg: Tensor;
      if (denseFirst) {
        const layer = denseFirst();
        const h0 = o.input('h0', [batch, layer.weight.shape[1]]);
        const hs = o.matmul(stepped, layer.weight, {}, layer.bias);
        wrong = isWrong(layer.rest(hs));
        const h1 = o.where(wrong, pulled(h0, hs), hs);
        df = difference(layer.rest(h1));
        dg = o.matmul(grad(o.reduceSum(df), [h1])[0], layer.weight, { transB: true });
      } else {
        const logits = arch.trace();
        wrong = isWrong(logits(stepped));
        const x1 = o.where(wrong, pulled(x0, stepped), stepped);
        df = difference(logits(x1));
        dg = grad(o.reduceSum(df), [x1])[0];
      }
      const outputs = { wrong: o.cast(wrong, 'float32'), size: norm.size(o.sub(stepped, x0)), x1: o.where(wrong, pulled(x0, stepped), stepped), df, dg };
      return compile({ outputs, threads });
    });
  /** x·W + b of the clean points, for the dense form. */
  const firstLayerFor = (batch: number) =>
    programs.get(`first layer ${batch}`, () => {
      const layer = denseFirst!();
      return compile({ outputs: { h: o.matmul(o.input('x', [batch, f]), layer.weight, {}, layer.bias) }, threads });
    });
  const logits = await compileLogits(arch, opts);
  /** One lane of a chunk: its rows (ids into the data), their clean points, current and best points, and its program. */
  interface Lane {
    rows: number[];
    m: number;
    x0: Float32Array;
    stepped: Float32Array;
    best: Float32Array;
    res: Float64Array;
    y: BigInt64Array;
    target: BigInt64Array;
    h0?: Float32Array;
    program: Program;
    /** The steps' copy of the rows (ONNX Runtime refuses feeds in shared memory, which the workers need). */
    rowsOf: FabRows;
  }
  const laneOf = async (model: Model, lane: number[], x: Float32Array, clean: Float32Array, labels: Uint8Array, r: number): Promise<Lane> => {
    const m = lane.length;
    const batch = batchBucket(m, rows, 8);
    const x0 = new Float32Array(batch * f);
    lane.forEach((i, j) => x0.set(x.subarray(i * f, (i + 1) * f), j * f));
    const y = new BigInt64Array(batch);
    const target = new BigInt64Array(batch);
    lane.forEach((i, j) => {
      y[j] = BigInt(labels[i]);
      target[j] = BigInt(rankedClass(clean, i, k, r + 1));
    });
    let h0: Float32Array | undefined;
    if (denseFirst) {
      const first = await firstLayerFor(batch);
      // Only the parameter inputs the first layer reads (a later layer's running statistics are not).
      const params = Object.entries(model.params).filter(([name]) => first.feeds.some((i) => i.name === name));
      h0 = Float32Array.from((await first.run({ x: x0, ...Object.fromEntries(params) })).h as Float32Array);
    }
    const rowsOf = stepper.rows(batch, f);
    rowsOf.x0.set(x0);
    // The point each iteration's run checks: the clean one first (correct, so nothing is recorded).
    return { rows: lane, m, x0, stepped: Float32Array.from(x0), best: Float32Array.from(x0), res: new Float64Array(m).fill(1e10), y, target, h0, program: await iterationFor(batch), rowsOf };
  };
  return {
    spec,
    async run(model, data: Split, eps) {
      checkFeatures(spec, arch, data);
      const n = data.count;
      const radius = radiusPerRow(spec, eps, n, f);
      const x = floatRows(data, 0, n);
      const clean = await logits.run(model, x, n);
      const standing = Uint8Array.from({ length: n }, (_, i) => (argmaxRow(clean, i, k) === data.labels[i] ? 1 : 0));
      const adversarial = Float32Array.from(x);
      // A misclassified clean point needs no perturbation.
      const minNorm = Float32Array.from(standing, (s) => (s ? Infinity : 0));
      for (let r = 0; r < spec.targets; r++) {
        const todo = standingRows(standing);
        for (let at = 0; at < todo.length; at += rows) {
          const chunk = todo.slice(at, at + rows);
          // With step workers, the chunk runs as two lanes: one lane's graph runs while the other's rows are stepped.
          const half = stepper.workers && chunk.length > 1 ? Math.ceil(chunk.length / 2) : chunk.length;
          const lanes: Lane[] = [];
          for (let from = 0; from < chunk.length; from += half) lanes.push(await laneOf(model, chunk.slice(from, from + half), x, clean, data.labels, r));
          for (let it = 0; it <= spec.iterations; it++)
            for (const lane of lanes) {
              const { m, rowsOf, stepped } = lane;
              // This lane's last step (begun while the other lane's graph ran) is done: its points are next.
              if (it > 0) {
                stepper.end(rowsOf);
                stepped.set(rowsOf.x1);
              }
              const out = await lane.program.run({ x0: lane.x0, stepped, y: lane.y, target: lane.target, ...(lane.h0 ? { h0: lane.h0 } : {}), ...model.params });
              const [wrong, size] = [out.wrong as Float32Array, out.size as Float32Array];
              for (let j = 0; j < m; j++)
                if (wrong[j] && size[j] < lane.res[j]) {
                  lane.res[j] = size[j];
                  lane.best.set(stepped.subarray(j * f, (j + 1) * f), j * f);
                }
              if (it === spec.iterations) continue;
              rowsOf.x1.set(out.x1 as Float32Array);
              rowsOf.df.set(out.df as Float32Array);
              rowsOf.dg.set(out.dg as Float32Array);
              stepper.begin(spec.norm, rowsOf, m);
            }
          for (const lane of lanes)
            lane.rows.forEach((i, j) => {
              minNorm[i] = Math.min(minNorm[i], lane.res[j]);
              if (lane.res[j] <= radius[i]) {
                standing[i] = 0;
                adversarial.set(lane.best.subarray(j * f, (j + 1) * f), i * f);
              }
            });
        }
      }
      return { robust: standing, adversarial, accuracy: mean(standing), minNorm };
    },
    async release() {
      await programs.release();
      await logits.release();
    },
  };
}
