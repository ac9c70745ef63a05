// Selecting rows of a split: held-out validation, prefixes, subsets, shuffled epoch batches, batch gathering,
// and labels as the int64 values graphs take.
import { type Key, permutation } from '../engine/rng.js';
import type { Split } from './dataset.js';

/** Pixel p as the float32 image value p/255. */
const SCALED = Float32Array.from({ length: 256 }, (_, p) => p / 255);

/** Rows from..to−1 of `split` as float32 image values, into `out` (allocated when not given). */
export function floatRows(split: Split, from: number, to: number, out = new Float32Array((to - from) * split.features)): Float32Array {
  const f = split.features;
  for (let r = from; r < to; r++) {
    const px = rowPixels(split, r);
    const at = (r - from) * f;
    for (let c = 0; c < f; c++) out[at + c] = SCALED[px[c]];
  }
  return out;
}

/** Row r's bytes (a view). */
function rowPixels(split: Split, r: number): Uint8Array {
  const i = split.rows ? split.rows[r] : r;
  return split.pixels.subarray(i * split.features, (i + 1) * split.features);
}

const floats = new WeakMap<Split, Float32Array>();

/** All images of `split` as float32 values in [0, 1] (converted once per split, then cached). */
export function imagesOf(split: Split): Float32Array {
  let x = floats.get(split);
  if (!x) floats.set(split, (x = floatRows(split, 0, split.count)));
  return x;
}

/** Label values as BigInt, so that labels are written as int64 without allocating. */
const BIG_LABELS: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

/** Labels `rows` (indices into `labels`) as int64 into `out`, from position `offset`. */
export function int64Labels(labels: Uint8Array, rows: ArrayLike<number>, out: BigInt64Array, offset = 0): void {
  for (let j = 0; j < rows.length; j++) out[offset + j] = BIG_LABELS[labels[rows[j]]];
}

/** The indices from..to−1, for `int64Labels` of a contiguous range. */
export const range = (from: number, to: number): Int32Array => Int32Array.from({ length: to - from }, (_, i) => from + i);

function checkIndex(i: number, pos: number, count: number): void {
  if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new RangeError(`index ${i} at position ${pos} is out of range, expected an integer in [0, ${count})`);
}

/** Rows `indices` of `split`, copied, in the order given. */
export function subset(split: Split, indices: ArrayLike<number>): Split {
  const f = split.features;
  const n = indices.length;
  const pixels = new Uint8Array(n * f);
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const i = indices[r];
    checkIndex(i, r, split.count);
    pixels.set(rowPixels(split, i), r * f);
    labels[r] = split.labels[i];
  }
  return { pixels, labels, count: n, features: f };
}

/** The first `n` rows, copied (a split that shares its bytes keeps sharing them). */
export function take(split: Split, n: number): Split {
  if (!(Number.isInteger(n) && n >= 1 && n <= split.count)) throw new RangeError(`take: n must be an integer in [1, ${split.count}], got ${n}`);
  if (split.rows) return { pixels: split.pixels, rows: split.rows.slice(0, n), labels: split.labels.slice(0, n), count: n, features: split.features };
  return {
    pixels: split.pixels.slice(0, n * split.features),
    labels: split.labels.slice(0, n),
    count: n,
    features: split.features,
  };
}

/**
 * Hold out `validation` rows of `train`, chosen by permutation(key, count): the first `validation` entries
 * of the permutation. Both parts keep the original relative order of their rows. The validation part is a
 * copy; the training part shares `train`'s bytes (it is most of them).
 */
export function holdOut(train: Split, validation: number, key: Key): { train: Split; validation: Split } {
  if (!(Number.isInteger(validation) && validation >= 0 && validation < train.count)) {
    throw new RangeError(`holdOut: validation must be an integer in [0, ${train.count}), got ${validation}`);
  }
  const held = new Uint8Array(train.count);
  const perm = permutation(key, train.count);
  for (let j = 0; j < validation; j++) held[perm[j]] = 1;
  const keep = new Int32Array(train.count - validation);
  const val = new Int32Array(validation);
  for (let i = 0, k = 0, v = 0; i < train.count; i++) {
    if (held[i]) val[v++] = i;
    else keep[k++] = i;
  }
  const labels = Uint8Array.from(keep, (i) => train.labels[i]);
  const rows = train.rows ? Int32Array.from(keep, (i) => train.rows![i]) : keep;
  return { train: { pixels: train.pixels, rows, labels, count: keep.length, features: train.features }, validation: subset(train, val) };
}

/**
 * One epoch's batches: permutation(key, count) cut into floor(count / batchSize) batches of `batchSize`
 * indices. The last incomplete batch is dropped (every step then has the same shape, so one compiled graph
 * serves the whole epoch); the dropped rows differ from epoch to epoch when the key does.
 */
export function shuffledBatches(count: number, batchSize: number, key: Key): Int32Array[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`shuffledBatches: count must be a positive integer, got ${count}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= count)) {
    throw new RangeError(`shuffledBatches: batchSize must be an integer in [1, ${count}], got ${batchSize}`);
  }
  const perm = permutation(key, count);
  return Array.from({ length: Math.floor(count / batchSize) }, (_, b) => perm.subarray(b * batchSize, (b + 1) * batchSize));
}

/**
 * Copy rows `indices` of `split` into `images` (rows of `features`) and `labels` (int64), starting at row
 * `offset` of both buffers. Allocates nothing.
 */
export function gather(split: Split, indices: ArrayLike<number>, images: Float32Array, labels: BigInt64Array, offset = 0): void {
  const f = split.features;
  const n = indices.length;
  if (!(Number.isInteger(offset) && offset >= 0)) throw new RangeError(`gather: offset must be a non-negative integer, got ${offset}`);
  if ((offset + n) * f > images.length || offset + n > labels.length) {
    throw new RangeError(
      `gather: rows ${offset}..${offset + n - 1} do not fit the buffers (images hold ${Math.floor(images.length / f)} rows of ${f}, labels ${labels.length})`,
    );
  }
  for (let r = 0; r < n; r++) {
    const i = indices[r];
    checkIndex(i, r, split.count);
    const src = rowPixels(split, i);
    const to = (offset + r) * f;
    for (let c = 0; c < f; c++) images[to + c] = SCALED[src[c]];
    labels[offset + r] = BIG_LABELS[split.labels[i]];
  }
}
