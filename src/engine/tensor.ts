// Symbolic tensors: the nodes of the traced graph, with static (or named symbolic) shapes.
import type { DType, OpAttrs, OpName } from './op-attrs.js';

export type { DType, OpName } from './op-attrs.js';
/** A dimension: a number, or a name for a size known only at run time (e.g. 'batch'). */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** A node of op K, holding K's attributes. */
export interface Node<K extends OpName> {
  readonly id: number;
  readonly op: K;
  readonly inputs: readonly Tensor[];
  readonly attrs: Readonly<OpAttrs[K]>;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** A node of any of the ops K (default: any op); narrowing on `op` gives that op's attributes. */
export type Tensor<K extends OpName = OpName> = { [P in K]: Node<P> }[K];

/** Thrown for shapes and dtypes that do not fit an op; the message names the op and the shapes. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

let nextId = 0;

export function node<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K], shape: Shape, dtype: DType): Node<K> {
  return Object.freeze({ id: nextId++, op, inputs, attrs, shape: Object.freeze([...shape]), dtype });
}

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';

export function showShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Number of elements of a concrete shape. */
export const elementCount = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** Number of elements, or null when a dimension is symbolic. */
export function staticSize(s: Shape): number | null {
  let n = 1;
  for (const d of s) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Nodes reachable from `roots`, inputs before users. */
export function topoSort(roots: readonly Tensor[]): Tensor[] {
  const seen = new Set<number>();
  const order: Tensor[] = [];
  // Iterative DFS: graphs of a few thousand nodes would overflow a recursive one on deep chains.
  const stack: Array<[Tensor, number]> = [];
  for (const r of roots) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    stack.push([r, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [t, i] = top;
      if (i < t.inputs.length) {
        top[1]++;
        const c = t.inputs[i];
        if (!seen.has(c.id)) {
          seen.add(c.id);
          stack.push([c, 0]);
        }
      } else {
        stack.pop();
        order.push(t);
      }
    }
  }
  return order;
}
