// IDX files (the MNIST container format): parsing unsigned-byte arrays, reading raw or gzipped files.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
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

const MAX_INFLATED = 2 ** 30;

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

/** Read and parse an IDX file, gunzipping it when its name ends in .gz or it starts with the gzip magic 1f 8b. */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${path}: not found (expected an IDX file)`);
    if (code === 'EISDIR') throw new DataError(`${path}: is a directory, expected an IDX file`);
    throw new DataError(`${path}: cannot be read (${(e as Error).message})`);
  }
  if (path.endsWith('.gz') || (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    try {
      // Bounded, so a small file that inflates to gigabytes is refused rather than allocated.
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_INFLATED });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new DataError(`${path}: decompresses to more than ${MAX_INFLATED} bytes, larger than any IDX file a3t reads`);
      throw new DataError(`${path}: not a valid gzip file (${(e as Error).message})`);
    }
  }
  return parseIdx(bytes, path);
}
