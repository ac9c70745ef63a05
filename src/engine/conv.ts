// Convolution and pooling geometry (NCHW, 2-D): normalised window attributes and output sizes.
import type { Pads, Pair } from './op-attrs.js';
import { ShapeError } from './tensor.js';

export type { ConvAttrs, ConvTransposeAttrs, Pads, Pair, PoolAttrs } from './op-attrs.js';

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** One number for both axes, or [vertical, horizontal]; each an integer ≥ min. */
export function pairOf(where: string, what: string, v: number | readonly number[], min: number): Pair {
  const p = Array.isArray(v) ? [...v] : [v, v];
  if (p.length !== 2 || !p.every((d) => isInt(d, min))) throw new ShapeError(`${where}: ${what} ${JSON.stringify(v)} must be one integer ≥ ${min} or two`);
  return [p[0], p[1]];
}

/** One number for all four sides, or [top, left, bottom, right]; each a non-negative integer. */
export function padsOf(where: string, v: number | readonly number[]): Pads {
  const p = Array.isArray(v) ? [...v] : [v, v, v, v];
  if (p.length !== 4 || !p.every((d) => isInt(d, 0))) throw new ShapeError(`${where}: pads ${JSON.stringify(v)} must be one integer ≥ 0 or four [top, left, bottom, right]`);
  return [p[0], p[1], p[2], p[3]];
}

/** Windows along one axis (floor mode): ⌊(size + begin + end − ((k−1)·d + 1)) / s⌋ + 1. */
export function windows(where: string, axis: string, size: number, k: number, s: number, d: number, begin: number, end: number): number {
  const span = (k - 1) * d + 1;
  if (span > size + begin + end) {
    const kernel = d === 1 ? `kernel ${k}` : `kernel ${k} with dilation ${d} (spanning ${span})`;
    throw new ShapeError(`${where}: ${kernel} is larger than the padded ${axis} ${size} + ${begin} + ${end}`);
  }
  return Math.floor((size + begin + end - span) / s) + 1;
}

/** Output size of a transposed convolution along one axis: (n−1)·s + outputPadding + (k−1)·d + 1 − begin − end. */
export const transposedSize = (n: number, k: number, s: number, d: number, begin: number, end: number, outputPadding: number): number =>
  (n - 1) * s + outputPadding + (k - 1) * d + 1 - begin - end;

/** The output padding that makes a transposed convolution of n cells come out `size` long. */
export const outputPaddingFor = (size: number, n: number, k: number, s: number, d: number, begin: number, end: number): number =>
  size - transposedSize(n, k, s, d, begin, end, 0);

/** How many cells of each pooling window of one axis lie inside the input (not in the padding). */
export function cellsInside(size: number, k: number, s: number, begin: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.min(i * s - begin + k, size) - Math.max(i * s - begin, 0));
}
