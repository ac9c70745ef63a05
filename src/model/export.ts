// A trained classifier as a standalone ONNX inference model: input 'input' [N, features] in [0, 1],
// output 'logits' [N, classes], weights stored as initializers. Any ONNX runtime can load it.
import * as o from '../engine/ops.js';
import { emitOnnx } from '../engine/onnx.js';
import type { Tensor } from '../engine/tensor.js';
import { type ParamSpec, paramGroup, paramValues } from '../nn/params.js';
import { type ClassifierConfig, classifierSpecs, logits } from './classifier.js';

export function inferenceModel(c: ClassifierConfig, flat: Float32Array): Uint8Array {
  const specs: ParamSpec[] = classifierSpecs(c);
  const group = paramGroup('classifier', specs);
  if (flat.length !== group.size) throw new RangeError(`inference model: ${flat.length} parameters given, the classifier ${[c.inputs, ...c.hidden, c.classes].join('-')} has ${group.size}`);
  const weights: Record<string, Tensor> = {};
  for (const s of specs) weights[s.name] = o.constant(paramValues(group, flat, s.name), s.shape, 'float32');
  const x = o.input('input', ['N', c.inputs]);
  return emitOnnx({ logits: logits(c, weights, x) }, 'a3t-classifier').bytes;
}
