// The objective contract: an objective declares its parameter groups (what each holds, the optimizer
// that moves it, how often per step) and, given the batch and the groups, the loss each group
// minimises and the metrics to report. The training loop never asks which objective it was given.
import type { Tensor } from '../engine/tensor.js';
import type { ModelConfig } from '../model/config.js';
import type { ParamSpec } from '../nn/params.js';
import type { Optimizer } from '../optim/optimizer.js';

export interface GroupSpec {
  specs: readonly ParamSpec[];
  optimizer: Optimizer;
  /**
   * Updates of this group per step (default 1): the first n−1 use the group's loss alone, each against
   * its freshly updated parameters; the last is the joint update. At most one group may take several.
   */
  updates?: number;
}

/** The classifier in training mode (dropout masks drawn per step, batch norm on batch statistics). */
export interface TrainingClassifier {
  /** E(x). `stats: true` marks the pass whose batch statistics update the running ones (the clean batch). */
  encode(x: Tensor, opts?: { stats?: boolean }): Tensor;
  /** R(z): logits. */
  residual(z: Tensor): Tensor;
  logits(x: Tensor, opts?: { stats?: boolean }): Tensor;
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
  /** The classifier over params.classifier. */
  classifier: TrainingClassifier;
  /** The 1-based update count, a float scalar (for schedules). */
  step: Tensor;
  /** A uniform [0, 1) noise input, filled afresh from the step's key on every step. */
  noise(name: string, shape: number[]): Tensor;
}

/** A loss of which one part is already differentiated: `rest` is the remainder, `known` that part's gradient. */
export interface PartialGradient {
  rest: Tensor;
  known: Record<string, Tensor>;
}

export interface ObjectiveGraph {
  /** The loss each parameter group minimises (also reported). */
  losses: Record<string, Tensor>;
  metrics: Record<string, Tensor>;
  /**
   * Where part of a group's loss was already differentiated (an attack's backward pass also yields
   * the clean term's parameter gradient): the loop then differentiates only `rest`, seeded with `known`.
   */
  partial?: Record<string, PartialGradient>;
}

/** What validation probes see: the groups' parameters (inference mode) and the clean and attacked features. */
export interface ProbeContext {
  model: ModelConfig;
  params: Readonly<Record<string, Readonly<Record<string, Tensor>>>>;
  /** E(x) and E(x_adv) of the validation batch. */
  clean: Tensor;
  adversarial: Tensor;
}

/**
 * A quantity an objective reports beyond the classifier's accuracies, under one key in both the per-step
 * metrics and the validation accuracies (its probes). Reports, the CLI and the page iterate over these.
 */
export interface MetricInfo {
  readonly key: string;
  /** For a chart's legend, e.g. 'clean features'. */
  readonly label: string;
  /** For a one-line log, e.g. 'clean'. */
  readonly short: string;
  /** What the number means, in one sentence. */
  readonly meaning: string;
  /** Measured on attacked inputs (charts draw it dashed). */
  readonly attacked: boolean;
  /** The key validation used before the one naming scheme (committed report.json files hold it). */
  readonly formerly?: string;
}

/** A metric's value in one record of metrics, read under its former key too; undefined when absent. */
export function metricValue(values: Readonly<Record<string, number>>, m: MetricInfo): number | undefined {
  return values[m.key] ?? (m.formerly === undefined ? undefined : values[m.formerly]);
}

export interface Objective {
  readonly name: string;
  /** What it reports beyond the classifier's accuracies: keys of `build`'s metrics and of `probes`. */
  readonly metrics?: readonly MetricInfo[];
  /** Parameter groups this objective trains, by name; 'classifier' is always one of them. */
  groups(model: ModelConfig): Record<string, GroupSpec>;
  build(ctx: StepContext): ObjectiveGraph;
  /**
   * Validation quantities beyond the classifier's accuracies (e.g. the discriminator's), as the fraction of
   * rows for which each holds: one 0/1 value per row, shape [batch].
   */
  probes?(ctx: ProbeContext): Record<string, Tensor>;
}
