// What evaluation attacks: an architecture that traces logits from its own parameter inputs, and the
// values of those inputs. One compiled program serves every model of an architecture.
import * as o from '../engine/ops.js';
import type { TypedArray } from '../engine/runtime.js';
import type { Tensor } from '../engine/tensor.js';
import { type ClassifierConfig, classifierSpecs, logits } from '../model/classifier.js';
import { paramGroup } from '../nn/params.js';

export interface Architecture {
  inputs: number;
  classes: number;
  /** Says what the graph computes; programs are cached by it. */
  id: string;
  /** Declares the parameter inputs (once per graph) and returns the logits function over them. */
  trace(): (x: Tensor) => Tensor;
}

export interface Model {
  arch: Architecture;
  /** Values of the parameter inputs the architecture declares. */
  params: Readonly<Record<string, TypedArray>>;
}

export function classifierArchitecture(c: ClassifierConfig): Architecture {
  return {
    inputs: c.inputs,
    classes: c.classes,
    id: `mlp ${c.inputs}-${c.hidden.join('-')}-${c.classes} slope ${c.slope}`,
    trace() {
      const p = paramGroup('classifier', classifierSpecs(c)).views;
      return (x) => logits(c, p, x);
    },
  };
}

export const classifierModel = (c: ClassifierConfig, params: Float32Array): Model => ({ arch: classifierArchitecture(c), params: { classifier: params } });

/**
 * A deliberately gradient-masked version of a model: its logits are `scale`·softmax(logits), so a
 * confident prediction saturates and its input gradient underflows to exactly zero. It classifies
 * exactly as the model does; only gradient-based attacks are fooled. For testing masking checks.
 */
export function maskedModel(m: Model, scale = 1e4): Model {
  const arch = m.arch;
  return {
    params: m.params,
    arch: { ...arch, id: `${arch.id} masked ×${scale}`, trace: () => {
      const f = arch.trace();
      return (x) => o.mul(o.softmax(f(x), 1), scale);
    } },
  };
}
