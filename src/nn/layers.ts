// Layers as pairs of parameter specs and functions of the parameter views.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { linearDefault } from './init.js';
import type { ParamSpec } from './params.js';

/** Weight [in, out] and bias [out], initialised like PyTorch's nn.Linear. */
export function linearSpecs(name: string, fanIn: number, fanOut: number): ParamSpec[] {
  return [
    { name: `${name}.w`, shape: [fanIn, fanOut], init: linearDefault(fanIn) },
    { name: `${name}.b`, shape: [fanOut], init: linearDefault(fanIn) },
  ];
}

export function linear(p: Readonly<Record<string, Tensor>>, name: string, x: Tensor): Tensor {
  return o.matmul(x, p[`${name}.w`], {}, p[`${name}.b`]);
}

/** Inverted dropout driven by a uniform noise input of the same shape (drop where noise < rate). */
export function dropout(x: Tensor, noise: Tensor, rate: number): Tensor {
  if (rate <= 0) return x;
  return o.where(o.greaterOrEqual(noise, rate), o.mul(x, 1 / (1 - rate)), 0);
}
