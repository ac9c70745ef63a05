// Running statistics of batch-norm layers after a training step: PyTorch's update from the batch
// statistics of the pass that recorded them (the clean batch), the variance made unbiased.
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import type { Network } from '../model/network.js';
import type { ParamGroup } from '../nn/params.js';

/** Batch mean and biased variance of each batch-norm layer, over `count` values per channel. */
export type BatchStats = Record<string, { mean: Tensor; variance: Tensor; count: number }>;

/** The next value of the flat statistics vector: running·(1 − m) + batch·m per layer (m its momentum). */
export function runningStats(net: Network, group: ParamGroup, batch: BatchStats): Tensor {
  const parts = group.specs.map((s) => {
    const current = o.reshape(group.views[s.name], [-1]);
    const [layer, which] = s.name.split(/\.(?=[^.]+$)/);
    const b = batch[layer];
    if (!b) return current;
    const spec = net.spec.layers.find((l) => l.name === layer) as { momentum?: number };
    const m = spec.momentum ?? 0.1;
    const value = which === 'mean' ? b.mean : o.mul(b.variance, b.count / Math.max(b.count - 1, 1));
    return o.add(o.mul(current, 1 - m), o.mul(value, m));
  });
  return o.concat(parts, 0);
}
