// The objective contract: the training loop hands an objective the batch and its parameter groups;
// the objective returns one loss per group and the metrics to report. The loop never asks which it is.
import type { Tensor } from '../engine/tensor.js';
import type { ClassifierConfig } from '../model/classifier.js';
import type { DiscriminatorConfig } from '../model/discriminator.js';
import type { ParamSpec } from '../nn/params.js';

export interface ModelConfig {
  classifier: ClassifierConfig;
  discriminator: DiscriminatorConfig;
}

export interface StepContext {
  model: ModelConfig;
  /** Inputs [batch, features] in [0, 1]. */
  x: Tensor;
  /** int64 labels [batch]. */
  y: Tensor;
  /** One-hot labels [batch, classes]. */
  onehot: Tensor;
  /** Each parameter group's tensors, by parameter name. */
  params: Readonly<Record<string, Readonly<Record<string, Tensor>>>>;
  /** A uniform [0, 1) noise input, filled afresh from the step's key on every step. */
  noise(name: string, shape: number[]): Tensor;
}

/** A loss of which one part is already differentiated: `rest` is the remainder, `known` that part's gradient. */
export interface SplitLoss {
  rest: Tensor;
  known: Record<string, Tensor>;
}

export interface ObjectiveGraph {
  /** The loss each parameter group minimises (also reported). */
  losses: Record<string, Tensor>;
  metrics: Record<string, Tensor>;
  /**
   * Where part of a group's loss was already differentiated (an attack's backward pass also yields
   * the clean term's parameter gradient): `rest` is the loss minus that part, `known` its gradient
   * per parameter. The loop then differentiates only `rest`, seeded with `known`.
   */
  split?: Record<string, SplitLoss>;
}

export interface Objective {
  readonly name: string;
  /** Parameter groups this objective trains, by name. */
  groups(model: ModelConfig): Record<string, ParamSpec[]>;
  build(ctx: StepContext): ObjectiveGraph;
}
