// A trained model as the bytes of its two files, wherever they are written (a run directory, a browser download).
import { encodeCheckpoint } from '../io/checkpoint.js';
import type { ModelConfig, Parameters } from '../model/config.js';
import { inferenceModel } from '../model/export.js';
import type { TrainConfig } from './config.js';

/** A trained model's two files as bytes: the checkpoint `loadModel` reads (config included) and the ONNX inference model. */
export function modelFiles(config: TrainConfig, model: ModelConfig, params: Parameters, meta: Record<string, unknown> = {}): { checkpoint: Uint8Array; onnx: Uint8Array } {
  return { checkpoint: encodeCheckpoint({ meta: { kind: 'a3t-model', config, model, ...meta }, tensors: { ...params } }), onnx: inferenceModel(model.classifier, params) };
}
