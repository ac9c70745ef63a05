// IDX arrays (the MNIST container format): parsing unsigned-byte arrays from bytes (files: idx-file.ts).
import { A3tError } from '../errors.js';

/** Thrown for data files and directories that are missing or malformed; the message starts with the path. */
export class DataError extends A3tError {
  constructor(message: string) {
    super('input', message);
  }
}

/** An IDX array: its dimensions and its bytes, row-major. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** No IDX file a3t reads inflates to more: a small gzip that would is refused, not allocated. */
export const MAX_INFLATED = 2 ** 30;

const hex = (b: number) => '0x' + b.toString(16).padStart(2, '0');

/**
 * Parse IDX bytes: 0x00 0x00, type byte (only 0x08 is supported), number of dims (1..4), big-endian
 * uint32 dims, then exactly prod(dims) data bytes. `file` only names the source in errors.
 * The returned data is a view into `bytes`, not a copy.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new DataError(`${file}: too short for an IDX file (${bytes.length} bytes, expected at least a 4-byte magic number)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(`${file}: not an IDX file (magic number starts ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00)`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const known = TYPES[type] ? ` (${TYPES[type]})` : ' (unknown)';
    throw new DataError(`${file}: unsupported IDX element type ${hex(type)}${known}, expected 0x08 (unsigned byte)`);
  }
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw new DataError(`${file}: IDX header declares ${rank} dimensions, expected 1 to 4`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) {
    throw new DataError(`${file}: truncated IDX header (${bytes.length} bytes, expected at least ${header} for ${rank} dimensions)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, header);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - header;
  if (actual !== expected) {
    const what = actual < expected ? 'truncated' : 'trailing bytes after the data';
    throw new DataError(`${file}: ${what}: dims [${dims.join(', ')}] need ${expected} data bytes, file has ${actual}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Whether bytes named `file` are gzipped: the name ends in .gz or they start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array, file: string): boolean {
  return file.endsWith('.gz') || (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b);
}
