// Trained models on disk: the checkpoint (config, model shape, parameters) and its ONNX export,
// loaded back with every tensor checked against the shapes the model declares, the export against
// the classifier's input and output sizes.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxFormatError, type OnnxInfo, type OnnxValue, readOnnxInfo } from '../engine/onnx-info.js';
import { A3tError } from '../errors.js';
import { type Checkpoint, CheckpointError } from '../io/checkpoint.js';
import { readCheckpoint, readModelFile } from '../io/checkpoint-file.js';
import { writeFileAtomic } from '../io/atomic.js';
import { RUN_FILES } from '../io/rundir.js';
import type { ModelConfig, Parameters } from '../model/config.js';
import { type DataShape, type NetworkSpec, network } from '../model/network.js';
import { specsSize } from '../nn/params.js';
import { type TrainConfig, makeConfig, modelOf } from './config.js';
import { modelFiles } from './model-files.js';
import { objectiveOf } from './objective-of.js';
import { STATS } from './step.js';

export interface SavedModel {
  config: TrainConfig;
  model: ModelConfig;
  params: Parameters;
  file: string;
}

/** The data shape a saved network was built for: its input as an image, its last layer's units as classes. */
function dataShapeOf(spec: NetworkSpec): DataShape {
  const input = Array.isArray(spec?.input) ? spec.input : [];
  const last = Array.isArray(spec?.layers) ? spec.layers[spec.layers.length - 1] : undefined;
  const classes = last?.type === 'dense' ? last.units : 0;
  return { image: input.length === 3 ? [input[0], input[1], input[2]] : [1, 1, input[0]], classes };
}

/** How many values each group of a run holds: the objective's parameter groups and the running statistics. */
export function groupSizes(config: TrainConfig, model: ModelConfig): Record<string, number> {
  const sizes = Object.fromEntries(Object.entries(objectiveOf(config).groups(model)).map(([n, g]) => [n, specsSize(g.specs)]));
  const stats = network(model.classifier).stats;
  if (stats.length) sizes[STATS] = specsSize(stats);
  return sizes;
}

/** Write the final checkpoint and the ONNX inference model into a run directory. */
export function saveModel(dir: string, config: TrainConfig, model: ModelConfig, params: Parameters, meta: Record<string, unknown> = {}): void {
  const files = modelFiles(config, model, params, meta);
  writeFileAtomic(join(dir, RUN_FILES.checkpoint), files.checkpoint);
  writeFileAtomic(join(dir, RUN_FILES.model), files.onnx);
}


/** An ONNX model file, checked to be a whole ModelProto taking [N, ...input] and giving [N, classes] floats. */
export function checkOnnxFile(file: string, spec?: NetworkSpec): OnnxInfo {
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
  if (!spec) return info;
  const show = (v: OnnxValue) => `'${v.name}' ${v.elemType === 1 ? 'float32' : `of element type ${v.elemType}`} [${v.dims.join(', ')}]`;
  const check = (values: OnnxValue[], what: string, shape: number[], role: string) => {
    const v = values[0];
    if (values.length !== 1) fail(`has ${values.length} ${what}s, expected one`);
    if (v.elemType !== 1 || v.dims.length !== shape.length + 1 || shape.some((d, i) => v.dims[i + 1] !== d))
      fail(`${what} ${show(v)} does not fit the checkpoint's classifier, which ${role} [N, ${shape.join(', ')}] floats`);
  };
  check(info.inputs, 'input', spec.input, 'takes');
  check(info.outputs, 'output', [network(spec).classes], 'gives');
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
  const saved = checkedModel(readCheckpoint(file), file);
  if (isDir && existsSync(join(path, RUN_FILES.model))) checkOnnxFile(join(path, RUN_FILES.model), saved.model.classifier);
  return saved;
}

/** A trained model from a decoded checkpoint, every tensor checked against its config (`file` names it in errors). */
export function checkedModel(ck: Checkpoint, file: string): SavedModel {
  const fail = (why: string): never => {
    throw new CheckpointError(`${file}: ${why}`);
  };
  const { kind, config: rawConfig, model } = ck.meta as { kind?: unknown; config?: Partial<TrainConfig>; model?: ModelConfig };
  if (kind !== 'a3t-model' || !model || !rawConfig) return fail(`not a trained-model checkpoint (kind ${JSON.stringify(kind)})`);
  let config: TrainConfig;
  let sizes: Record<string, number>;
  try {
    config = makeConfig(rawConfig);
    // The saved network must be exactly what its config makes of data of its shape: a file cannot slip in another.
    const expected = modelOf(config, dataShapeOf(model.classifier));
    if (JSON.stringify(expected) !== JSON.stringify(model)) return fail(`declares a model that does not match its config (expected ${JSON.stringify(expected).slice(0, 200)}...)`);
    sizes = groupSizes(config, model);
  } catch (e) {
    if (!(e instanceof A3tError)) throw e;
    return fail(`declares an invalid model or config: ${e.message}`);
  }
  const params = ck.tensors as Parameters;
  if (!params.classifier) fail('holds no classifier parameters');
  for (const [name, t] of Object.entries(ck.tensors)) {
    if (sizes[name] === undefined) fail(`holds an unknown tensor '${name}'`);
    if (t.length !== sizes[name]) fail(`${name} holds ${t.length} values, its declared shape needs ${sizes[name]}`);
    if (!t.every(Number.isFinite)) fail(`${name} holds non-finite values`);
  }
  for (const name of Object.keys(sizes)) if (name !== 'discriminator' && !ck.tensors[name]) fail(`holds no '${name}' values`);
  return { config, model, params, file };
}
