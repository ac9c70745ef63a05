// Reading back an ONNX model's interface without running it: its graph inputs and outputs with their
// element types and shapes; every initializer's declared size checked against the data it carries.
import { ProtoError, type ProtoField, readFields, readPackedVarints } from './protobuf.js';
import { A3tError } from '../errors.js';

/** Bytes that are not a usable ONNX model; the message says what is wrong. */
export class OnnxFormatError extends A3tError {
  constructor(message: string) {
    super('input', message);
  }
}

export interface OnnxValue {
  name: string;
  /** ONNX TensorProto.DataType (1 float32, 7 int64, 11 float64, ...); 0 when not a tensor. */
  elemType: number;
  /** Fixed sizes as numbers, symbolic ones by name, unknown ones as '?'. */
  dims: Array<number | string>;
}

export interface OnnxInfo {
  irVersion: number;
  /** Version of the default ('ai.onnx') operator set. */
  opset: number;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  initializers: number;
}

/** Bytes per element by ONNX data type (strings and complex types are not supported). */
const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
export const ONNX_TYPE_NAMES: Record<number, string> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };

/** The fields of a message, a protobuf error reported as an OnnxFormatError about `what`. */
export function fields(bytes: Uint8Array, what: string): ProtoField[] {
  try {
    return readFields(bytes);
  } catch (e) {
    if (e instanceof ProtoError) throw new OnnxFormatError(`${what} is not valid protobuf (${e.message})`);
    throw e;
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytesOf = (fs: ProtoField[], field: number) => fs.filter((f): f is ProtoField & { wire: 2 } => f.field === field && f.wire === 2).map((f) => f.bytes);
const numberOf = (fs: ProtoField[], field: number) => fs.find((f): f is ProtoField & { wire: 0 } => f.field === field && f.wire === 0)?.value;
const stringOf = (fs: ProtoField[], field: number) => bytesOf(fs, field).map(text)[0];

/** A repeated int64 field, packed or not. */
function ints(fs: ProtoField[], field: number): number[] {
  return fs.flatMap((f) => (f.field !== field ? [] : f.wire === 0 ? [f.value] : f.wire === 2 ? readPackedVarints(f.bytes) : []));
}

function valueInfo(b: Uint8Array, what: string): OnnxValue {
  const f = fields(b, what);
  const name = stringOf(f, 1) ?? '';
  const tensor = bytesOf(f, 2).map((t) => bytesOf(fields(t, `${what} '${name}' type`), 1)[0])[0];
  if (!tensor) return { name, elemType: 0, dims: [] };
  const t = fields(tensor, `${what} '${name}' tensor type`);
  const shape = bytesOf(t, 2)[0];
  const dims = shape
    ? bytesOf(fields(shape, `${what} '${name}' shape`), 1).map((d) => {
        const df = fields(d, `${what} '${name}' dimension`);
        return numberOf(df, 1) ?? stringOf(df, 2) ?? '?';
      })
    : [];
  return { name, elemType: numberOf(t, 1) ?? 0, dims };
}

/** Checks one initializer: known element type, valid dims, and exactly the data its dims declare. */
function checkInitializer(b: Uint8Array, index: number): string {
  const f = fields(b, `initializer ${index}`);
  const name = stringOf(f, 8) ?? `#${index}`;
  const fail = (why: string): never => {
    throw new OnnxFormatError(`initializer '${name}' ${why}`);
  };
  if (bytesOf(f, 13).length > 0 || numberOf(f, 14) === 1) fail('refers to external data files, which a3t does not read');
  const type = numberOf(f, 2) ?? 0;
  const size = ELEMENT_BYTES[type];
  if (!size) fail(`has unsupported data type ${type}`);
  const dims = ints(f, 1);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`has invalid dims [${dims.join(', ')}]`);
  const count = dims.reduce((a, d) => a * d, 1);
  const declared = `declares dims [${dims.join(', ')}] (${count} values of ${size} bytes)`;
  const raw = bytesOf(f, 9)[0];
  if (raw) {
    if (raw.length !== count * size) fail(`${declared} but carries ${raw.length} bytes`);
    return name;
  }
  // Typed fields: float_data (4), int32_data (5), int64_data (7), double_data (10), uint64_data (11).
  const width: Record<number, number> = { 4: 4, 10: 8 };
  const typed = f.filter((x) => [4, 5, 7, 10, 11].includes(x.field));
  const carried = typed.reduce((n, x) => n + (x.wire !== 2 ? 1 : width[x.field] ? x.bytes.length / width[x.field] : readPackedVarints(x.bytes).length), 0);
  if (carried !== count) fail(`${declared} but carries ${carried} values`);
  return name;
}

/** The interface of an ONNX ModelProto, after checking that it is one and that its initializers are whole. */
export function readOnnxInfo(bytes: Uint8Array): OnnxInfo {
  try {
    return parseModel(bytes);
  } catch (e) {
    if (e instanceof ProtoError) throw new OnnxFormatError(`not valid protobuf (${e.message})`);
    throw e;
  }
}

function parseModel(bytes: Uint8Array): OnnxInfo {
  const top = fields(bytes, 'not an ONNX model: the file');
  const irVersion = numberOf(top, 1);
  const graph = bytesOf(top, 7)[0];
  if (!irVersion || !graph) throw new OnnxFormatError('not an ONNX model (a ModelProto has an ir_version and a graph)');
  const opsets = bytesOf(top, 8).map((b) => fields(b, 'opset_import'));
  const opset = opsets.find((o) => ['', 'ai.onnx'].includes(stringOf(o, 1) ?? ''));
  const version = opset && numberOf(opset, 2);
  if (!version) throw new OnnxFormatError('imports no version of the default ONNX operator set');
  const g = fields(graph, 'the graph');
  const initializers = new Set(bytesOf(g, 5).map(checkInitializer));
  const inputs = bytesOf(g, 11).map((b, i) => valueInfo(b, `input ${i}`)).filter((v) => !initializers.has(v.name));
  const outputs = bytesOf(g, 12).map((b, i) => valueInfo(b, `output ${i}`));
  if (outputs.length === 0) throw new OnnxFormatError('the graph has no outputs');
  return { irVersion, opset: version, inputs, outputs, initializers: initializers.size };
}
