// The layers a network is a list of: for each kind, its settings' checks, its output shape, its
// parameters (and running statistics) and what it computes, in inference or training mode.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { linearDefault, ones, zeros } from '../nn/init.js';
import { dropout } from '../nn/layers.js';
import type { ParamSpec } from '../nn/params.js';

export type Pair = number | [number, number];

export type LayerSpec =
  | { type: 'dense'; name?: string; units: number }
  | { type: 'conv2d'; name?: string; filters: number; kernel: Pair; stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number }
  | { type: 'maxPool2d'; name?: string; kernel: Pair; stride?: Pair; padding?: Pair }
  | { type: 'avgPool2d'; name?: string; kernel: Pair; stride?: Pair; padding?: Pair }
  | { type: 'relu'; name?: string }
  | { type: 'sigmoid'; name?: string }
  | { type: 'tanh'; name?: string }
  | { type: 'flatten'; name?: string }
  | { type: 'leakyRelu'; name?: string; slope: number }
  | { type: 'dropout'; name?: string; rate: number }
  | { type: 'batchNorm'; name?: string; eps?: number; momentum?: number };

export type LayerType = LayerSpec['type'];
/** A layer of a resolved network: every layer has its name. */
export type NamedLayer = LayerSpec & { name: string };

/** Per-example shape: [features] or [channels, height, width]. */
export type ExampleShape = readonly number[];

/** How a forward pass runs: inference (running statistics, no dropout) unless `train` is given. */
export interface Pass {
  train?: {
    /** Uniform [0, 1) noise for a dropout layer's mask, one per layer per step. */
    noise(layer: string, shape: number[]): Tensor;
    /** Receives each batch-norm layer's batch mean and (biased) variance, when this pass updates them. */
    record?(layer: string, mean: Tensor, variance: Tensor, count: number): void;
  };
}

export interface Weights {
  params: Readonly<Record<string, Tensor>>;
  /** Running statistics of batch-norm layers, by `<layer>.mean` and `<layer>.var`. */
  stats?: Readonly<Record<string, Tensor>>;
}

/** A message for a layer setting that is out of range: thrown by `check`, named by the caller. */
export class LayerSettingError extends Error {}

interface LayerKind<L extends LayerSpec> {
  /** The settings this kind takes besides type and name. */
  fields: readonly string[];
  check(l: L): void;
  /** The output shape, or a reason why this input shape does not fit. */
  shape(l: L, input: ExampleShape): number[] | string;
  params?(l: L & { name: string }, input: ExampleShape): ParamSpec[];
  stats?(l: L & { name: string }, input: ExampleShape): ParamSpec[];
  apply(l: L & { name: string }, w: Weights, x: Tensor, pass: Pass): Tensor;
}

/** [batch, ...] as rows [batch, features] (a no-op on rows). */
export const flatRows = (x: Tensor): Tensor => o.reshape(x, [x.shape[0], -1]);

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function positiveInt(field: string, v: unknown, max = 1 << 16): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max)) throw new LayerSettingError(`${field} must be an integer from 1 to ${max}, got ${JSON.stringify(v)}`);
}

function pairOf(field: string, v: unknown, min: number): void {
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= 1024;
  if (!(ok(v) || (Array.isArray(v) && v.length === 2 && v.every(ok))))
    throw new LayerSettingError(`${field} must be an integer from ${min} to 1024 or a pair [height, width] of them, got ${JSON.stringify(v)}`);
}

function fraction(field: string, v: unknown, lo: number, hi: number, hiOpen: boolean): void {
  if (!(typeof v === 'number' && v >= lo && (hiOpen ? v < hi : v <= hi))) throw new LayerSettingError(`${field} must be a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${JSON.stringify(v)}`);
}

const image = (input: ExampleShape): string | null => (input.length === 3 ? null : `needs an image input [channels, height, width], got [${input.join(', ')}] (a dense or flatten layer came before it)`);

/** Output size of a window sliding over `size` cells (floor mode). */
const slide = (size: number, kernel: number, stride: number, before: number, after: number, dilation = 1) => Math.floor((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1;

function windowShape(kind: string, input: ExampleShape, channels: number, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair = 1): number[] | string {
  const bad = image(input);
  if (bad) return bad;
  const [k, s, p, d] = [pair(kernel), pair(stride), pair(padding), pair(dilation)];
  const out = [0, 1].map((i) => slide(input[i + 1], k[i], s[i], p[i], p[i], d[i]));
  if (out.some((n) => n < 1)) return `a ${k.join('×')} ${kind} window (dilation ${d.join('×')}, padding ${p.join('×')}) does not fit the ${input[1]}×${input[2]} input`;
  return [channels, out[0], out[1]];
}

const pads = (p: Pair): [number, number, number, number] => {
  const [h, w] = pair(p);
  return [h, w, h, w];
};

const activation = <L extends LayerSpec>(f: (x: Tensor) => Tensor): LayerKind<L> => ({ fields: [], check: () => {}, shape: (_l, input) => [...input], apply: (_l, _w, x) => f(x) });

/** Per-channel broadcast shape of an [batch, C] or [batch, C, H, W] tensor. */
const channelShape = (x: Tensor): number[] => (x.shape.length === 4 ? [1, x.shape[1] as number, 1, 1] : [1, x.shape[1] as number]);
const channelAxes = (x: Tensor): number[] => (x.shape.length === 4 ? [0, 2, 3] : [0]);

type Kinds = { [T in LayerType]: LayerKind<Extract<LayerSpec, { type: T }>> };

export const LAYERS: Kinds = {
  dense: {
    fields: ['units'],
    check: (l) => positiveInt('units', l.units),
    shape: (l, input) => (input.length === 1 ? [l.units] : `needs a flat input [features], got [${input.join(', ')}]: put a flatten layer before it`),
    // Weight [in, out], initialised like PyTorch's nn.Linear.
    params: (l, input) => [
      { name: `${l.name}.w`, shape: [input[0], l.units], init: linearDefault(input[0]) },
      { name: `${l.name}.b`, shape: [l.units], init: linearDefault(input[0]) },
    ],
    apply: (l, w, x) => o.matmul(x, w.params[`${l.name}.w`], {}, w.params[`${l.name}.b`]),
  },
  conv2d: {
    fields: ['filters', 'kernel', 'stride', 'padding', 'dilation', 'groups'],
    check(l) {
      positiveInt('filters', l.filters);
      pairOf('kernel', l.kernel, 1);
      if (l.stride !== undefined) pairOf('stride', l.stride, 1);
      if (l.padding !== undefined) pairOf('padding', l.padding, 0);
      if (l.dilation !== undefined) pairOf('dilation', l.dilation, 1);
      if (l.groups !== undefined) positiveInt('groups', l.groups);
      if (l.filters % (l.groups ?? 1) !== 0) throw new LayerSettingError(`filters (${l.filters}) must be a multiple of groups (${l.groups})`);
    },
    shape(l, input) {
      const g = l.groups ?? 1;
      if (input.length === 3 && input[0] % g !== 0) return `has groups ${g}, which does not divide its ${input[0]} input channels`;
      return windowShape('convolution', input, l.filters, l.kernel, l.stride ?? 1, l.padding ?? 0, l.dilation ?? 1);
    },
    // Weight [filters, channels/groups, kh, kw] (PyTorch's layout and initialisation).
    params(l, input) {
      const [kh, kw] = pair(l.kernel);
      const fanIn = (input[0] / (l.groups ?? 1)) * kh * kw;
      return [
        { name: `${l.name}.w`, shape: [l.filters, input[0] / (l.groups ?? 1), kh, kw], init: linearDefault(fanIn) },
        { name: `${l.name}.b`, shape: [l.filters], init: linearDefault(fanIn) },
      ];
    },
    apply: (l, w, x) =>
      o.conv2d(x, w.params[`${l.name}.w`], w.params[`${l.name}.b`], { strides: pair(l.stride ?? 1), pads: pads(l.padding ?? 0), dilations: pair(l.dilation ?? 1), group: l.groups ?? 1 }),
  },
  maxPool2d: {
    fields: ['kernel', 'stride', 'padding'],
    check: (l) => checkPool(l),
    shape: (l, input) => windowShape('pooling', input, input[0], l.kernel, l.stride ?? l.kernel, l.padding ?? 0),
    apply: (l, _w, x) => o.maxPool2d(x, { kernel: pair(l.kernel), strides: pair(l.stride ?? l.kernel), pads: pads(l.padding ?? 0) }),
  },
  avgPool2d: {
    fields: ['kernel', 'stride', 'padding'],
    check: (l) => checkPool(l),
    shape: (l, input) => windowShape('pooling', input, input[0], l.kernel, l.stride ?? l.kernel, l.padding ?? 0),
    apply: (l, _w, x) => o.avgPool2d(x, { kernel: pair(l.kernel), strides: pair(l.stride ?? l.kernel), pads: pads(l.padding ?? 0) }),
  },
  relu: activation(o.relu),
  sigmoid: activation(o.sigmoid),
  tanh: activation(o.tanh),
  leakyRelu: { fields: ['slope'], check: (l) => fraction('slope', l.slope, 0, 1, true), shape: (_l, input) => [...input], apply: (l, _w, x) => o.leakyRelu(x, l.slope) },
  flatten: { fields: [], check: () => {}, shape: (_l, input) => [input.reduce((a, b) => a * b, 1)], apply: (_l, _w, x) => flatRows(x) },
  dropout: {
    fields: ['rate'],
    check: (l) => fraction('rate', l.rate, 0, 1, true),
    shape: (_l, input) => [...input],
    apply: (l, _w, x, pass) => (pass.train ? dropout(x, pass.train.noise(l.name, x.shape as number[]), l.rate) : x),
  },
  batchNorm: {
    fields: ['eps', 'momentum'],
    check(l) {
      if (l.eps !== undefined && !(typeof l.eps === 'number' && l.eps > 0 && l.eps <= 1)) throw new LayerSettingError(`eps must be a number in (0, 1], got ${JSON.stringify(l.eps)}`);
      if (l.momentum !== undefined) fraction('momentum', l.momentum, 0, 1, false);
    },
    shape: (_l, input) => (input.length === 1 || input.length === 3 ? [...input] : `needs [features] or [channels, height, width], got [${input.join(', ')}]`),
    params: (l, input) => [
      { name: `${l.name}.gamma`, shape: [input[0]], init: ones },
      { name: `${l.name}.beta`, shape: [input[0]], init: zeros },
    ],
    stats: (l, input) => [
      { name: `${l.name}.mean`, shape: [input[0]], init: zeros },
      { name: `${l.name}.var`, shape: [input[0]], init: ones },
    ],
    // Training: normalise by the batch's mean and biased variance (and report them); inference: by the running ones.
    apply(l, w, x, pass) {
      const shape = channelShape(x);
      const eps = l.eps ?? 1e-5;
      let mean: Tensor;
      let variance: Tensor;
      if (pass.train) {
        const axes = channelAxes(x);
        mean = o.reduceMean(x, axes, true);
        const centred = o.sub(x, mean);
        variance = o.reduceMean(o.mul(centred, centred), axes, true);
        const count = axes.reduce((n, a) => n * (x.shape[a] as number), 1);
        pass.train.record?.(l.name, o.reshape(mean, [-1]), o.reshape(variance, [-1]), count);
      } else {
        if (!w.stats) throw new Error(`batch norm '${l.name}' needs running statistics in inference`);
        mean = o.reshape(w.stats[`${l.name}.mean`], shape);
        variance = o.reshape(w.stats[`${l.name}.var`], shape);
      }
      const scale = o.div(o.reshape(w.params[`${l.name}.gamma`], shape), o.sqrt(o.add(variance, eps)));
      return o.add(o.mul(o.sub(x, mean), scale), o.reshape(w.params[`${l.name}.beta`], shape));
    },
  },
};

function checkPool(l: { kernel: Pair; stride?: Pair; padding?: Pair }): void {
  pairOf('kernel', l.kernel, 1);
  if (l.stride !== undefined) pairOf('stride', l.stride, 1);
  if (l.padding !== undefined) pairOf('padding', l.padding, 0);
  const [k, p] = [pair(l.kernel), pair(l.padding ?? 0)];
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) throw new LayerSettingError(`padding must be at most half the kernel, got padding ${p.join('×')} for kernel ${k.join('×')}`);
}
