// a3t's public API: the engine (trace, differentiate, compile, run), optimizers, the paper's model,
// objectives and the compiled training step.
export * from './engine/ops.js';
export { type DType, type Dim, type Shape, type Tensor, ShapeError, topoSort } from './engine/tensor.js';
export { grad, valueAndGrad } from './engine/grad.js';
export { type CompileOptions, FeedError, Program, type TypedArray, compile } from './engine/runtime.js';
export { type EmittedModel, type ValueInfo, emitLoopOnnx, emitOnnx, OPSET } from './engine/onnx.js';
export { type Feed, type NDArray, evaluate } from './engine/reference.js';
export * as rng from './engine/rng.js';
export { type Optimizer } from './optim/optimizer.js';
export { type AdamOptions, adam } from './optim/adam.js';
export { type SgdOptions, sgd } from './optim/sgd.js';
export { type ParamGroup, type ParamSpec, flatGrad, initGroup, paramGroup, paramValues } from './nn/params.js';
export { dropout, linear, linearSpecs } from './nn/layers.js';
export * as init from './nn/init.js';
export { type ClassifierConfig, PAPER_CLASSIFIER, classifierSpecs, encode, featureSize, logits, residual } from './model/classifier.js';
export { type DiscriminatorConfig, discriminate, discriminatorSpecs, paperDiscriminator } from './model/discriminator.js';
export { type ModelConfig, type Objective, type ObjectiveGraph, type StepContext } from './objectives/objective.js';
export { type AdversarialOptions, adversarial } from './objectives/adversarial.js';
export { fgsm, fgsmFromGradient } from './attacks/fgsm.js';
export { type StepOptions, type TrainStep, compileStep, matmulFlops } from './train/step.js';
