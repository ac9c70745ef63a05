// SGD with momentum and L2 weight decay: v' = μv + g + λp; p' = p − lr·v'.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { type Optimizer, checkRange } from './optimizer.js';

export interface SgdOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

export function sgd({ lr = 0.01, momentum = 0, weightDecay = 0 }: SgdOptions = {}): Optimizer {
  checkRange('sgd lr', lr, 0, Infinity, true);
  checkRange('sgd momentum', momentum, 0, 1);
  checkRange('sgd weight decay', weightDecay, 0, Infinity);
  return {
    name: 'sgd',
    slots: momentum > 0 ? ['velocity'] : [],
    update(p, g, state): { params: Tensor; state: Record<string, Tensor> } {
      const d = weightDecay > 0 ? o.add(g, o.mul(p, weightDecay)) : g;
      if (momentum === 0) return { params: o.sub(p, o.mul(d, lr)), state: {} };
      const v = o.add(o.mul(state.velocity, momentum), d);
      return { params: o.sub(p, o.mul(v, lr)), state: { velocity: v } };
    },
  };
}
