// Reading a whole ONNX ModelProto into plain data: the interface, initializers decoded to numbers,
// and the nodes with their attributes. Every size is checked against the bytes before it is used.
import { type OnnxValue, OnnxFormatError, fields, readOnnxInfo } from './onnx-info.js';
import { readVarint } from './protobuf.js';

export interface OnnxTensor {
  name: string;
  /** ONNX TensorProto.DataType (1 float32, 6 int32, 7 int64, 11 float64, ...). */
  elemType: number;
  dims: number[];
  /** The values (int64 exact up to 2^53); null for element types a3t does not decode (float16, strings, ...). */
  values: Float64Array | null;
}

export type OnnxAttribute =
  | { kind: 'int' | 'float'; value: number }
  | { kind: 'ints' | 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: OnnxTensor }
  /** Graphs, sparse tensors, lists of strings or tensors: kept only by their ONNX AttributeType number. */
  | { kind: 'other'; type: number };

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  /** Input value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxGraph {
  opset: number;
  /** Graph inputs that are not initializers. */
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  initializers: OnnxTensor[];
  nodes: OnnxNode[];
}

/** The ONNX data types whose values are decoded, by element width in raw_data. */
const DECODED: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 11: 8, 12: 4, 13: 8 };

// readFields rounds varints to doubles, which loses the sign of negative int64 values (axis -1 is
// written as 2^64 − 1), and reads fixed64 doubles as integers: numbers are decoded from raw fields.
type RawField = { field: number; wire: number; bytes: Uint8Array };

/** The fields of a message readFields has accepted, each with its raw bytes (a varint's own bytes). */
function rawFields(msg: Uint8Array): RawField[] {
  const out: RawField[] = [];
  for (let at = 0; at < msg.length; ) {
    const [key, start] = readVarint(msg, at);
    const wire = key % 8;
    let end: number;
    let from = start;
    if (wire === 0) end = readVarint(msg, start)[1];
    else if (wire === 1 || wire === 5) end = start + (wire === 1 ? 8 : 4);
    else {
      const [n, next] = readVarint(msg, start);
      from = next;
      end = next + n;
    }
    out.push({ field: Math.floor(key / 8), wire, bytes: msg.subarray(from, end) });
    at = end;
  }
  return out;
}

/** Signed 64-bit varints, back to back (a packed field, or one value). */
function signedVarints(b: Uint8Array): number[] {
  const out: number[] = [];
  let v = 0n;
  let shift = 0n;
  for (const byte of b) {
    v |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (byte < 0x80) {
      out.push(Number(BigInt.asIntN(64, v)));
      v = 0n;
      shift = 0n;
    }
  }
  return out;
}

/** A repeated int field (packed or not) or a single one. */
const intsOf = (raw: RawField[], field: number): number[] => raw.filter((f) => f.field === field && (f.wire === 0 || f.wire === 2)).flatMap((f) => signedVarints(f.bytes));

/** A repeated float (width 4) or double (width 8) field, packed or not. */
function floatsOf(raw: RawField[], field: number, width: 4 | 8): number[] {
  const out: number[] = [];
  for (const f of raw) {
    if (f.field !== field || !(f.wire === 2 || f.wire === (width === 4 ? 5 : 1))) continue;
    if (f.bytes.length % width !== 0) throw new OnnxFormatError(`a packed ${width === 4 ? 'float' : 'double'} field holds ${f.bytes.length} bytes`);
    const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
    for (let i = 0; i < f.bytes.length; i += width) out.push(width === 4 ? view.getFloat32(i, true) : view.getFloat64(i, true));
  }
  return out;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const stringOf = (raw: RawField[], field: number): string | undefined => {
  const f = raw.find((x) => x.field === field && x.wire === 2);
  return f && text(f.bytes);
};
const messagesOf = (raw: RawField[], field: number) => raw.filter((f) => f.field === field && f.wire === 2).map((f) => f.bytes);
const intOf = (raw: RawField[], field: number): number | undefined => intsOf(raw, field).at(-1);

/** Decode a TensorProto after checking that it carries exactly the values its dims declare. */
export function readTensor(bytes: Uint8Array, what: string): OnnxTensor {
  fields(bytes, what);
  const raw = rawFields(bytes);
  const name = stringOf(raw, 8) ?? '';
  const fail = (why: string): never => {
    throw new OnnxFormatError(`${what}${name ? ` '${name}'` : ''} ${why}`);
  };
  if (messagesOf(raw, 13).length > 0 || intOf(raw, 14) === 1) fail('refers to external data files, which a3t does not read');
  const elemType = intOf(raw, 2) ?? 0;
  const dims = intsOf(raw, 1);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`has invalid dims [${dims.join(', ')}]`);
  const count = dims.reduce((a, d) => a * d, 1);
  const width = DECODED[elemType];
  if (!width) return { name, elemType, dims, values: null };
  const declared = `declares dims [${dims.join(', ')}] (${count} values)`;
  const data = messagesOf(raw, 9)[0];
  if (data) {
    if (data.length !== count * width) fail(`${declared} but carries ${data.length} bytes of ${width}-byte values`);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const values = new Float64Array(count);
    const signed = elemType !== 2 && elemType !== 4 && elemType !== 9 && elemType !== 12 && elemType !== 13;
    for (let i = 0; i < count; i++) {
      const at = i * width;
      if (elemType === 1) values[i] = view.getFloat32(at, true);
      else if (elemType === 11) values[i] = view.getFloat64(at, true);
      else if (width === 8) values[i] = Number(signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true));
      else if (width === 4) values[i] = signed ? view.getInt32(at, true) : view.getUint32(at, true);
      else if (width === 2) values[i] = signed ? view.getInt16(at, true) : view.getUint16(at, true);
      else values[i] = signed ? view.getInt8(at) : view.getUint8(at);
    }
    return { name, elemType, dims, values };
  }
  // Typed fields: float_data (4), int32_data (5, also for the narrow ints and bool), int64_data (7),
  // double_data (10), uint64_data (11).
  const typed = elemType === 1 ? floatsOf(raw, 4, 4) : elemType === 11 ? floatsOf(raw, 10, 8) : elemType === 7 ? intsOf(raw, 7) : elemType === 12 || elemType === 13 ? intsOf(raw, 11) : intsOf(raw, 5);
  if (typed.length !== count) fail(`${declared} but carries ${typed.length} values`);
  return { name, elemType, dims, values: Float64Array.from(typed) };
}

function readAttribute(bytes: Uint8Array, what: string): [string, OnnxAttribute] {
  fields(bytes, what);
  const raw = rawFields(bytes);
  const name = stringOf(raw, 1) ?? '';
  // Old writers may leave out the type: value fields 2..8 (f, i, s, t, g, floats, ints) are types 1..7.
  const type = intOf(raw, 20) ?? (raw.find((x) => x.field >= 2 && x.field <= 8)?.field ?? 1) - 1;
  const at = `${what} '${name}'`;
  switch (type) {
    case 1:
      return [name, { kind: 'float', value: floatsOf(raw, 2, 4).at(-1) ?? 0 }];
    case 2:
      return [name, { kind: 'int', value: intOf(raw, 3) ?? 0 }];
    case 3:
      return [name, { kind: 'string', value: stringOf(raw, 4) ?? '' }];
    case 4: {
      const t = messagesOf(raw, 5)[0];
      if (!t) throw new OnnxFormatError(`${at} is a tensor attribute without a tensor`);
      return [name, { kind: 'tensor', value: readTensor(t, `${at}: the tensor`) }];
    }
    case 6:
      return [name, { kind: 'floats', value: floatsOf(raw, 7, 4) }];
    case 7:
      return [name, { kind: 'ints', value: intsOf(raw, 8) }];
    default:
      return [name, { kind: 'other', type }];
  }
}

function readNode(bytes: Uint8Array, index: number): OnnxNode {
  const what = `node ${index}`;
  fields(bytes, what);
  const raw = rawFields(bytes);
  const attributes: Record<string, OnnxAttribute> = {};
  for (const a of messagesOf(raw, 5)) {
    const [k, v] = readAttribute(a, `${what}: attribute`);
    attributes[k] = v;
  }
  return {
    name: stringOf(raw, 3) ?? '',
    opType: stringOf(raw, 4) ?? '',
    domain: stringOf(raw, 7) ?? '',
    inputs: messagesOf(raw, 1).map(text),
    outputs: messagesOf(raw, 2).map(text),
    attributes,
  };
}

/**
 * The whole graph of an ONNX ModelProto. Refuses what a3t cannot read as ONNX Runtime would:
 * external data, sparse initializers, and operators outside the default domain.
 */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  const info = readOnnxInfo(bytes); // the interface, and every initializer's size, checked first
  const top = rawFields(bytes);
  const graph = messagesOf(top, 7)[0];
  fields(graph, 'the graph');
  const g = rawFields(graph);
  if (messagesOf(g, 15).length > 0) throw new OnnxFormatError('the graph has sparse initializers, which a3t does not read');
  const initializers = messagesOf(g, 5).map((b, i) => readTensor(b, `initializer ${i}`));
  const nodes = messagesOf(g, 1).map(readNode);
  nodes.forEach((n, i) => {
    if (!['', 'ai.onnx'].includes(n.domain)) throw new OnnxFormatError(`node ${n.name ? `'${n.name}'` : `#${i}`} (${n.opType}) is from operator domain '${n.domain}'; a3t imports the default ONNX domain only`);
  });
  return { opset: info.opset, inputs: info.inputs, outputs: info.outputs, initializers, nodes };
}
