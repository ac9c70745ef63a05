// ONNX protobuf pieces: tensors, value infos, attributes, and the Emitter that writes a graph's nodes.
import type { PoolAttrs } from './op-attrs.js';
import { ProtoWriter } from './protobuf.js';
import type { DType, Shape } from './tensor.js';

export const OPSET = 18;
export const IR_VERSION = 8;
export const ONNX_DTYPE: Record<DType, number> = { float32: 1, int64: 7, bool: 9, float64: 11 };
/** ONNX Runtime's blocked-layout (NCHWc) kernels, x86 builds of onnxruntime-node only. */
export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

export type Attr = { name: string } & ({ i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] } | { g: ProtoWriter });

/** A pooling window's ONNX attributes. ONNX's default strides are 1, not the kernel: always emitted. */
export function poolAttributes({ kernel, strides, pads }: Readonly<PoolAttrs>): Attr[] {
  return [
    { name: 'kernel_shape', ints: kernel },
    { name: 'strides', ints: strides },
    { name: 'pads', ints: pads },
  ];
}

export interface ValueInfo {
  name: string;
  shape: Shape;
  dtype: DType;
}

export interface EmittedModel {
  bytes: Uint8Array;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodeCount: number;
  /** Nodes per operator ('Conv', or 'com.microsoft.nchwc.Conv' outside ONNX's domain), subgraphs included. */
  opCounts: Record<string, number>;
}

/** Encode a tensor's values in ONNX raw (little-endian) layout. */
function rawData(dtype: DType, values: ArrayLike<number>): Uint8Array {
  switch (dtype) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

export function tensorProto(name: string, dtype: DType, dims: readonly number[], values: ArrayLike<number>): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of dims) w.int(1, d);
  return w.int(2, ONNX_DTYPE[dtype]).string(8, name).bytes(9, rawData(dtype, values));
}

export function valueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, ONNX_DTYPE[v.dtype]).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

function attribute(a: Attr): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ('i' in a) return w.int(3, a.i).int(20, 2);
  if ('f' in a) return w.float(2, a.f).int(20, 1);
  if ('s' in a) return w.string(4, a.s).int(20, 3);
  if ('g' in a) return w.message(6, a.g).int(20, 5);
  if ('floats' in a) {
    for (const v of a.floats) w.float(7, v);
    return w.int(20, 6);
  }
  for (const v of a.ints) w.int(8, v);
  return w.int(20, 7);
}

export class Emitter {
  readonly graph = new ProtoWriter();
  nodeCount = 0;
  private consts = new Map<string, string>();
  private tmp = 0;

  /** `prefix` keeps a subgraph's names apart from its outer graph's. */
  constructor(readonly prefix = '') {}

  /** Operator domains other than ONNX's own that the nodes use (the model imports them). */
  readonly domains = new Set<string>();
  /** Nodes emitted per operator (see EmittedModel.opCounts). */
  readonly opCounts: Record<string, number> = {};

  node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: readonly Attr[] = [], domain = ''): void {
    const w = new ProtoWriter();
    for (const i of inputs) w.string(1, i);
    for (const o of outputs) w.string(2, o);
    w.string(3, `${this.prefix}n${this.nodeCount++}_${op}`).string(4, op);
    for (const a of attrs) w.message(5, attribute(a));
    if (domain) {
      w.string(7, domain);
      this.domains.add(domain);
    }
    const key = domain ? `${domain}.${op}` : op;
    this.opCounts[key] = (this.opCounts[key] ?? 0) + 1;
    this.graph.message(1, w);
  }

  initializer(name: string, dtype: DType, dims: readonly number[], values: ArrayLike<number>): void {
    this.graph.message(5, tensorProto(name, dtype, dims, values));
  }

  /** A small shared constant (shapes, axes, scalars). */
  small(dtype: DType, dims: readonly number[], values: readonly number[]): string {
    const key = `${dtype}|${dims.join(',')}|${values.join(',')}`;
    let name = this.consts.get(key);
    if (!name) {
      name = `${this.prefix}c${this.consts.size}`;
      this.consts.set(key, name);
      this.initializer(name, dtype, dims, values);
    }
    return name;
  }

  temp(): string {
    return `${this.prefix}tmp${this.tmp++}`;
  }
}

/** The ModelProto of a finished graph, importing ONNX's opset and the domains its nodes use. */
export function finishModel(e: Emitter, inputs: ValueInfo[], outputs: ValueInfo[], graphName: string, domains: ReadonlySet<string> = e.domains): EmittedModel {
  e.graph.string(2, graphName);
  for (const i of inputs) e.graph.message(11, valueInfo(i));
  for (const o of outputs) e.graph.message(12, valueInfo(o));
  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'a3t')
    .string(3, '0.1.0')
    .message(7, e.graph)
    .message(8, new ProtoWriter().string(1, '').int(2, OPSET));
  for (const d of domains) model.message(8, new ProtoWriter().string(1, d).int(2, 1));
  return { bytes: model.finish(), inputs, outputs, nodeCount: e.nodeCount, opCounts: e.opCounts };
}
