// Programs: a traced graph compiled once into an ONNX Runtime session, run with checked feeds
// and pre-allocated outputs; persistent state ping-pongs between two buffer sets.
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
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
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** ONNX Runtime's graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Write ONNX Runtime's JSON profile with this file prefix. */
  profilePrefix?: string;
  /**
   * Run the graph once per row of stacked inputs inside one session run (an ONNX Loop), carrying the
   * state between steps without leaving ONNX Runtime. Every non-state input is then fed stacked,
   * shape ['steps', ...shape], and every output comes back stacked the same way.
   */
  loop?: boolean;
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
  private readonly session: ort.InferenceSession;
  /** Inputs that carry state from run to run (fed from, and written back to, the ping-pong buffers). */
  readonly stateNames: readonly string[];
  private readonly buffers = new Map<string, [ort.Tensor, ort.Tensor]>();
  private readonly outTensors = new Map<string, ort.Tensor | null>();
  private flip = 0;

  /** Use `compile`. */
  constructor(session: ort.InferenceSession, model: EmittedModel, stateNames: readonly string[], readonly nodeCount: number, private readonly profilePrefix?: string) {
    this.session = session;
    this.inputs = model.inputs;
    this.outputs = model.outputs.filter((o) => !o.name.endsWith('__next'));
    this.stateNames = stateNames;
    this.feeds = model.inputs.filter((i) => !stateNames.includes(i.name));
    for (const name of stateNames) {
      const info = model.inputs.find((i) => i.name === name)!;
      const n = staticSize(info.shape)!;
      const make = () => new ort.Tensor(info.dtype, new ARRAY[info.dtype](n) as never, info.shape as number[]);
      this.buffers.set(name, [make(), make()]);
    }
    for (const o of this.outputs) {
      const n = staticSize(o.shape);
      this.outTensors.set(o.name, n === null ? null : new ort.Tensor(o.dtype, new ARRAY[o.dtype](n) as never, o.shape as number[]));
    }
  }

  /** The current value of a state buffer (a live view: copy it to keep it). */
  state(name: string): TypedArray {
    const pair = this.buffers.get(name);
    if (!pair) throw new FeedError(`no state named '${name}'; state: ${this.stateNames.join(', ') || '(none)'}`);
    return pair[this.flip].data as TypedArray;
  }

  setState(name: string, values: ArrayLike<number> | ArrayLike<bigint>): void {
    const cur = this.state(name);
    if (values.length !== cur.length) throw new FeedError(`state '${name}': ${values.length} values given, expected ${cur.length}`);
    cur.set(values as never);
  }

  private checkFeeds(feeds: Readonly<Record<string, TypedArray>>): Record<string, ort.Tensor> {
    const dims = new Map<string, number>();
    const out: Record<string, ort.Tensor> = {};
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
      out[f.name] = new ort.Tensor(f.dtype, v as never, shape);
    }
    return out;
  }

  /** One run: feeds by name; returns the outputs (pre-allocated arrays, overwritten by the next run). */
  async run(feeds: Readonly<Record<string, TypedArray>>): Promise<Record<string, TypedArray>> {
    const ortFeeds = this.checkFeeds(feeds);
    const fetches: Record<string, ort.Tensor | null> = {};
    const cur = this.flip;
    for (const [name, pair] of this.buffers) {
      ortFeeds[name] = pair[cur];
      fetches[nextName(name)] = pair[1 - cur];
    }
    for (const [name, t] of this.outTensors) fetches[name] = t;
    const res = await this.session.run(ortFeeds, fetches as ort.InferenceSession.FetchesType);
    this.flip = 1 - cur;
    const out: Record<string, TypedArray> = {};
    for (const o of this.outputs) out[o.name] = res[o.name].data as TypedArray;
    return out;
  }

  /** End profiling (when compiled with profilePrefix); returns the profile file. */
  endProfiling(): string {
    (this.session as unknown as { endProfiling(): void }).endProfiling();
    // onnxruntime-node returns nothing: the file is the newest `<prefix>_<date>.json`.
    const prefix = this.profilePrefix ?? '';
    const dir = dirname(prefix);
    const files = readdirSync(dir).filter((f) => join(dir, f).startsWith(`${prefix}_`) && f.endsWith('.json'));
    if (!files.length) throw new Error(`no ONNX Runtime profile found with prefix ${prefix}`);
    return join(dir, files.sort().at(-1)!);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Trace → ONNX → session. State inputs must have static shapes. */
export async function compile(opts: CompileOptions): Promise<Program> {
  const outputs: Record<string, Tensor> = { ...(opts.outputs ?? {}) };
  const state = opts.state ?? {};
  for (const name of Object.keys(state)) if (name in outputs) throw new ShapeError(`compile: '${name}' is both state and an output`);
  let model: EmittedModel;
  if (opts.loop) model = emitLoopOnnx({ outputs, carried: state });
  else {
    for (const [name, next] of Object.entries(state)) outputs[nextName(name)] = next;
    model = emitOnnx(outputs);
  }
  for (const [name, next] of Object.entries(state)) {
    const info = model.inputs.find((i) => i.name === name);
    if (!info) throw new ShapeError(`compile: state '${name}' is not an input the outputs depend on`);
    if (info.dtype !== next.dtype || info.shape.join() !== next.shape.join() || staticSize(info.shape) === null)
      throw new ShapeError(`compile: state '${name}' is ${describe(info)} but its next value is ${next.dtype} ${showShape(next.shape)} (both must match and be static)`);
  }
  const threads = opts.threads ?? os.availableParallelism();
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`compile: threads must be a positive integer, got ${threads}`);
  const session = await ort.InferenceSession.create(model.bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    enableProfiling: !!opts.profilePrefix,
    profileFilePrefix: opts.profilePrefix,
  });
  return new Program(session, model, Object.keys(state), model.nodeCount, opts.profilePrefix && resolve(opts.profilePrefix));
}
