// Reverse-mode differentiation over the traced graph, built only from the VJP table.
import type { ComputedOp } from './op-attrs.js';
import * as o from './ops.js';
import { type Node, type Tensor, ShapeError, isFloat, showShape, staticSize, topoSort } from './tensor.js';
import { FORWARD_ONLY, VJP, type VjpRule } from './vjp.js';

/**
 * Gradients of the scalar `y` with respect to each of `wrt` (inputs or any intermediate tensors).
 * `initial[i]`, when given, seeds the cotangent of wrt[i] (the gradient of another term, computed
 * elsewhere): it is summed with y's contributions there, and products fold it in as their addend.
 */
export function grad(y: Tensor, wrt: readonly Tensor[], initial?: ReadonlyArray<Tensor | undefined>): Tensor[] {
  if (!isFloat(y.dtype) || staticSize(y.shape) !== 1) throw new ShapeError(`grad: expects a float scalar, got ${y.dtype} ${showShape(y.shape)}`);
  const targets = new Set(wrt.map((w) => w.id));
  const order = topoSort([y]);
  // Which nodes depend on a target through differentiable edges.
  const live = new Set<number>();
  for (const t of order) {
    if (targets.has(t.id)) live.add(t.id);
    else if (t.op !== 'stopGradient' && isFloat(t.dtype) && t.inputs.some((i) => live.has(i.id))) live.add(t.id);
  }
  const cot = new Map<number, Tensor>();
  wrt.forEach((w, i) => {
    const g0 = initial?.[i];
    if (!g0) return;
    if (g0.shape.join() !== w.shape.join() || g0.dtype !== w.dtype) throw new ShapeError(`grad: initial gradient ${g0.dtype} ${showShape(g0.shape)} does not match ${w.dtype} ${showShape(w.shape)}`);
    cot.set(w.id, g0);
  });
  cot.set(y.id, cot.has(y.id) ? o.add(cot.get(y.id)!, 1) : o.constant(1, y.shape, y.dtype));
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    const g = cot.get(t.id);
    if (!g || !live.has(t.id) || t.op === 'input' || t.op === 'constant') continue;
    if (!t.inputs.some((i) => live.has(i.id))) continue;
    const gs = cotangents(t, g);
    t.inputs.forEach((x, i) => {
      const gi = gs[i];
      if (!gi || !live.has(x.id)) return;
      const prev = cot.get(x.id);
      cot.set(x.id, prev ? accumulate(prev, gi) : gi);
    });
  }
  return wrt.map((w) => cot.get(w.id) ?? zerosLike(w));
}

/** The cotangents of t's inputs from its rule (generic in K so the rule and the node are of one op). */
function cotangents<K extends ComputedOp>(t: Node<K>, g: Tensor): Array<Tensor | null> {
  const rule: VjpRule<K> | typeof FORWARD_ONLY = VJP[t.op];
  if (rule === FORWARD_ONLY)
    throw new ShapeError(`grad: op '${t.op}' is forward-only (no gradient rule), yet the value differentiated depends through it on a target; expected stopGradient on its input or a target it does not reach`);
  return rule(t, g);
}

/** prev + g; a fresh product without an addend takes prev as its addend (one Gemm, no extra pass). */
function accumulate(prev: Tensor, g: Tensor): Tensor {
  if (g.op === 'matmul' && g.inputs.length === 2 && g.shape.join() === prev.shape.join()) return o.matmul(g.inputs[0], g.inputs[1], g.attrs, prev);
  return o.add(prev, g);
}

/** The value of `y` together with its gradients. */
export function valueAndGrad(y: Tensor, wrt: readonly Tensor[]): { value: Tensor; grads: Tensor[] } {
  return { value: y, grads: grad(y, wrt) };
}

export function zerosLike(w: Tensor): Tensor {
  return o.expandAs(o.constant(0, [], w.dtype), w);
}
