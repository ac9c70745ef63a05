// What evaluation attacks: an architecture that traces logits from its own parameter inputs, and the
// values of those inputs. One compiled program serves every model of an architecture.
import * as o from '../engine/ops.js';
import type { TypedArray } from '../engine/runtime.js';
import type { Tensor } from '../engine/tensor.js';
import type { Parameters } from '../model/config.js';
import { type DenseFirst, type NetworkSpec, network } from '../model/network.js';
import type { ImportedClassifier } from '../model/onnx-import.js';
import { paramGroup } from '../nn/params.js';

export interface Architecture {
  /** Pixels per example: the rows attacks perturb. */
  inputs: number;
  classes: number;
  /** The image [C, H, W] the rows hold, where known (Square's windows need it). */
  image?: readonly [number, number, number];
  /** Says what the graph computes; programs are cached by it. */
  id: string;
  /** The logits are random (the model draws noise at every prediction): attacks then need EOT. */
  random?: boolean;
  /** Declares the parameter inputs (once per graph) and returns the logits function over them (rows [batch, inputs]). */
  trace(): (x: Tensor) => Tensor;
}

/**
 * Dense-first-layer splits, by the architecture object that made them: like trace, but W [inputs, units],
 * b and the rest of the network (from W's output to logits) apart, so a change of a few pixels can update
 * x·W cheaply (L∞ Square, FAB). Kept off the object on purpose: a wrapper made by spreading an
 * architecture ({ ...arch, trace: wrapped }) is another object and gets none, so attacks go through its
 * logits; one that keeps the network's logits may opt in with offerDenseFirst.
 */
const DENSE_FIRST = new WeakMap<Architecture, () => DenseFirst>();

/** The split `arch` itself offers (never one inherited by copying), if any. */
export function denseFirstOf(arch: Architecture): (() => DenseFirst) | undefined {
  return DENSE_FIRST.get(arch);
}

/** Registers `split` as `arch`'s dense-first-layer form: it must compute exactly what arch.trace() does. */
export function offerDenseFirst<A extends Architecture>(arch: A, split: () => DenseFirst): A {
  DENSE_FIRST.set(arch, split);
  return arch;
}


export interface Model {
  arch: Architecture;
  /** Values of the parameter inputs the architecture declares. */
  params: Readonly<Record<string, TypedArray>>;
}

/** A network in inference mode, its parameters (and running statistics) fed as the inputs 'classifier' (and 'stats'). */
export function networkArchitecture(spec: NetworkSpec): Architecture {
  const net = network(spec);
  const weights = () => ({ params: paramGroup('classifier', net.params).views, stats: net.stats.length ? paramGroup('stats', net.stats).views : undefined });
  const first = spec.layers[0];
  const arch: Architecture = {
    inputs: net.features,
    classes: net.classes,
    image: spec.input.length === 3 ? [spec.input[0], spec.input[1], spec.input[2]] : undefined,
    id: `network ${JSON.stringify(spec)}`,
    trace() {
      const w = weights();
      return (x) => net.logits(w, x);
    },
  };
  if (first?.type !== 'dense' || spec.input.length !== 1) return arch;
  return offerDenseFirst(arch, () => {
    const w = weights();
    return { weight: w.params[`${first.name}.w`], bias: w.params[`${first.name}.b`], rest: (h) => net.fromLayer(w, h, 1) };
  });
}

/** A trained network as attacks see it: the classifier's values and its running statistics (never the discriminator's). */
export function networkModel(spec: NetworkSpec, params: Parameters): Model {
  const arch = networkArchitecture(spec);
  const feeds: Record<string, TypedArray> = { classifier: params.classifier };
  if (network(spec).stats.length) {
    if (!params.stats) throw new RangeError(`network '${spec.name}' has batch-norm layers: its running statistics ('stats') are needed`);
    feeds.stats = params.stats;
  }
  return { arch, params: feeds };
}

/**
 * A deliberately gradient-masked version of a model: its logits are `scale`·softmax(logits), so a
 * confident prediction saturates and its input gradient underflows to exactly zero. It classifies
 * exactly as the model does; only gradient-based attacks are fooled. For testing masking checks.
 */
export function maskedModel(m: Model, scale = 1e4): Model {
  const arch = m.arch;
  return {
    params: m.params,
    arch: { ...arch, id: `${arch.id} masked ×${scale}`, trace: () => {
      const f = arch.trace();
      return (x) => o.mul(o.softmax(f(x), 1), scale);
    } },
  };
}

/** An imported ONNX classifier (weights are constants of its graph: no parameter inputs). `id` names the file's contents. */
export function importedModel(m: ImportedClassifier, id: string): Model {
  const image = m.inputShape.length === 3 ? ([m.inputShape[0], m.inputShape[1], m.inputShape[2]] as const) : undefined;
  return { arch: { inputs: m.features, classes: m.classes, image, id: `onnx ${id}`, trace: () => (x) => m.logits(x) }, params: {} };
}

/**
 * A model made random at inference: Gaussian noise of standard deviation σ added to its input at every
 * prediction (randomized smoothing's base classifier; inputs may leave [0, 1]). Each use of the model in
 * a graph draws its own noise, anew on every run. For attacks with expectation over transformation.
 */
export function noisyModel(m: Model, sigma: number): Model {
  const arch = m.arch;
  return {
    params: m.params,
    arch: { ...arch, random: true, id: `${arch.id} input noise σ=${sigma}`, trace: () => {
      const f = arch.trace();
      let seed = 0;
      return (x) => f(o.add(x, o.mul(o.randomNormalLike(x, ++seed), sigma)));
    } },
  };
}
