// Seeded randomness: Threefry-2x32-20 against published known answers, key derivation, and the
// statistics of the bulk streams (uniform, normal, permutation).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Key, fold, keyFromSeed, normal, permutation, split, threefry, uniform } from '../src/engine/rng.js';

const hex = (w: readonly number[]) => w.map((x) => '0x' + (x >>> 0).toString(16).padStart(8, '0')).join(' ');
const keyStr = (k: Key) => `${k[0]}:${k[1]}`;

function meanVar(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let q = 0;
  for (let i = 0; i < xs.length; i++) q += (xs[i] - mean) ** 2;
  return { mean, variance: q / (xs.length - 1) };
}

// ---- Threefry-2x32-20 known answers --------------------------------------------------------------

// Golden values from Random123's published known-answer tests (kat_vectors, lines "threefry2x32 20
// ctr0 ctr1 key0 key1  out0 out1"). Our argument order is threefry(key, c0, c1).
const KAT: Array<{ key: Key; ctr: [number, number]; out: [number, number] }> = [
  { key: [0x00000000, 0x00000000], ctr: [0x00000000, 0x00000000], out: [0x6b200159, 0x99ba4efe] },
  { key: [0xffffffff, 0xffffffff], ctr: [0xffffffff, 0xffffffff], out: [0x1cb996fc, 0xbb002be7] },
  { key: [0x13198a2e, 0x03707344], ctr: [0x243f6a88, 0x85a308d3], out: [0xc4923a9c, 0x483df7a0] },
];

for (const [i, v] of KAT.entries()) {
  test(`threefry2x32-20 matches Random123 known-answer vector ${i} (key ${hex(v.key)}, counter ${hex(v.ctr)})`, () => {
    const got = threefry(v.key, v.ctr[0], v.ctr[1]);
    assert.equal(hex(got), hex(v.out));
    // Words come back as unsigned 32-bit integers, not as signed int32 bit patterns.
    for (const w of got) assert.ok(Number.isInteger(w) && w >= 0 && w < 2 ** 32, `word ${w} is a uint32`);
  });
}

test('threefry is a function of key and counter: changing any one word of either changes the output', () => {
  const base = threefry([1, 2], 3, 4);
  assert.deepEqual(threefry([1, 2], 3, 4), base);
  for (const [k, c0, c1] of [
    [[0, 2], 3, 4],
    [[1, 3], 3, 4],
    [[1, 2], 2, 4],
    [[1, 2], 3, 5],
  ] as Array<[Key, number, number]>)
    assert.notDeepEqual(threefry(k, c0, c1), base, `key ${keyStr(k)} counter ${c0},${c1}`);
});

// ---- keys ----------------------------------------------------------------------------------------

test('keyFromSeed is deterministic and distinct for 0, 1, 2^32 and 2^53-1', () => {
  const seeds = [0, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];
  const keys = seeds.map(keyFromSeed);
  seeds.forEach((s, i) => assert.deepEqual(keyFromSeed(s), keys[i], `seed ${s} deterministic`));
  assert.equal(new Set(keys.map(keyStr)).size, seeds.length, `distinct keys: ${keys.map(keyStr).join(', ')}`);
  for (const k of keys) for (const w of k) assert.ok(Number.isInteger(w) && w >= 0 && w < 2 ** 32, `key word ${w} is a uint32`);
});

test('keyFromSeed rejects seeds that are negative, fractional or beyond 2^53', () => {
  for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, Infinity])
    assert.throws(() => keyFromSeed(bad), (e: unknown) => e instanceof RangeError && /seed must be an integer in \[0, 2\^53\)/.test(e.message) && e.message.includes(String(bad)), `seed ${bad}`);
});

test('split gives n distinct keys, deterministically, and different parents give different children', () => {
  const k = keyFromSeed(42);
  const a = split(k, 16);
  assert.equal(a.length, 16);
  assert.equal(new Set(a.map(keyStr)).size, 16);
  assert.ok(!a.some((c) => keyStr(c) === keyStr(k)), 'no child equals its parent');
  assert.deepEqual(split(k, 16), a);
  assert.equal(split(k).length, 2, 'default n is 2');
  const b = split(keyFromSeed(43), 16);
  assert.ok(!b.some((c) => a.some((d) => keyStr(c) === keyStr(d))), 'no overlap between the children of two keys');
});

test('fold gives a different key for each i, deterministically, and none of them is a split key', () => {
  const k = keyFromSeed(7);
  const idx = [0, 1, 2, 3, 1000, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40];
  const folded = idx.map((i) => fold(k, i));
  assert.equal(new Set(folded.map(keyStr)).size, idx.length, `distinct: ${folded.map(keyStr).join(', ')}`);
  idx.forEach((i, j) => assert.deepEqual(fold(k, i), folded[j], `fold(k, ${i}) deterministic`));
  const splits = new Set(split(k, 64).map(keyStr));
  for (const [j, f] of folded.entries()) assert.ok(!splits.has(keyStr(f)), `fold(k, ${idx[j]}) collides with a split key`);
  assert.notDeepEqual(fold(keyFromSeed(8), 0), fold(k, 0), 'different parents fold differently');
});

// ---- uniform ---------------------------------------------------------------------------------------

test('uniform: same key gives the same values, another key other values', () => {
  const k = keyFromSeed(1);
  const a = uniform(k, 1000);
  assert.ok(a instanceof Float32Array, 'Float32Array by default');
  assert.equal(a.length, 1000);
  assert.deepEqual(uniform(k, 1000), a);
  const b = uniform(keyFromSeed(2), 1000);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  assert.ok(same < 10, `${same} of 1000 equal values across two keys`);
});

test('uniform: 100k values lie in [0, 1) with mean 0.5 ± 0.01 and a flat histogram', () => {
  const n = 100_000;
  const u = uniform(keyFromSeed(3), n);
  let lo = Infinity;
  let hi = -Infinity;
  const bins = new Array<number>(10).fill(0);
  for (const v of u) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    bins[Math.floor(v * 10)]++;
  }
  assert.ok(lo >= 0 && hi < 1, `range [${lo}, ${hi}]`);
  const { mean, variance } = meanVar(u);
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 0.005, `variance ${variance}`);
  // Chi-square with 9 degrees of freedom: mean 9; 40 is far out in the tail (p ≈ 1e-5).
  const chi = bins.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi < 40, `chi-square ${chi} over bins ${bins.join(' ')}`);
});

test('uniform writes into a provided Float64Array and returns it, with the same values as float32', () => {
  const k = keyFromSeed(4);
  const buf = new Float64Array(500).fill(-1);
  const out = uniform(k, 500, buf);
  assert.equal(out, buf, 'the same array comes back');
  assert.ok(buf.every((v) => v >= 0 && v < 1), 'every slot written');
  // 24-bit values are exact in float32, so both element types hold the same numbers.
  assert.deepEqual(Array.from(buf), Array.from(uniform(k, 500)));
});

test('uniform with n smaller than a provided buffer leaves the rest untouched', () => {
  const buf = new Float64Array(10).fill(-1);
  uniform(keyFromSeed(5), 4, buf);
  assert.ok(buf.subarray(0, 4).every((v) => v >= 0 && v < 1));
  assert.deepEqual(Array.from(buf.subarray(4)), new Array(6).fill(-1));
});

// ---- normal ----------------------------------------------------------------------------------------

test('normal: 100k values have mean ≈ 0 and variance ≈ 1, deterministically', () => {
  const n = 100_000;
  const k = keyFromSeed(6);
  const x = normal(k, n);
  assert.ok(x instanceof Float64Array && x.length === n);
  assert.ok(x.every(Number.isFinite), 'all finite');
  const { mean, variance } = meanVar(x);
  // Standard errors: 0.0032 for the mean, 0.0045 for the variance.
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.03, `variance ${variance}`);
  // Tails: P(|z| > 1.96) = 5%, P(|z| > 3) = 0.27%.
  const beyond196 = x.filter((v) => Math.abs(v) > 1.96).length / n;
  const beyond3 = x.filter((v) => Math.abs(v) > 3).length / n;
  assert.ok(Math.abs(beyond196 - 0.05) < 0.005, `P(|z|>1.96) = ${beyond196}`);
  assert.ok(Math.abs(beyond3 - 0.0027) < 0.001, `P(|z|>3) = ${beyond3}`);
  assert.deepEqual(normal(k, n), x, 'same key, same values');
  assert.notDeepEqual(normal(keyFromSeed(7), n), x, 'another key, other values');
});

test('normal fills odd lengths completely', () => {
  const x = normal(keyFromSeed(8), 7);
  assert.equal(x.length, 7);
  assert.ok(x.every((v) => Number.isFinite(v) && v !== 0), `values ${Array.from(x).join(' ')}`);
});

// ---- permutation -----------------------------------------------------------------------------------

test('permutation is a permutation of 0..n-1, deterministic per key, different across keys', () => {
  for (const n of [0, 1, 2, 10, 1000]) {
    const p = permutation(keyFromSeed(n), n);
    assert.ok(p instanceof Int32Array && p.length === n);
    assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), `n = ${n}`);
  }
  const k = keyFromSeed(9);
  assert.deepEqual(permutation(k, 1000), permutation(k, 1000));
  assert.notDeepEqual(permutation(keyFromSeed(10), 1000), permutation(k, 1000));
  assert.notDeepEqual(Array.from(permutation(k, 1000)), Array.from({ length: 1000 }, (_, i) => i), 'not the identity');
});

test('permutation: every element lands in every position about equally often', () => {
  const n = 8;
  const trials = 4000;
  const root = keyFromSeed(11);
  // counts[e][pos]: how often element e lands at pos.
  const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let t = 0; t < trials; t++) {
    const p = permutation(fold(root, t), n);
    for (let pos = 0; pos < n; pos++) counts[p[pos]][pos]++;
  }
  const expected = trials / n;
  // Where element 0 lands: chi-square with 7 degrees of freedom (mean 7); 35 is p ≈ 1e-5.
  const chi0 = counts[0].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi0 < 35, `element 0 positions ${counts[0].join(' ')}: chi-square ${chi0}`);
  // The whole table: (n-1)^2 = 49 degrees of freedom (mean 49); 110 is p ≈ 1e-6.
  let chi = 0;
  for (const row of counts) for (const c of row) chi += (c - expected) ** 2 / expected;
  assert.ok(chi < 110, `position table chi-square ${chi}`);
  // Fisher–Yates off by one (j drawn from [0, i) instead of [0, i]) never leaves an element in place.
  assert.ok(counts.every((row, e) => row[e] > 0.5 * expected), `fixed points: ${counts.map((r, e) => r[e]).join(' ')}`);
});
