// A whole model as training sees it: the classifier network and the discriminator that reads its layer.
import type { DiscriminatorConfig } from './discriminator.js';
import type { NetworkSpec } from './network.js';

export interface ModelConfig {
  classifier: NetworkSpec;
  discriminator: DiscriminatorConfig;
}

/**
 * Trained values by group: the classifier's parameters, its running statistics ('stats', when it has
 * batch-norm layers) and, for objectives that train one, the discriminator's parameters.
 */
export type Parameters = { classifier: Float32Array } & Readonly<Record<string, Float32Array>>;
