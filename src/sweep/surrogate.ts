// The transfer surrogate travels as its checkpoint's bytes, named by their SHA-256: a worker checks the
// hash and every tensor before it uses the model.
import { createHash } from 'node:crypto';
import { type Model, networkModel } from '../eval/model.js';
import { decodeCheckpoint } from '../io/checkpoint.js';
import { checkedModel } from '../train/saved.js';
import { JobError } from './job.js';

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const cache = new Map<string, Model>();

/** The surrogate model in `bytes`, which must hash to `sha` (decoded once per process). */
export function surrogateModel(sha: string, bytes: Uint8Array | null): Model {
  const known = cache.get(sha);
  if (known) return known;
  if (!bytes) throw new JobError(`job refused: its transfer surrogate ${sha.slice(0, 12)}… is not stored with the queue`);
  if (sha256(bytes) !== sha) throw new JobError(`job refused: the stored transfer surrogate does not hash to ${sha.slice(0, 12)}…`);
  const s = checkedModel(decodeCheckpoint(bytes, `surrogate ${sha.slice(0, 12)}`), `surrogate ${sha.slice(0, 12)}`);
  const model = networkModel(s.model.classifier, s.params);
  cache.set(sha, model);
  return model;
}
