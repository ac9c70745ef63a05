// Checkpoint files: named float32 tensors plus a JSON header, with a CRC-32 over everything, so a
// truncated or corrupted file is refused before any of it is used. Layout:
//   "A3TCKPT1" | u32 header length | header (UTF-8 JSON) | zero padding to 4 bytes | tensor data | u32 CRC-32
import { crc32 } from '../crc32.js';
import { A3tError } from '../errors.js';

const MAGIC = 'A3TCKPT1';
const MAX_HEADER = 16 * 1024 * 1024;

export class CheckpointError extends A3tError {
  constructor(message: string) {
    super('input', message);
  }
}

export interface Checkpoint {
  meta: Record<string, unknown>;
  tensors: Record<string, Float32Array>;
}

interface TensorEntry {
  name: string;
  offset: number;
  length: number;
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(c.tensors)) {
    entries.push({ name, offset, length: t.length });
    offset += t.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ format: 1, meta: c.meta, tensors: entries }));
  const dataAt = align4(8 + 4 + header.length);
  const out = new Uint8Array(dataAt + offset * 4 + 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  for (const e of entries) new Float32Array(out.buffer, dataAt + e.offset * 4, e.length).set(c.tensors[e.name]);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

const align4 = (n: number) => (n + 3) & ~3;

export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  const fail = (why: string): never => {
    throw new CheckpointError(`${file}: not a usable a3t checkpoint: ${why}`);
  };
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail(`wrong magic (expected '${MAGIC}')`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) fail('checksum mismatch (the file is truncated or corrupted)');
  const headerLength = view.getUint32(8, true);
  if (headerLength > MAX_HEADER || 12 + headerLength > bytes.length - 4) fail(`header length ${headerLength} exceeds the file`);
  let header: { format?: unknown; meta?: unknown; tensors?: unknown };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    return fail('header is not valid JSON');
  }
  if (header.format !== 1) fail(`unsupported format ${String(header.format)} (expected 1)`);
  if (typeof header.meta !== 'object' || header.meta === null || !Array.isArray(header.tensors)) fail('header lacks meta or tensors');
  const dataAt = align4(12 + headerLength);
  const floats = (bytes.length - 4 - dataAt) / 4;
  if (!Number.isInteger(floats) || floats < 0) fail('tensor data is not a whole number of float32 values');
  const tensors: Record<string, Float32Array> = {};
  let expected = 0;
  for (const e of header.tensors as TensorEntry[]) {
    const ok = e && typeof e.name === 'string' && Number.isSafeInteger(e.offset) && Number.isSafeInteger(e.length) && e.offset === expected && e.length >= 0;
    if (!ok) fail(`tensor entry ${JSON.stringify(e)} is malformed or out of order`);
    if (e.name in tensors) fail(`tensor '${e.name}' appears twice`);
    expected += e.length;
    if (expected > floats) fail(`tensor '${e.name}' runs past the end of the data`);
    const copy = new Float32Array(e.length);
    new Uint8Array(copy.buffer).set(bytes.subarray(dataAt + e.offset * 4, dataAt + (e.offset + e.length) * 4));
    tensors[e.name] = copy;
  }
  if (expected !== floats) fail(`${floats - expected} float32 values of data belong to no tensor`);
  return { meta: header.meta as Record<string, unknown>, tensors };
}
