// Accuracy of a classifier (and its discriminator) on clean and FGSM inputs, in one compiled graph
// whose batch size is free and whose ε is an input, so one program serves any data and any ε.
import { fgsm } from '../attacks/fgsm.js';
import * as o from '../engine/ops.js';
import { type TypedArray, compile } from '../engine/runtime.js';
import type { Tensor } from '../engine/tensor.js';
import { classifierSpecs, encode, residual } from '../model/classifier.js';
import { discriminate, discriminatorSpecs } from '../model/discriminator.js';
import { paramGroup } from '../nn/params.js';
import type { ModelConfig } from '../objectives/objective.js';
import { crossEntropy } from '../objectives/terms.js';

export interface Accuracies {
  /** Fraction of examples classified correctly, clean. */
  clean: number;
  /** The same under FGSM at the given ε. */
  fgsm: number;
  /** Discriminator accuracy on clean features (says clean) and on FGSM features (says adversarial). */
  dClean?: number;
  dAdv?: number;
}

export interface Parameters {
  classifier: Float32Array;
  discriminator?: Float32Array;
}

export interface LabelledData {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  features: number;
}

export interface Evaluator {
  evaluate(params: Parameters, data: LabelledData, eps: number): Promise<Accuracies>;
  release(): Promise<void>;
}

const countTrue = (b: Tensor) => o.reduceSum(o.cast(b, 'float32'));

export async function compileEvaluator(model: ModelConfig, opts: { withDiscriminator: boolean; threads?: number; batch?: number }): Promise<Evaluator> {
  const c = model.classifier;
  const x = o.input('x', ['batch', c.inputs]);
  const y = o.input('y', ['batch'], 'int64');
  const eps = o.input('eps', []);
  const cp = paramGroup('classifier', classifierSpecs(c)).views;
  const z = encode(c, cp, x);
  const out = residual(c, cp, z);
  const xAdv = fgsm(crossEntropy(out, o.oneHot(y, c.classes)), x, eps);
  const zAdv = encode(c, cp, xAdv);
  const hits = (logits: Tensor) => countTrue(o.equal(o.argmax(logits, 1), y));
  const outputs: Record<string, Tensor> = { clean: hits(out), fgsm: hits(residual(c, cp, zAdv)) };
  if (opts.withDiscriminator) {
    // Evaluation runs the discriminator without dropout (its noise input is then unused).
    const d = { ...model.discriminator, dropout: 0 };
    const dp = paramGroup('discriminator', discriminatorSpecs(d)).views;
    outputs.dClean = countTrue(o.greater(discriminate(d, dp, z, z), 0));
    outputs.dAdv = countTrue(o.lessOrEqual(discriminate(d, dp, zAdv, zAdv), 0));
  }
  const program = await compile({ outputs, threads: opts.threads });
  const rows = opts.batch ?? 2000;
  return {
    async evaluate(params, data, epsValue) {
      if (opts.withDiscriminator && !params.discriminator) throw new RangeError('evaluate: discriminator parameters are required');
      if (!(epsValue >= 0 && epsValue <= 1)) throw new RangeError(`evaluate: ε must be in [0, 1], got ${epsValue}`);
      const sums: Record<string, number> = {};
      const epsBuf = Float32Array.of(epsValue);
      const labels = new BigInt64Array(rows);
      for (let at = 0; at < data.count; at += rows) {
        const n = Math.min(rows, data.count - at);
        for (let i = 0; i < n; i++) labels[i] = BigInt(data.labels[at + i]);
        const feeds: Record<string, TypedArray> = {
          x: data.images.subarray(at * data.features, (at + n) * data.features),
          y: labels.subarray(0, n),
          eps: epsBuf,
          classifier: params.classifier,
        };
        if (params.discriminator && opts.withDiscriminator) feeds.discriminator = params.discriminator;
        const r = await program.run(feeds);
        for (const k of Object.keys(outputs)) sums[k] = (sums[k] ?? 0) + (r[k][0] as number);
      }
      const acc: Accuracies = { clean: sums.clean / data.count, fgsm: sums.fgsm / data.count };
      if (opts.withDiscriminator) {
        acc.dClean = sums.dClean / data.count;
        acc.dAdv = sums.dAdv / data.count;
      }
      return acc;
    },
    release: () => program.release(),
  };
}
