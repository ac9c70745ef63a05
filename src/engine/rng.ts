// Seeded, splittable randomness: Threefry-2x32 keys (as in JAX), bulk streams from a small generator
// seeded by the key. No Math.random anywhere: the same key gives the same bits.

/** A key: two unsigned 32-bit words. */
export type Key = readonly [number, number];

const ROT = [13, 15, 26, 6, 17, 29, 16, 24];

/** Threefry-2x32 with 20 rounds: the block cipher of key `k` applied to the counter (c0, c1). */
export function threefry(k: Key, c0: number, c1: number): [number, number] {
  const ks = [k[0] >>> 0, k[1] >>> 0, (0x1bd11bda ^ k[0] ^ k[1]) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let r = 0; r < 20; r++) {
    x0 = (x0 + x1) >>> 0;
    const s = ROT[r % 8];
    x1 = ((x1 << s) | (x1 >>> (32 - s))) ^ x0;
    if (r % 4 === 3) {
      const j = (r + 1) / 4;
      x0 = (x0 + ks[j % 3]) >>> 0;
      x1 = (x1 + ks[(j + 1) % 3] + j) >>> 0;
    }
  }
  return [x0 >>> 0, x1 >>> 0];
}

/** A key from an integer seed (0 ≤ seed < 2^53). */
export function keyFromSeed(seed: number): Key {
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
  return threefry([0, 0], seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0);
}

/** `n` independent keys derived from `k`. */
export function split(k: Key, n = 2): Key[] {
  return Array.from({ length: n }, (_, i) => threefry(k, i, 0x5eed));
}

/** A key for item `i` of a sequence (an epoch, a step) without splitting all of them. */
export function fold(k: Key, i: number): Key {
  if (!(Number.isSafeInteger(i) && i >= 0)) throw new RangeError(`fold index must be an integer in [0, 2^53), got ${i}`);
  return threefry(k, i >>> 0, (Math.floor(i / 2 ** 32) ^ 0xf01d) >>> 0);
}

/** xoshiro128** seeded from the key: fast bulk bits for one stream. */
function stream(k: Key): () => number {
  const [a, b] = threefry(k, 0, 1);
  const [c, d] = threefry(k, 1, 1);
  const s = Uint32Array.of(a, b, c, d | 1);
  return () => {
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  };
}

const rotl = (x: number, s: number) => (x << s) | (x >>> (32 - s));

/** Uniform floats in [0, 1) (24 random bits each). */
export function uniform<T extends Float32Array | Float64Array = Float32Array>(k: Key, n: number, out: T = new Float32Array(n) as T): T {
  const next = stream(k);
  for (let i = 0; i < n; i++) out[i] = (next() >>> 8) / 16777216;
  return out;
}

/** Standard normal floats (Box–Muller). */
export function normal(k: Key, n: number): Float64Array {
  const next = stream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = ((next() >>> 8) + 1) / 16777217;
    const u2 = (next() >>> 8) / 16777216;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Integers uniform in [0, n) (rejection sampling, no modulo bias). */
function below(next: () => number, n: number): number {
  const limit = Math.floor(2 ** 32 / n) * n;
  let r = next();
  while (r >= limit) r = next();
  return r % n;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(k: Key, n: number): Int32Array {
  const next = stream(k);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = below(next, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
