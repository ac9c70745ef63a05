// A trained classifier as a standalone ONNX inference model: input 'input' [N, ...the network's input
// shape] in [0, 1], output 'logits' [N, classes], weights stored as initializers. Any ONNX runtime loads it.
import * as o from '../engine/ops.js';
import { emitOnnx } from '../engine/onnx.js';
import type { Tensor } from '../engine/tensor.js';
import { type ParamSpec, paramGroup, paramValues } from '../nn/params.js';
import type { Parameters } from './config.js';
import { type NetworkSpec, network } from './network.js';

/** The parameters of one flat vector as graph constants. */
function constants(name: string, specs: readonly ParamSpec[], flat: Float32Array | undefined): Record<string, Tensor> {
  const group = paramGroup(name, specs);
  if (!flat || flat.length !== group.size) throw new RangeError(`inference model: ${flat?.length ?? 0} ${name} values given, the network needs ${group.size}`);
  return Object.fromEntries(specs.map((s) => [s.name, o.constant(paramValues(group, flat, s.name), s.shape, 'float32')]));
}

export function inferenceModel(spec: NetworkSpec, params: Parameters): Uint8Array {
  const net = network(spec);
  const weights = { params: constants('classifier', net.params, params.classifier), stats: net.stats.length ? constants('stats', net.stats, params.stats) : undefined };
  const input = o.input('input', ['N', ...spec.input]);
  const rows = spec.input.length > 1 ? o.reshape(input, ['N', net.features]) : input;
  return emitOnnx({ logits: net.logits(weights, rows) }, 'a3t-classifier').bytes;
}
