// One training step as one compiled graph: (batch, labels, noise, params, optimizer state, step)
// → (params', state', metrics). Any objective, any optimizer per parameter group.
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import { type Key, fold, split, uniform } from '../engine/rng.js';
import { type Program, type TypedArray, compile } from '../engine/runtime.js';
import { type Tensor, elementCount } from '../engine/tensor.js';
import type { ModelConfig } from '../model/config.js';
import type { Pass } from '../model/layers.js';
import { network } from '../model/network.js';
import { type ParamGroup, flatGrad, initGroup, paramGroup, viewsOf } from '../nn/params.js';
import type { Objective, PartialGradient, TrainingClassifier } from '../objectives/objective.js';
import { type BatchStats, runningStats } from './stats.js';

export interface StepOptions {
  objective: Objective;
  model: ModelConfig;
  batchSize: number;
  /** Most steps one session run may take (the state stays inside ONNX Runtime between them). */
  maxSteps?: number;
  threads?: number;
  profilePrefix?: string;
  /** How convolutions are emitted (see CompileOptions.convolutions). */
  convolutions?: 'auto' | 'standard';
}

export interface TrainStep {
  readonly program: Program;
  /** The objective's parameter groups and, for a network with batch norm, its running statistics ('stats'). */
  readonly groups: Readonly<Record<string, ParamGroup>>;
  /** The traced single step: per-step metrics and the next value of each state input. */
  readonly graph: { metrics: Readonly<Record<string, Tensor>>; state: Readonly<Record<string, Tensor>> };
  /** The graph's matmul FLOPs per step. */
  readonly flops: number;
  readonly maxSteps: number;
  /** The uniform noise inputs, in order: step i fills the j-th from fold(keys[i], j). */
  readonly noiseInputs: ReadonlyArray<{ name: string; size: number }>;
  /** Fresh parameters from `key`; optimizer state zeroed; the update count reset. */
  init(key: Key): void;
  /**
   * keys.length consecutive updates (at most maxSteps) in one session run: x holds that many batches
   * back to back, y their labels; keys[i] drives step i's noise (dropout). Returns each metric per step.
   */
  run(x: Float32Array, y: BigInt64Array, keys: readonly Key[]): Promise<Record<string, Float32Array>>;
  /** Updates done so far. */
  readonly count: number;
  /** Continue a run after `count` updates (with its parameters and optimizer state already set). */
  setCount(count: number): void;
}

const stateName = (group: string, slot: string) => `${group}.${slot}`;

/** The state vector of a network's running statistics. */
export const STATS = 'stats';

export function matmulFlops(roots: readonly Tensor[]): number {
  let f = 0;
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    if (t.op === 'matmul') {
      const [a] = t.inputs;
      const k = (t.attrs.transA ? a.shape[0] : a.shape[1]) as number;
      f += 2 * (t.shape[0] as number) * (t.shape[1] as number) * k;
    }
    stack.push(...t.inputs);
  }
  return f;
}

/** One training step traced as a graph: its inputs are named by `named` (the identity for a lone model). */
export interface TracedStep {
  groups: Record<string, ParamGroup>;
  state: Record<string, Tensor>;
  metrics: Record<string, Tensor>;
  noiseInputs: Array<{ name: string; size: number }>;
  slotInputs: Record<string, Tensor>;
}

/**
 * Trace one step. `named` maps each input's name to the graph's (a prefix per model when several
 * models share one graph); groups, state and metrics stay keyed by the plain names.
 */
export function traceStep(opts: Pick<StepOptions, 'objective' | 'model' | 'batchSize'>, named: (name: string) => string = (n) => n): TracedStep {
  const { objective, model, batchSize } = opts;
  const net = network(model.classifier);
  const declared = objective.groups(model);
  const groups: Record<string, ParamGroup> = {};
  for (const [name, g] of Object.entries(declared)) groups[name] = paramGroup(named(name), g.specs);
  if (!groups.classifier) throw new RangeError(`objective '${objective.name}' declares no 'classifier' group`);
  // Running statistics are state that the forward pass updates, not an optimizer.
  const stats = net.stats.length > 0 ? paramGroup(named(STATS), net.stats) : undefined;
  const x = o.input(named('x'), [batchSize, net.features]);
  const y = o.input(named('y'), [batchSize], 'int64');
  const onehot = o.oneHot(y, net.classes);
  const step = o.input(named('step'), []);
  const noiseInputs: Array<{ name: string; size: number }> = [];
  const flats: Record<string, Tensor> = {};
  const slots: Record<string, Record<string, Tensor>> = {};
  const slotInputs: Record<string, Tensor> = {};
  for (const [name, g] of Object.entries(groups)) {
    flats[name] = g.flat;
    slots[name] = {};
    for (const slot of declared[name].optimizer.slots) slots[name][slot] = slotInputs[stateName(name, slot)] = o.input(named(stateName(name, slot)), [g.size]);
  }
  const inner = Object.entries(declared).filter(([g, d]) => {
    const n = d.updates ?? 1;
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`updates per step of '${g}' must be a positive integer, got ${n}`);
    return n > 1;
  });
  if (inner.length > 1) throw new RangeError(`updates per step: only one group may take several updates per step, got ${inner.map(([g]) => g).join(', ')}`);
  const [innerGroup, rounds] = inner[0] ? [inner[0][0], inner[0][1].updates!] : ['', 1];
  // The views each round's objective was built on: gradients must be taken with respect to these.
  let views: Record<string, Record<string, Tensor>> = {};
  let recorded: BatchStats = {};
  const build = (round: number) => {
    views = Object.fromEntries(Object.entries(groups).map(([n, g]) => [n, viewsOf(g, flats[n])]));
    const noise = (name: string, shape: number[]) => {
      const full = named(round === rounds - 1 ? `noise.${name}` : `noise.r${round}.${name}`);
      noiseInputs.push({ name: full, size: elementCount(shape) });
      return o.input(full, shape);
    };
    // One dropout mask per layer per step, shared by every pass over the batch.
    const masks = new Map<string, Tensor>();
    recorded = {};
    const pass = (withStats: boolean): Pass => ({
      train: {
        noise: (layer, shape) => masks.get(layer) ?? masks.set(layer, noise(`dropout.${layer}`, shape)).get(layer)!,
        record: withStats ? (layer, mean, variance, count) => (recorded[layer] = { mean, variance, count }) : undefined,
      },
    });
    const w = { params: views.classifier, stats: stats?.views };
    const classifier: TrainingClassifier = {
      encode: (v, opts) => net.encode(w, v, pass(!!opts?.stats)),
      residual: (z) => net.residual(w, z, pass(false)),
      logits: (v, opts) => net.logits(w, v, pass(!!opts?.stats)),
    };
    return objective.build({ model, x, y, onehot, params: views, classifier, noise, step });
  };
  /** One optimizer update of `name` on `loss` (or on the partial gradient), as its k-th update this step. */
  const update = (name: string, loss: Tensor, part: PartialGradient | undefined, k: number) => {
    const g = groups[name];
    const names = g.specs.map((s) => s.name);
    const vs = names.map((n) => views[name][n]);
    const gflat = flatGrad(g, part ? grad(part.rest, vs, names.map((n) => part.known[n])) : grad(loss, vs));
    const n = name === innerGroup ? rounds : 1;
    const count = n === 1 ? step : o.add(o.mul(o.sub(step, 1), n), k);
    const next = declared[name].optimizer.update(flats[name], gflat, slots[name], count);
    flats[name] = next.params;
    slots[name] = next.state;
  };
  for (let r = 0; r < rounds - 1; r++) {
    const { losses } = build(r);
    update(innerGroup, losses[innerGroup], undefined, r + 1);
  }
  const { losses, metrics, partial = {} } = build(rounds - 1);
  for (const name of Object.keys(groups)) {
    if (!losses[name]) throw new RangeError(`objective '${objective.name}' gave no loss for parameter group '${name}'`);
    update(name, losses[name], partial[name], rounds);
  }
  const state: Record<string, Tensor> = {};
  for (const name of Object.keys(groups)) {
    state[name] = flats[name];
    for (const slot of declared[name].optimizer.slots) state[stateName(name, slot)] = slots[name][slot];
  }
  if (stats) {
    state[STATS] = runningStats(net, stats, recorded);
    groups[STATS] = stats;
  }
  return { groups, state, metrics, noiseInputs, slotInputs };
}

/** Each group's initial values from `key`, by input name, as `TrainStep.init` sets them (optimizer slots start at zero). */
export function initialValues(groups: Readonly<Record<string, ParamGroup>>, key: Key): Record<string, Float32Array> {
  const keys = split(key, Object.keys(groups).length);
  return Object.fromEntries(Object.values(groups).map((g, i) => [g.name, initGroup(g, keys[i])]));
}

/**
 * `count` models' steps side by side, to compile as one graph: model m's inputs are prefixed `m<m>/`, and
 * so are its entries in the merged `state` and `metrics`.
 */
export function traceModels(opts: Pick<StepOptions, 'objective' | 'model' | 'batchSize'>, count: number) {
  const state: Record<string, Tensor> = {};
  const metrics: Record<string, Tensor> = {};
  const models = Array.from({ length: count }, (_, m) => {
    const named = (n: string) => `m${m}/${n}`;
    const t = traceStep(opts, named);
    for (const [k, v] of Object.entries(t.state)) state[named(k)] = v;
    for (const [k, v] of Object.entries(t.metrics)) metrics[named(k)] = v;
    return { ...t, named };
  });
  return { state, metrics, models };
}

export async function compileStep(opts: StepOptions): Promise<TrainStep> {
  const { batchSize, maxSteps = 16 } = opts;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  if (!(Number.isInteger(maxSteps) && maxSteps > 0)) throw new RangeError(`steps per run must be a positive integer, got ${maxSteps}`);
  const { groups, state, metrics, noiseInputs, slotInputs } = traceStep(opts);
  const xSize = batchSize * network(opts.model.classifier).features;
  const metricNames = Object.keys(metrics).sort();
  const program = await compile({ outputs: metrics, state, threads: opts.threads, profilePrefix: opts.profilePrefix, loop: true, convolutions: opts.convolutions });
  const noiseBuffers = noiseInputs.map((n) => new Float32Array(n.size * maxSteps));
  const stepBuf = new Float32Array(maxSteps);
  const usesStep = program.feeds.some((f) => f.name === 'step');
  // A noise input the graph does not read is not fed (ONNX Runtime would refuse it); indices stay put.
  const usedNoise = new Set(program.feeds.map((f) => f.name));
  let count = 0;
  return {
    program,
    groups,
    graph: { metrics, state },
    flops: matmulFlops(Object.values(state)),
    maxSteps,
    noiseInputs,
    get count() {
      return count;
    },
    setCount(n) {
      if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`update count must be a non-negative integer, got ${n}`);
      count = n;
    },
    init(key) {
      for (const [n, v] of Object.entries(initialValues(groups, key))) program.setState(n, v);
      for (const n of Object.keys(slotInputs)) program.setState(n, new Float32Array(program.state(n).length));
      count = 0;
    },
    async run(xs, ys, keys) {
      const k = keys.length;
      if (k < 1 || k > maxSteps) throw new RangeError(`run takes 1..${maxSteps} steps, got ${k}`);
      if (xs.length !== k * xSize || ys.length !== k * batchSize)
        throw new RangeError(`run: ${k} steps need ${k * xSize} inputs and ${k * batchSize} labels, got ${xs.length} and ${ys.length}`);
      const feeds: Record<string, TypedArray> = { x: xs, y: ys };
      if (usesStep) feeds.step = stepBuf.subarray(0, k);
      for (let i = 0; i < k; i++) stepBuf[i] = count + i + 1;
      noiseInputs.forEach((n, j) => {
        if (!usedNoise.has(n.name)) return;
        const buf = noiseBuffers[j];
        for (let i = 0; i < k; i++) uniform(fold(keys[i], j), n.size, buf.subarray(i * n.size, (i + 1) * n.size));
        feeds[n.name] = buf.subarray(0, k * n.size);
      });
      const out = await program.run(feeds);
      count += k;
      const m: Record<string, Float32Array> = {};
      for (const n of metricNames) m[n] = out[n] as Float32Array;
      return m;
    },
  };
}
