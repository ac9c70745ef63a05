// Reading IDX files from disk, raw or gzipped.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError, type IdxArray, MAX_INFLATED, isGzip, parseIdx } from './idx.js';

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
  if (isGzip(bytes, path)) {
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
