// Initialisers: functions of a key and a shape.
import { type Key, uniform } from '../engine/rng.js';
import { elementCount as count } from '../engine/tensor.js';

export type Init = (key: Key, shape: readonly number[]) => Float32Array;

/** U(-b, b). */
export const uniformInit = (bound: number): Init => (key, shape) => {
  const u = uniform(key, count(shape)) as Float32Array;
  for (let i = 0; i < u.length; i++) u[i] = (2 * u[i] - 1) * bound;
  return u;
};

/** PyTorch's nn.Linear default for a layer with `fanIn` inputs: U(-1/√fanIn, 1/√fanIn). */
export const linearDefault = (fanIn: number): Init => uniformInit(1 / Math.sqrt(fanIn));

/** Glorot/Xavier uniform: U(-b, b), b = √(6/(fanIn+fanOut)). */
export const glorotUniform = (fanIn: number, fanOut: number): Init => uniformInit(Math.sqrt(6 / (fanIn + fanOut)));

export const zeros: Init = (_key, shape) => new Float32Array(count(shape));

export const ones: Init = (_key, shape) => new Float32Array(count(shape)).fill(1);
