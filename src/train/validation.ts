// Validation of a model in training: clean accuracy, accuracy on the FGSM points (the one FGSM,
// ATTACKS.fgsm through attackPoint, as the attack runner makes them) and the objective's probes (e.g. the
// discriminator's accuracies) on the clean and FGSM features. One program computes all of it chunk by
// chunk and returns only counts, so validation holds no images or points beyond one chunk.
import { ATTACKS, attackPoint } from '../attacks/spec.js';
import type { Split } from '../data/dataset.js';
import { floatRows, int64Labels, range } from '../data/selection.js';
import * as o from '../engine/ops.js';
import { type TypedArray, compile } from '../engine/runtime.js';
import type { Tensor } from '../engine/tensor.js';
import type { ModelConfig, Parameters } from '../model/config.js';
import { type NetworkSpec, network } from '../model/network.js';
import { paramGroup } from '../nn/params.js';
import type { Objective } from '../objectives/objective.js';

/** Fractions of the examples: classified correctly clean and on the FGSM point, and each probe's. */
export type Accuracies = { clean: number; fgsm: number } & Record<string, number>;

export interface Validation {
  evaluate(params: Parameters, data: Split, eps: number): Promise<Accuracies>;
  release(): Promise<void>;
}

const ROWS = 500;

/**
 * The counts program: rows x, labels y and ε in; per chunk the number right clean ('clean'), right on
 * the FGSM point ('fgsm') and each probe's count. `probes` adds the objective's parameter groups.
 */
async function compileCounts(spec: NetworkSpec, probes: { objective: Objective; model: ModelConfig } | null, threads?: number): Promise<Validation> {
  const net = network(spec);
  const groups = probes ? probes.objective.groups(probes.model) : { classifier: { specs: net.params } };
  const params = Object.fromEntries(Object.entries(groups).map(([n, g]) => [n, paramGroup(n, g.specs).views]));
  const w = { params: params.classifier, stats: net.stats.length ? paramGroup('stats', net.stats).views : undefined };
  const x = o.input('x', ['batch', net.features]);
  const y = o.input('y', ['batch'], 'int64');
  const eps = o.input('eps', []);
  const logits = (v: Tensor) => net.logits(w, v);
  const xAdv = attackPoint(ATTACKS.fgsm, { x, eps, logits }, o.oneHot(y, net.classes));
  const count = (flags: Tensor) => o.reduceSum(o.cast(flags, 'float32'));
  const right = (v: Tensor) => count(o.equal(o.argmax(logits(v), 1), y));
  const counts: Record<string, Tensor> = { clean: right(x), fgsm: right(xAdv) };
  if (probes?.objective.probes) {
    const flags = probes.objective.probes({ model: probes.model, params, clean: net.encode(w, x), adversarial: net.encode(w, xAdv) });
    for (const [n, f] of Object.entries(flags)) counts[n] = count(f);
  }
  const program = await compile({ outputs: counts, threads });
  const f = net.features;
  return {
    async evaluate(values, data, epsValue) {
      const feeds: Record<string, TypedArray> = { eps: Float32Array.of(epsValue) };
      for (const name of program.feeds.map((i) => i.name)) if (values[name]) feeds[name] = values[name];
      if (net.stats.length && !feeds.stats) throw new RangeError(`network '${spec.name}' has batch-norm layers: its running statistics ('stats') are needed`);
      const xs = new Float32Array(Math.min(ROWS, data.count) * f);
      const ys = new BigInt64Array(Math.min(ROWS, data.count));
      const sums: Record<string, number> = {};
      for (let at = 0; at < data.count; at += ROWS) {
        const n = Math.min(ROWS, data.count - at);
        int64Labels(data.labels, range(at, at + n), ys);
        const r = await program.run({ ...feeds, x: floatRows(data, at, at + n, xs).subarray(0, n * f), y: ys.subarray(0, n) });
        for (const k of Object.keys(counts)) sums[k] = (sums[k] ?? 0) + (r[k][0] as number);
      }
      return Object.fromEntries(Object.keys(counts).map((k) => [k, sums[k] / data.count])) as Accuracies;
    },
    release: () => program.release(),
  };
}

/** Clean accuracy and accuracy on the FGSM points of a network, for any data and ε. */
export const compileAccuracy = (spec: NetworkSpec, opts: { threads?: number } = {}): Promise<Validation> => compileCounts(spec, null, opts.threads);

/** compileAccuracy plus the objective's probes. */
export const compileValidation = (objective: Objective, model: ModelConfig, opts: { threads?: number } = {}): Promise<Validation> =>
  compileCounts(model.classifier, { objective, model }, opts.threads);
