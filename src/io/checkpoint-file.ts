// Checkpoint and model files on disk: bounded reads, atomic writes (the format: checkpoint.ts).
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';

const MAX_FILE = 2 ** 31 - 1;

export function writeCheckpoint(path: string, c: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(c));
}

/** The bytes of a model or checkpoint file (`what` names the kind in errors). */
export function readModelFile(path: string, what: string): Uint8Array {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new CheckpointError(`${path}: not a file`);
    if (stat.size > MAX_FILE) throw new CheckpointError(`${path}: ${stat.size} bytes, larger than any ${what} a3t reads (${MAX_FILE})`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

export function readCheckpoint(path: string): Checkpoint {
  return decodeCheckpoint(readModelFile(path, 'checkpoint'), path);
}
