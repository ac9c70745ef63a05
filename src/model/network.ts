// Networks as values: a list of layers with a per-example input shape and the layer the discriminator
// reads (the paper's ℓ). A spec is checked and resolved once (every layer named, every shape known);
// the network then traces its encoder E (input to ℓ), residual R (ℓ to logits) and parameters.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { inputError } from '../errors.js';
import type { ParamSpec } from '../nn/params.js';
import { type ExampleShape, LAYERS, flatRows, type LayerSpec, LayerSettingError, type LayerType, type NamedLayer, type Pass, type Weights } from './layers.js';

/** A resolved network: what checkpoints store. */
export interface NetworkSpec {
  /** Shown in reports: a preset's name or the model file's. */
  name: string;
  /** Per-example input shape: [features] or [channels, height, width]; a3t feeds rows of pixels. */
  input: number[];
  layers: NamedLayer[];
  /** The layer whose output (flattened) the discriminator reads. */
  layer: string;
}

/** What the data says about the model's ends. */
export interface DataShape {
  /** [channels, height, width] of one image. */
  image: readonly [number, number, number];
  classes: number;
}

export interface Network {
  readonly spec: NetworkSpec;
  /** Output shape of each layer, per example. */
  readonly shapes: readonly number[][];
  /** Pixels per example (the rows a3t feeds). */
  readonly features: number;
  readonly classes: number;
  /** Width of the flattened output of the discriminator's layer. */
  readonly featureSize: number;
  /** Trained parameters, layer by layer. */
  readonly params: readonly ParamSpec[];
  /** Running statistics (batch norm): state that training updates but no optimizer does. */
  readonly stats: readonly ParamSpec[];
  /** E(x): rows [batch, features] through the discriminator's layer. */
  encode(w: Weights, x: Tensor, pass?: Pass): Tensor;
  /** R(z): the rest of the layers, to logits [batch, classes]. */
  residual(w: Weights, z: Tensor, pass?: Pass): Tensor;
  logits(w: Weights, x: Tensor, pass?: Pass): Tensor;
  /** The layers from index `from` on, to logits, applied to h (what layer from − 1 gives). */
  fromLayer(w: Weights, h: Tensor, from: number, pass?: Pass): Tensor;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const layerTypes = Object.keys(LAYERS) as LayerType[];

/**
 * Check a network description (a preset's, or a model file's parsed JSON: { input?, layers, layer? })
 * against the data and resolve it: layers named (`<type><n>` unless given), input from the data when
 * absent, the discriminator's layer defaulting to the input of the last dense layer. `source` names the
 * description in errors, which name the layer (position and name) and the field.
 */
export function resolveNetwork(raw: unknown, source: string, data: DataShape, name = source): NetworkSpec {
  const fail = (why: string): never => {
    throw inputError(`${source}: ${why}`);
  };
  if (!isObject(raw)) fail(`a model is an object { "input"?, "layers": [...], "layer"? }, got ${JSON.stringify(raw)?.slice(0, 40)}`);
  const m = raw as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!['name', 'input', 'layers', 'layer'].includes(k)) fail(`unknown field '${k}' (a model has input, layers, layer)`);
  const input = m.input ?? [...data.image];
  if (!Array.isArray(input) || !(input.length === 1 || input.length === 3) || !input.every((d) => Number.isInteger(d) && d >= 1))
    fail(`input must be [features] or [channels, height, width] of positive integers, got ${JSON.stringify(input)}`);
  const inShape = input as number[];
  if (count(inShape) !== count(data.image))
    fail(`input [${inShape.join(', ')}] holds ${count(inShape)} values per example, the data's images ${data.image.join('×')} hold ${count(data.image)}`);
  if (!Array.isArray(m.layers) || m.layers.length === 0) fail('layers must be a non-empty list of layers');
  const layers: NamedLayer[] = [];
  const counts: Record<string, number> = {};
  let shape: ExampleShape = inShape;
  (m.layers as unknown[]).forEach((l, i) => {
    const at = isObject(l) && typeof l.name === 'string' ? `layer ${i + 1} ('${l.name}')` : `layer ${i + 1}`;
    if (!isObject(l)) return fail(`${at} must be an object with a type, got ${JSON.stringify(l)}`);
    const kind = LAYERS[l.type as LayerType];
    if (!kind) return fail(`${at}: unknown type ${JSON.stringify(l.type)}; expected one of ${layerTypes.join(', ')}`);
    for (const k of Object.keys(l)) if (!['type', 'name', ...kind.fields].includes(k)) fail(`${at} (${l.type}): unknown field '${k}'; ${l.type} takes ${['name', ...kind.fields].join(', ')}`);
    counts[l.type as string] = (counts[l.type as string] ?? 0) + 1;
    const named = { ...l, name: l.name ?? `${l.type}${counts[l.type as string]}` } as NamedLayer;
    if (typeof named.name !== 'string' || !/^[A-Za-z_][\w-]*$/.test(named.name)) fail(`${at}: name must start with a letter or '_' and hold letters, digits, _ or -, got ${JSON.stringify(named.name)}`);
    if (layers.some((p) => p.name === named.name)) fail(`${at}: the name '${named.name}' is taken by an earlier layer`);
    try {
      (kind.check as (l: LayerSpec) => void)(named);
    } catch (e) {
      if (e instanceof LayerSettingError) fail(`${at} (${named.type}): ${e.message}`);
      throw e;
    }
    const out = (kind.shape as (l: LayerSpec, s: ExampleShape) => number[] | string)(named, shape);
    if (typeof out === 'string') fail(`${at} (${named.type}) ${out}`);
    layers.push(named);
    shape = out as number[];
  });
  if (shape.length !== 1 || shape[0] !== data.classes) fail(`the last layer gives [${shape.join(', ')}] per example; a classifier of ${data.classes} classes must end in [${data.classes}] (a dense layer of ${data.classes} units)`);
  let layer = m.layer;
  if (layer === undefined) {
    const last = layers.map((l) => l.type).lastIndexOf('dense');
    if (last < 1) fail("has no layer before its last dense layer for the discriminator to read; name one with \"layer\"");
    layer = layers[last - 1].name;
  }
  const index = layers.findIndex((l) => l.name === layer);
  if (index < 0) fail(`layer ${JSON.stringify(layer)} (where the discriminator reads) names no layer; layers: ${layers.map((l) => l.name).join(', ')}`);
  if (index === layers.length - 1) fail(`the discriminator cannot read the last layer '${layer}' (the logits): name a hidden layer`);
  return { name: typeof m.name === 'string' ? m.name : name, input: inShape, layers, layer: layer as string };
}

/** The network of a resolved spec (checked again: a spec may come from a file). */
export function network(spec: NetworkSpec): Network {
  const shapes: number[][] = [];
  const params: ParamSpec[] = [];
  const stats: ParamSpec[] = [];
  let shape: ExampleShape = spec.input;
  for (const l of spec.layers) {
    const kind = LAYERS[l.type] as (typeof LAYERS)['dense'];
    const out = kind.shape(l as never, shape);
    if (typeof out === 'string') throw inputError(`model '${spec.name}': layer '${l.name}' (${l.type}) ${out}`);
    params.push(...(kind.params?.(l as never, shape) ?? []));
    stats.push(...((kind as { stats?: typeof kind.params }).stats?.(l as never, shape) ?? []));
    shapes.push(out);
    shape = out;
  }
  const at = spec.layers.findIndex((l) => l.name === spec.layer);
  if (at < 0 || at === spec.layers.length - 1) throw inputError(`model '${spec.name}': the discriminator's layer '${spec.layer}' is not a hidden layer`);
  const run = (w: Weights, x: Tensor, from: number, to: number, pass: Pass) => {
    let h = x;
    for (let i = from; i < to; i++) h = (LAYERS[spec.layers[i].type] as (typeof LAYERS)['dense']).apply(spec.layers[i] as never, w, h, pass);
    return h;
  };
  const toInput = (x: Tensor) => (spec.input.length > 1 ? o.reshape(x, [x.shape[0], ...spec.input]) : x);
  const last = shapes[shapes.length - 1];
  return {
    spec,
    shapes,
    features: count(spec.input),
    classes: last[0],
    featureSize: count(shapes[at]),
    params,
    stats,
    encode: (w, x, pass = {}) => run(w, toInput(x), 0, at + 1, pass),
    residual: (w, z, pass = {}) => run(w, z, at + 1, spec.layers.length, pass),
    logits: (w, x, pass = {}) => run(w, toInput(x), 0, spec.layers.length, pass),
    fromLayer: (w, h, from, pass = {}) => run(w, h, from, spec.layers.length, pass),
  };
}

/** A traced network whose first layer is dense, taken apart: x·W + b, then the rest to logits. */
export interface DenseFirst {
  weight: Tensor;
  bias: Tensor;
  rest(h: Tensor): Tensor;
}

/** The discriminator's input: the encoder's output as rows [batch, featureSize]. */
export const flatFeatures = flatRows;
