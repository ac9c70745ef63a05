// Trained models on disk: the checkpoint (config, model shape, parameters) and its ONNX export,
// loaded back with every tensor checked against the shapes the model declares, the export against
// the classifier's input and output sizes.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxFormatError, type OnnxInfo, type OnnxValue, readOnnxInfo } from '../engine/onnx-info.js';
import { CheckpointError, readCheckpoint, readModelFile, writeCheckpoint } from '../io/checkpoint.js';
import { writeFileAtomic } from '../io/atomic.js';
import { RUN_FILES } from '../io/rundir.js';
import { type ClassifierConfig, checkClassifier, classifierSpecs } from '../model/classifier.js';
import { discriminatorSpecs } from '../model/discriminator.js';
import { inferenceModel } from '../model/export.js';
import type { ModelConfig } from '../objectives/objective.js';
import type { Parameters } from '../eval/evaluator.js';
import { specsSize } from '../nn/params.js';
import type { TrainConfig } from './config.js';

export interface SavedModel {
  config: TrainConfig;
  model: ModelConfig;
  params: Parameters;
  file: string;
}

/** Write the final checkpoint and the ONNX inference model into a run directory. */
export function saveModel(dir: string, config: TrainConfig, model: ModelConfig, params: Parameters, meta: Record<string, unknown> = {}): void {
  const tensors: Record<string, Float32Array> = { classifier: params.classifier };
  if (params.discriminator) tensors.discriminator = params.discriminator;
  writeCheckpoint(join(dir, RUN_FILES.checkpoint), { meta: { kind: 'a3t-model', config, model, ...meta }, tensors });
  writeFileAtomic(join(dir, RUN_FILES.model), inferenceModel(model.classifier, params.classifier));
}

/** An ONNX model file, checked to be a whole ModelProto taking [N, inputs] and giving [N, classes] floats. */
export function checkOnnxFile(file: string, c?: ClassifierConfig): OnnxInfo {
  const fail = (why: string): never => {
    throw new CheckpointError(`${file}: ${why}`);
  };
  let info: OnnxInfo;
  try {
    info = readOnnxInfo(readModelFile(file, 'ONNX model'));
  } catch (e) {
    if (e instanceof OnnxFormatError) return fail(e.message);
    throw e;
  }
  if (!c) return info;
  const show = (v: OnnxValue) => `'${v.name}' ${v.elemType === 1 ? 'float32' : `of element type ${v.elemType}`} [${v.dims.join(', ')}]`;
  const check = (values: OnnxValue[], what: string, size: number, role: string) => {
    const v = values[0];
    if (values.length !== 1) fail(`has ${values.length} ${what}s, expected one`);
    if (v.elemType !== 1 || v.dims.length !== 2 || v.dims[1] !== size) fail(`${what} ${show(v)} does not fit the checkpoint's classifier, which ${role} [N, ${size}] floats`);
  };
  check(info.inputs, 'input', c.inputs, 'takes');
  check(info.outputs, 'output', c.classes, 'gives');
  return info;
}

/** A model from a run directory (whose model.onnx, when present, is checked too) or a checkpoint file. */
export function loadModel(path: string): SavedModel {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  if (!isDir && path.endsWith('.onnx')) {
    checkOnnxFile(path);
    throw new CheckpointError(`${path}: an ONNX model; a3t reads trained models from their run directory or its ${RUN_FILES.checkpoint}, which also holds the configuration`);
  }
  const file = isDir ? join(path, RUN_FILES.checkpoint) : path;
  const ck = readCheckpoint(file);
  const fail = (why: string): never => {
    throw new CheckpointError(`${file}: ${why}`);
  };
  const { kind, config, model } = ck.meta as { kind?: unknown; config?: TrainConfig; model?: ModelConfig };
  if (kind !== 'a3t-model' || !model || !config) return fail(`not a trained-model checkpoint (kind ${JSON.stringify(kind)})`);
  try {
    checkClassifier(model.classifier);
  } catch (e) {
    fail(`declares an invalid classifier: ${(e as Error).message}`);
  }
  const want = specsSize(classifierSpecs(model.classifier));
  const c = ck.tensors.classifier;
  if (!c || c.length !== want) fail(`classifier holds ${c?.length ?? 0} values, its declared shape needs ${want}`);
  const params: Parameters = { classifier: c };
  if (ck.tensors.discriminator) {
    const wantD = specsSize(discriminatorSpecs(model.discriminator));
    if (ck.tensors.discriminator.length !== wantD) fail(`discriminator holds ${ck.tensors.discriminator.length} values, its declared shape needs ${wantD}`);
    params.discriminator = ck.tensors.discriminator;
  }
  for (const [name, t] of Object.entries(params)) if (t && !t.every(Number.isFinite)) fail(`${name} holds non-finite values`);
  if (isDir && existsSync(join(path, RUN_FILES.model))) checkOnnxFile(join(path, RUN_FILES.model), model.classifier);
  return { config, model, params, file };
}
