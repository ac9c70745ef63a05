// Validation of a model in training, through the one evaluation stack: clean accuracy, accuracy on the
// FGSM points (the attack runner with ATTACKS.fgsm) and the objective's probes (e.g. the discriminator's
// accuracies) on the clean and FGSM features. Programs are compiled once per run.
import { ATTACKS } from '../attacks/spec.js';
import type { Split } from '../data/mnist.js';
import * as o from '../engine/ops.js';
import { keyFromSeed } from '../engine/rng.js';
import { type TypedArray, compile } from '../engine/runtime.js';
import type { Tensor } from '../engine/tensor.js';
import type { ModelConfig, Parameters } from '../model/config.js';
import { type NetworkSpec, network } from '../model/network.js';
import { paramGroup } from '../nn/params.js';
import type { Objective } from '../objectives/objective.js';
import { compileAttack } from './attack-runner.js';
import { networkArchitecture, networkModel } from './model.js';
import { compileLogits, correctness, mean } from './predict.js';

/** Fractions of the examples: classified correctly clean and on the FGSM point, and each probe's. */
export type Accuracies = { clean: number; fgsm: number } & Record<string, number>;

export interface Validation {
  evaluate(params: Parameters, data: Split, eps: number): Promise<Accuracies>;
  release(): Promise<void>;
}

const ROWS = 2000;

/** Clean accuracy and accuracy on the FGSM points of a network, for any data and ε (`last`: keep the FGSM points). */
export async function compileAccuracy(spec: NetworkSpec, opts: { threads?: number } = {}) {
  const arch = networkArchitecture(spec);
  const fgsm = await compileAttack(arch, ATTACKS.fgsm, opts);
  const logits = await compileLogits(arch, opts);
  return {
    async evaluate(params: Parameters, data: Split, eps: number, last = false): Promise<{ clean: number; fgsm: number; last?: Float32Array }> {
      const m = networkModel(spec, params);
      const clean = correctness(await logits.run(m, data.images, data.count), data.labels, arch.classes);
      // FGSM has no random start: the key is not used.
      const attacked = await fgsm.run(m, data, eps, keyFromSeed(0), { last });
      return { clean: mean(clean), fgsm: mean(attacked.final), last: attacked.last };
    },
    async release() {
      await fgsm.release();
      await logits.release();
    },
  };
}

export async function compileValidation(objective: Objective, model: ModelConfig, opts: { threads?: number } = {}): Promise<Validation> {
  const accuracy = await compileAccuracy(model.classifier, opts);
  const probes = objective.probes ? await compileProbes(objective, model, opts.threads) : null;
  return {
    async evaluate(params, data, eps) {
      const { clean, fgsm, last } = await accuracy.evaluate(params, data, eps, !!probes);
      const acc: Accuracies = { clean, fgsm };
      if (probes) Object.assign(acc, await probes.run(params, data, last!));
      return acc;
    },
    async release() {
      await accuracy.release();
      await probes?.release();
    },
  };
}

/** The objective's probes over the clean and attacked features, as fractions of the examples. */
async function compileProbes(objective: Objective, model: ModelConfig, threads?: number) {
  const net = network(model.classifier);
  const groups = objective.groups(model);
  const params = Object.fromEntries(Object.entries(groups).map(([n, g]) => [n, paramGroup(n, g.specs).views]));
  const w = { params: params.classifier, stats: net.stats.length ? paramGroup('stats', net.stats).views : undefined };
  const x = o.input('x', ['batch', net.features]);
  const xAdv = o.input('xAdv', ['batch', net.features]);
  const flags = objective.probes!({ model, params, clean: net.encode(w, x), adversarial: net.encode(w, xAdv) });
  const counts: Record<string, Tensor> = Object.fromEntries(Object.entries(flags).map(([n, f]) => [n, o.reduceSum(o.cast(f, 'float32'))]));
  const program = await compile({ outputs: counts, threads });
  const f = net.features;
  return {
    async run(values: Parameters, data: Split, adversarial: Float32Array): Promise<Record<string, number>> {
      const sums: Record<string, number> = {};
      const feeds: Record<string, TypedArray> = {};
      for (const name of program.feeds.map((i) => i.name)) if (values[name]) feeds[name] = values[name];
      for (let at = 0; at < data.count; at += ROWS) {
        const n = Math.min(ROWS, data.count - at);
        const r = await program.run({ ...feeds, x: data.images.subarray(at * f, (at + n) * f), xAdv: adversarial.subarray(at * f, (at + n) * f) });
        for (const k of Object.keys(counts)) sums[k] = (sums[k] ?? 0) + (r[k][0] as number);
      }
      return Object.fromEntries(Object.keys(counts).map((k) => [k, sums[k] / data.count]));
    },
    release: () => program.release(),
  };
}
