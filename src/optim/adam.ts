// Adam with bias correction (Kingma & Ba), L2 weight decay added to the gradient.
import * as o from '../engine/ops.js';
import { usageError } from '../errors.js';
import { type Optimizer, checkRange } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * m' = β1·m + (1−β1)·g,  v' = β2·v + (1−β2)·g²,  p' = p − lr·m̂/(√v̂ + ε),  m̂ = m'/(1−β1ᵗ), v̂ = v'/(1−β2ᵗ).
 * Stored rescaled as M = m/(1−β1), V = v/(1−β2) so each moment update is two passes (M' = β1·M + g),
 * and every correction is folded into two scalars: p' = p − c·M'/(√V' + ε′) with
 * c = lr·(1−β1)·√(1−β2ᵗ) / ((1−β1ᵗ)·√(1−β2)),  ε′ = ε·√(1−β2ᵗ)/√(1−β2). Same values, fewer passes.
 */
export function adam({ lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 }: AdamOptions = {}): Optimizer {
  checkRange('adam lr', lr, 0, Infinity, true);
  checkRange('adam beta1', beta1, 0, 1);
  checkRange('adam beta2', beta2, 0, 1, false);
  if (beta1 >= 1 || beta2 >= 1) throw usageError(`adam betas must be below 1, got ${beta1} and ${beta2}`);
  checkRange('adam eps', eps, 0, Infinity);
  checkRange('adam weight decay', weightDecay, 0, Infinity);
  return {
    name: 'adam',
    slots: ['m', 'v'],
    update(p, g, state, step) {
      const d = weightDecay > 0 ? o.add(g, o.mul(p, weightDecay)) : g;
      const m = o.add(o.mul(state.m, beta1), d);
      const v = o.add(o.mul(state.v, beta2), o.mul(d, d));
      const root = o.div(o.sqrt(o.sub(1, o.pow(beta2, step))), Math.sqrt(1 - beta2));
      const c = o.div(o.mul(root, lr * (1 - beta1)), o.sub(1, o.pow(beta1, step)));
      const update = o.div(m, o.add(o.sqrt(v), o.mul(root, eps)));
      return { params: o.sub(p, o.mul(update, c)), state: { m, v } };
    },
  };
}
