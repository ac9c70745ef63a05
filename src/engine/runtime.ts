// Programs: a traced graph compiled once into an ONNX Runtime session of the active backend, run with
// checked feeds. Where the backend allows, outputs are pre-allocated and persistent state ping-pongs
// between two buffer sets; elsewhere (onnxruntime-web) each run's state outputs become the next inputs.
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { type Backend, activeBackend } from './backend.js';
import { blockProbe } from './nchwc.js';
import { type EmittedModel, type ValueInfo, emitLoopOnnx, emitOnnx } from './onnx.js';
import { type DType, type Shape, type Tensor, ShapeError, showShape, staticSize } from './tensor.js';

export type TypedArray = Float32Array | Float64Array | BigInt64Array | Uint8Array;
const ARRAY: Record<DType, { new (n: number): TypedArray; name: string }> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

export interface CompileOptions {
  /** Results returned by every run, by name. */
  outputs?: Readonly<Record<string, Tensor>>;
  /** Persistent state: input name → the tensor holding its next value. */
  state?: Readonly<Record<string, Tensor>>;
  /** Intra-op threads (default: all cores under Node; the page's setting on the web). */
  threads?: number;
  /** ONNX Runtime's graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Write ONNX Runtime's JSON profile with this file prefix (Node only). */
  profilePrefix?: string;
  /**
   * Run the graph once per row of stacked inputs inside one session run (an ONNX Loop), carrying the
   * state between steps without leaving ONNX Runtime. Every non-state input is then fed stacked,
   * shape ['steps', ...shape], and every output comes back stacked the same way.
   */
  loop?: boolean;
  /**
   * How convolutions are emitted: 'auto' (default) uses ONNX Runtime's blocked (NCHWc) kernels where the
   * backend has them (onnxruntime-node on x86), 'standard' only standard ONNX operators. Both compute the
   * same functions; they differ in float rounding.
   */
  convolutions?: 'auto' | 'standard';
}

const nextName = (name: string) => `${name}__next`;

export class FeedError extends Error {
  override name = 'FeedError';
}

function describe(v: ValueInfo): string {
  return `${v.dtype} ${showShape(v.shape)}`;
}

/** Resolve a named-dim shape given a flat length; null when it cannot fit. */
function fitShape(shape: Shape, length: number, dims: Map<string, number>): number[] | null {
  let known = 1;
  let open: string | null = null;
  for (const d of shape) {
    if (typeof d === 'number') known *= d;
    else if (dims.has(d)) known *= dims.get(d)!;
    else if (open === null || open === d) {
      if (open === d) return null; // the same unbound name twice: ambiguous
      open = d;
    } else return null;
  }
  if (open === null) return known === length ? (shape.map((d) => (typeof d === 'number' ? d : dims.get(d)!)) as number[]) : null;
  if (known === 0 || length % known !== 0) return null;
  dims.set(open, length / known);
  return shape.map((d) => (typeof d === 'number' ? d : dims.get(d)!));
}

export class Program {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Inputs the caller feeds on each run (all inputs but the state). */
  readonly feeds: readonly ValueInfo[];
  /** Inputs that carry state from run to run (fed from, and written back to, the state buffers). */
  readonly stateNames: readonly string[];
  /** Per state input: two buffers that ping-pong, or one that each run replaces (no pre-allocation). */
  private readonly buffers = new Map<string, OrtTensor[]>();
  private readonly outTensors = new Map<string, OrtTensor | null>();
  private flip = 0;

  /** Use `compile`. */
  constructor(
    private readonly session: InferenceSession,
    model: EmittedModel,
    stateNames: readonly string[],
    readonly nodeCount: number,
    readonly backend: Backend,
    /** Nodes per operator in the compiled model (blocked convolutions show as 'com.microsoft.nchwc.Conv'). */
    readonly opCounts: Readonly<Record<string, number>>,
    private readonly profilePrefix?: string,
  ) {
    this.inputs = model.inputs;
    this.outputs = model.outputs.filter((o) => !o.name.endsWith('__next'));
    this.stateNames = stateNames;
    this.feeds = model.inputs.filter((i) => !stateNames.includes(i.name));
    const { Tensor } = backend.ort;
    for (const name of stateNames) {
      const info = model.inputs.find((i) => i.name === name)!;
      const n = staticSize(info.shape)!;
      const make = () => new Tensor(info.dtype, new ARRAY[info.dtype](n) as never, info.shape as number[]);
      this.buffers.set(name, backend.preallocate ? [make(), make()] : [make()]);
    }
    if (!backend.preallocate) return;
    for (const o of this.outputs) {
      const n = staticSize(o.shape);
      this.outTensors.set(o.name, n === null ? null : new Tensor(o.dtype, new ARRAY[o.dtype](n) as never, o.shape as number[]));
    }
  }

  /** The current value of a state buffer (a live view: copy it to keep it). */
  state(name: string): TypedArray {
    const bufs = this.buffers.get(name);
    if (!bufs) throw new FeedError(`no state named '${name}'; state: ${this.stateNames.join(', ') || '(none)'}`);
    return bufs[this.flip % bufs.length].data as TypedArray;
  }

  setState(name: string, values: ArrayLike<number> | ArrayLike<bigint>): void {
    const cur = this.state(name);
    if (values.length !== cur.length) throw new FeedError(`state '${name}': ${values.length} values given, expected ${cur.length}`);
    cur.set(values as never);
  }

  private checkFeeds(feeds: Readonly<Record<string, TypedArray>>): Record<string, OrtTensor> {
    const dims = new Map<string, number>();
    const out: Record<string, OrtTensor> = {};
    for (const name of Object.keys(feeds)) {
      if (!this.feeds.some((f) => f.name === name)) {
        const why = this.stateNames.includes(name) ? 'it is state, set with setState' : `expected one of: ${this.feeds.map((f) => f.name).join(', ')}`;
        throw new FeedError(`unknown feed '${name}' (${why})`);
      }
    }
    for (const f of this.feeds) {
      const v = feeds[f.name];
      if (v === undefined) throw new FeedError(`missing feed '${f.name}': expected ${describe(f)}`);
      const Want = ARRAY[f.dtype];
      if (!(v instanceof Want)) throw new FeedError(`feed '${f.name}' is a ${v?.constructor?.name ?? typeof v}, expected a ${Want.name} for ${describe(f)}`);
      const shape = fitShape(f.shape, v.length, dims);
      if (!shape) throw new FeedError(`feed '${f.name}' has ${v.length} elements, expected ${describe(f)}${dims.size ? ` with ${[...dims].map(([k, d]) => `${k}=${d}`).join(', ')}` : ''}`);
      out[f.name] = new this.backend.ort.Tensor(f.dtype, v as never, shape);
    }
    return out;
  }

  /** One run: feeds by name; returns the outputs (arrays a later run may overwrite: copy what you keep). */
  async run(feeds: Readonly<Record<string, TypedArray>>): Promise<Record<string, TypedArray>> {
    const ortFeeds = this.checkFeeds(feeds);
    const out: Record<string, TypedArray> = {};
    if (!this.backend.preallocate) {
      for (const [name, [cur]] of this.buffers) ortFeeds[name] = cur;
      const fetches = [...this.outputs.map((o) => o.name), ...this.stateNames.map(nextName)];
      const res = await this.sessionRun(ortFeeds, fetches);
      for (const [name, bufs] of this.buffers) bufs[0] = res[nextName(name)];
      for (const o of this.outputs) out[o.name] = res[o.name].data as TypedArray;
      return out;
    }
    const fetches: Record<string, OrtTensor | null> = {};
    const cur = this.flip;
    for (const [name, pair] of this.buffers) {
      ortFeeds[name] = pair[cur];
      fetches[nextName(name)] = pair[1 - cur];
    }
    for (const [name, t] of this.outTensors) fetches[name] = t;
    const res = await this.sessionRun(ortFeeds, fetches as InferenceSession.FetchesType);
    this.flip = 1 - cur;
    for (const o of this.outputs) out[o.name] = res[o.name].data as TypedArray;
    return out;
  }

  private sessionRun(feeds: Record<string, OrtTensor>, fetches: InferenceSession.FetchesType): Promise<InferenceSession.ReturnType> {
    const run = () => this.session.run(feeds, fetches);
    return this.backend.serialize ? this.backend.serialize(run) : run();
  }

  /** End profiling (when compiled with profilePrefix); returns the profile file. */
  endProfiling(): string {
    this.session.endProfiling();
    if (!this.profilePrefix) throw new Error('endProfiling: the program was compiled without profilePrefix');
    if (!this.backend.profileFile) throw new Error(`endProfiling: profiles are written to files only by onnxruntime-node, not ${this.backend.name}`);
    return this.backend.profileFile(this.profilePrefix);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

const blockSizes = new WeakMap<Backend, Promise<number>>();

/**
 * The NCHWc block size of the backend's blocked convolution kernels (8 with AVX2, 16 with AVX-512), read
 * from the runtime itself by reordering a 4-channel tensor; 0 where it has none.
 */
export function blockSize(backend: Backend): Promise<number> {
  let known = blockSizes.get(backend);
  if (!known) {
    known = (async () => {
      if (!backend.blockedKernels) return 0;
      try {
        const session = await backend.ort.InferenceSession.create(blockProbe().bytes, backend.sessionOptions(1));
        const out = await session.run({ x: new backend.ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
        await session.release();
        const block = out.y.dims[1];
        return block >= 8 && (block & (block - 1)) === 0 ? block : 0;
      } catch {
        return 0;
      }
    })();
    blockSizes.set(backend, known);
  }
  return known;
}

/** Trace → ONNX → session. State inputs must have static shapes. */
export async function compile(opts: CompileOptions): Promise<Program> {
  const outputs: Record<string, Tensor> = { ...(opts.outputs ?? {}) };
  const state = opts.state ?? {};
  for (const name of Object.keys(state)) if (name in outputs) throw new ShapeError(`compile: '${name}' is both state and an output`);
  const backend = await activeBackend();
  const lowering = { block: opts.convolutions === 'standard' ? 0 : await blockSize(backend) };
  let model: EmittedModel;
  if (opts.loop) model = emitLoopOnnx({ outputs, carried: state }, undefined, lowering);
  else {
    for (const [name, next] of Object.entries(state)) outputs[nextName(name)] = next;
    model = emitOnnx(outputs, undefined, lowering);
  }
  for (const [name, next] of Object.entries(state)) {
    const info = model.inputs.find((i) => i.name === name);
    if (!info) throw new ShapeError(`compile: state '${name}' is not an input the outputs depend on`);
    if (info.dtype !== next.dtype || info.shape.join() !== next.shape.join() || staticSize(info.shape) === null)
      throw new ShapeError(`compile: state '${name}' is ${describe(info)} but its next value is ${next.dtype} ${showShape(next.shape)} (both must match and be static)`);
  }
  const threads = opts.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`compile: threads must be a positive integer, got ${threads}`);
  const session = await backend.ort.InferenceSession.create(model.bytes, {
    ...backend.sessionOptions(threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    enableProfiling: !!opts.profilePrefix,
    profileFilePrefix: opts.profilePrefix,
  });
  return new Program(session, model, Object.keys(state), model.nodeCount, backend, model.opCounts, opts.profilePrefix);
}
