// Parameter groups: named tensors stored in one flat vector, so the optimizer updates each group
// with a handful of elementwise ops instead of a handful per tensor.
import * as o from '../engine/ops.js';
import { type Key, split } from '../engine/rng.js';
import { type DType, type Tensor, ShapeError, elementCount } from '../engine/tensor.js';
import type { Init } from './init.js';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
}

export interface ParamGroup {
  /** Also the name of the graph input holding the flat vector. */
  readonly name: string;
  readonly specs: readonly ParamSpec[];
  readonly offsets: readonly number[];
  readonly size: number;
  readonly flat: Tensor;
  /** Each parameter as a tensor of its shape (a view of `flat`). */
  readonly views: Readonly<Record<string, Tensor>>;
}

const count = elementCount;

/** Length of the flat vector holding these parameters. */
export const specsSize = (specs: readonly ParamSpec[]): number => specs.reduce((n, s) => n + count(s.shape), 0);

export function paramGroup(name: string, specs: readonly ParamSpec[], dtype: DType = 'float32'): ParamGroup {
  const offsets: number[] = [];
  let size = 0;
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new ShapeError(`parameter group '${name}': two parameters named '${s.name}'`);
    seen.add(s.name);
    offsets.push(size);
    size += count(s.shape);
  }
  const flat = o.input(name, [size], dtype);
  const group = { name, specs, offsets, size, flat, views: {} };
  return { ...group, views: viewsOf(group, flat) };
}

/** The parameters of `group` as views of another flat vector of its layout (e.g. after an update). */
export function viewsOf(group: Pick<ParamGroup, 'specs' | 'offsets'>, flat: Tensor): Record<string, Tensor> {
  const views: Record<string, Tensor> = {};
  group.specs.forEach((s, i) => (views[s.name] = o.reshape(o.slice(flat, 0, group.offsets[i], group.offsets[i] + count(s.shape)), s.shape)));
  return views;
}

/** Gradients of the views, laid out like the flat vector. */
export function flatGrad(group: ParamGroup, grads: readonly Tensor[]): Tensor {
  return o.concat(grads.map((g) => o.reshape(g, [-1])), 0);
}

/** Initial values: each parameter from its own key. */
export function initGroup(group: ParamGroup, key: Key): Float32Array {
  const out = new Float32Array(group.size);
  const keys = split(key, group.specs.length);
  group.specs.forEach((s, i) => out.set(s.init(keys[i], s.shape), group.offsets[i]));
  return out;
}

/** One parameter's values out of a flat vector. */
export function paramValues(group: ParamGroup, flat: Float32Array, name: string): Float32Array {
  const i = group.specs.findIndex((s) => s.name === name);
  if (i < 0) throw new ShapeError(`parameter group '${group.name}' has no parameter '${name}'`);
  return flat.slice(group.offsets[i], group.offsets[i] + count(group.specs[i].shape));
}
