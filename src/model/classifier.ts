// The paper's classifier: an MLP with leaky ReLU, split at hidden layer ℓ into encoder E and residual R.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { linear, linearSpecs } from '../nn/layers.js';
import type { ParamSpec } from '../nn/params.js';

export interface ClassifierConfig {
  inputs: number;
  hidden: readonly number[];
  classes: number;
  /** Negative slope of the leaky ReLU. */
  slope: number;
  /** The encoder is hidden layers 1..split; the discriminator reads layer `split`'s output. */
  split: number;
}

/** 784-512-256-128-10, leaky slope 0.01 (PyTorch's default; the paper gives none), split after layer 2. */
export const PAPER_CLASSIFIER: ClassifierConfig = { inputs: 784, hidden: [512, 256, 128], classes: 10, slope: 0.01, split: 2 };

const widths = (c: ClassifierConfig) => [c.inputs, ...c.hidden, c.classes];

export function checkClassifier(c: ClassifierConfig): void {
  const ok = (n: number) => Number.isInteger(n) && n > 0;
  if (!ok(c.inputs) || !ok(c.classes) || c.hidden.length === 0 || !c.hidden.every(ok)) throw new RangeError(`classifier sizes must be positive integers, got ${widths(c).join('-')}`);
  if (!(Number.isInteger(c.split) && c.split >= 1 && c.split <= c.hidden.length)) throw new RangeError(`split layer must be in 1..${c.hidden.length} (a hidden layer), got ${c.split}`);
  if (!(Number.isFinite(c.slope) && c.slope >= 0 && c.slope < 1)) throw new RangeError(`leaky slope must be in [0, 1), got ${c.slope}`);
}

export function classifierSpecs(c: ClassifierConfig): ParamSpec[] {
  checkClassifier(c);
  const w = widths(c);
  return w.slice(1).flatMap((out, i) => linearSpecs(`l${i + 1}`, w[i], out));
}

/** Width of the encoder's output: the discriminator's input size. */
export const featureSize = (c: ClassifierConfig): number => c.hidden[c.split - 1];

/** z = E(x): hidden layers 1..split. */
export function encode(c: ClassifierConfig, p: Readonly<Record<string, Tensor>>, x: Tensor): Tensor {
  let h = x;
  for (let i = 1; i <= c.split; i++) h = o.leakyRelu(linear(p, `l${i}`, h), c.slope);
  return h;
}

/** Logits R(z): the remaining hidden layers and the output layer. */
export function residual(c: ClassifierConfig, p: Readonly<Record<string, Tensor>>, z: Tensor): Tensor {
  let h = z;
  const layers = c.hidden.length + 1;
  for (let i = c.split + 1; i <= layers; i++) {
    h = linear(p, `l${i}`, h);
    if (i < layers) h = o.leakyRelu(h, c.slope);
  }
  return h;
}

export const logits = (c: ClassifierConfig, p: Readonly<Record<string, Tensor>>, x: Tensor): Tensor => residual(c, p, encode(c, p, x));
