// The paper's discriminator: features → hidden (ReLU, dropout) → one logit of "clean".
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { dropout, linear, linearSpecs } from '../nn/layers.js';
import type { ParamSpec } from '../nn/params.js';

export interface DiscriminatorConfig {
  features: number;
  hidden: number;
  dropout: number;
}

export const paperDiscriminator = (features: number): DiscriminatorConfig => ({ features, hidden: 128, dropout: 0.5 });

export function discriminatorSpecs(d: DiscriminatorConfig): ParamSpec[] {
  return [...linearSpecs('d1', d.features, d.hidden), ...linearSpecs('d2', d.hidden, 1)];
}

/** Logit of D(z) for features z [rows, features] (the probability that z is clean is its sigmoid); noise: uniform, [rows, hidden]. */
export function discriminate(d: DiscriminatorConfig, p: Readonly<Record<string, Tensor>>, z: Tensor, noise: Tensor): Tensor {
  const h = dropout(o.relu(linear(p, 'd1', z)), noise, d.dropout);
  return o.reshape(linear(p, 'd2', h), [z.shape[0]]);
}
