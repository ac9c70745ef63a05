// a3t's public API in browsers and Node alike: the engine (trace, differentiate, compile, run on
// onnxruntime-node or onnxruntime-web), optimizers, networks as values, objectives, attacks and their
// evaluation, ONNX import and export, the compiled step and the training loop. Nothing here imports
// Node-only modules (a test bundles it for browsers); `index.ts` adds the Node-only parts.
export * from './engine/ops.js';
export { type DType, type Dim, type Shape, type Tensor, ShapeError, topoSort } from './engine/tensor.js';
export { grad, valueAndGrad } from './engine/grad.js';
export { type CompileOptions, FeedError, Program, type TypedArray, compile } from './engine/runtime.js';
export { type Backend, type OrtModule, activeBackend, useBackend } from './engine/backend.js';
export { type WebBackendOptions, webBackend } from './engine/backend-web.js';
export { type EmittedModel, type ValueInfo, emitLoopOnnx, emitOnnx, OPSET } from './engine/onnx.js';
export { type Feed, type NDArray, evaluate } from './engine/reference.js';
export * as rng from './engine/rng.js';
export { A3tError, type ErrorKind } from './errors.js';
export { type Setting, SettingError, TRAIN_SETTINGS, type TrainConfig } from './settings.js';
export { type Optimizer } from './optim/optimizer.js';
export { type AdamOptions, adam } from './optim/adam.js';
export { type SgdOptions, sgd } from './optim/sgd.js';
export { type ParamGroup, type ParamSpec, flatGrad, initGroup, paramGroup, paramValues } from './nn/params.js';
export * as init from './nn/init.js';
export { type LayerSpec, type NamedLayer, type Pass, type Weights } from './model/layers.js';
export { type DataShape, type Network, type NetworkSpec, flatFeatures, network, resolveNetwork } from './model/network.js';
export { PRESETS, presetNetwork } from './model/presets.js';
export { type ModelConfig, type Parameters } from './model/config.js';
export { type DiscriminatorConfig, discriminate, discriminatorSpecs, paperDiscriminator } from './model/discriminator.js';
export { inferenceModel } from './model/export.js';
export { type ImportOptions, type ImportedClassifier, importOnnx } from './model/onnx-import.js';
export { type GroupSpec, type MetricInfo, type Objective, type ObjectiveGraph, type StepContext, metricValue } from './objectives/objective.js';
export { type AdversarialOptions, DISCRIMINATOR_METRICS, adversarial } from './objectives/adversarial.js';
export { type TradesOptions, trades } from './objectives/trades.js';
export { REGIMES, type Regime, regimeSettings } from './objectives/regimes.js';
export {
  ATTACKS,
  type ApgdAttack,
  type AttackOf,
  type AttackSpec,
  type EnsembleAttack,
  type FabAttack,
  type GraphAttack,
  type Routine,
  type SquareAttack,
  type StepsAttack,
  type TargetMode,
  attackPoint,
  canonicalSettings,
  inBall,
  parseAttack,
  parseAttackList,
  reportRecord,
  withNorm,
} from './attacks/spec.js';
export { type StepRule, gradientSteps } from './attacks/steps.js';
export { apgd, apgdCheckpoints } from './attacks/apgd.js';
export { L2, LINF, NORMS, type Norm, type NormName } from './attacks/norms.js';
export { type Architecture, type Model, denseFirstOf, importedModel, maskedModel, networkArchitecture, networkModel, noisyModel, offerDenseFirst } from './eval/model.js';
export { type AttackProgram, type AttackResult, type Radius, compileAttack } from './eval/attack-runner.js';
export { type MinNormReport, minimumNorms } from './eval/min-norm.js';
export { AttackBench, type AttackCurve, type RobustnessReport, robustness } from './eval/robustness.js';
export { type MaskingCheck, type MaskingReport, maskingChecks } from './eval/masking.js';
export { type LogitsProgram, argmaxRow, compileLogits, softmaxRow } from './eval/predict.js';
export { checkModelFits } from './eval/fits.js';
export { type EvalJson, type MinNormJson } from './report/robustness.js';
export { type StepOptions, type TrainStep, compileStep, matmulFlops } from './train/step.js';
export { DEFAULT_CONFIG, dataShape, makeConfig, modelOf } from './train/config.js';
export { type EpochMetrics, type Progress, type TrainResult, train, trainingSplits } from './train/loop.js';
export { type Accuracies, type Validation, compileAccuracy, compileValidation } from './train/validation.js';
export type { Dataset, Split } from './data/dataset.js';
export { floatRows, imagesOf, take } from './data/selection.js';
export { type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from './io/checkpoint.js';
export { modelFiles } from './train/model-files.js';
export { DataError, type IdxArray, MAX_INFLATED, isGzip, parseIdx } from './data/idx.js';
export { datasetOf, splitFromIdx } from './data/dataset.js';
