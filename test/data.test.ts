// The data layer: IDX parsing and its errors, MNIST-format directories (raw and gzipped), the bundled
// MNIST itself, and the split/batch helpers the training loop uses.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { keyFromSeed } from '../src/engine/rng.js';
import { DataError, parseIdx } from '../src/data/idx.js';
import { readIdx } from '../src/data/idx-file.js';
import type { Split } from '../src/data/dataset.js';
import { defaultDataDir, loadDataset } from '../src/data/mnist.js';
import { floatRows, gather, holdOut, imagesOf, shuffledBatches, subset, take } from '../src/data/selection.js';
import { idx } from './helpers.js';

let tmp = '';
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'a3t-data-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A predicate for assert.throws: a DataError whose message starts with `file` and matches every pattern. */
function dataError(file: string, ...patterns: RegExp[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.equal(e.name, 'DataError');
    assert.ok(e.message.startsWith(file), `message should start with ${file}: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

let dirCount = 0;
interface Part {
  n: number;
  rows?: number;
  cols?: number;
  labels?: number[];
  labelCount?: number;
}
/** A fresh MNIST-format directory; pixel j of image i is (7i + j) mod 256, label i mod 10 unless given. */
function mnistDir(train: Part, test: Part, gz = false): string {
  const dir = join(tmp, `set${dirCount++}`);
  mkdirSync(dir);
  const write = (name: string, bytes: Buffer) => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  for (const [prefix, p] of [['train', train], ['t10k', test]] as const) {
    const rows = p.rows ?? 2;
    const cols = p.cols ?? 3;
    const px = Array.from({ length: p.n * rows * cols }, (_, k) => (7 * Math.floor(k / (rows * cols)) + (k % (rows * cols))) % 256);
    const labels = p.labels ?? Array.from({ length: p.labelCount ?? p.n }, (_, i) => i % 10);
    write(`${prefix}-images-idx3-ubyte`, idx([p.n, rows, cols], px));
    write(`${prefix}-labels-idx1-ubyte`, idx([labels.length], labels));
  }
  return dir;
}

// ---- IDX ---------------------------------------------------------------------------------------------

test('parseIdx reads dims big-endian and returns exactly the data bytes', () => {
  const bytes = idx([2, 300], Array.from({ length: 600 }, (_, i) => i % 251));
  const a = parseIdx(bytes, 'mem');
  assert.deepEqual(a.dims, [2, 300]);
  assert.equal(a.data.length, 600);
  assert.equal(a.data[0], 0);
  assert.equal(a.data[599], 599 % 251);
  // A view at a nonzero offset in a larger buffer parses the same.
  const padded = new Uint8Array(bytes.length + 5);
  padded.set(bytes, 5);
  assert.deepEqual(parseIdx(padded.subarray(5), 'mem').dims, [2, 300]);
});

test('readIdx round-trips raw, .gz-named and gzip-magic files', () => {
  const bytes = idx([3, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]);
  const raw = join(tmp, 'raw-idx3');
  const gz = join(tmp, 'zipped-idx3.gz');
  const sniffed = join(tmp, 'zipped-without-suffix');
  writeFileSync(raw, bytes);
  writeFileSync(gz, gzipSync(bytes));
  writeFileSync(sniffed, gzipSync(bytes));
  for (const p of [raw, gz, sniffed]) {
    const a = readIdx(p);
    assert.deepEqual(a.dims, [3, 2, 2], p);
    assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255], p);
  }
});

test('wrong magic is an error naming the file and the expected magic', () => {
  const bytes = idx([2], [1, 2]);
  bytes[1] = 0x03;
  assert.throws(() => parseIdx(bytes, 'bad-magic.idx'), dataError('bad-magic.idx', /0x00 0x03/, /expected 0x00 0x00/));
  assert.throws(() => parseIdx(Uint8Array.of(0, 0), 'tiny.idx'), dataError('tiny.idx', /2 bytes/));
});

test('an unsupported type byte is an error naming the type', () => {
  const f = join(tmp, 'floats-idx1');
  writeFileSync(f, idx([1], [0, 0, 0, 0], 0x0d));
  assert.throws(() => readIdx(f), dataError(f, /0x0d/, /float32/, /expected 0x08/));
  assert.throws(() => parseIdx(idx([1], [0], 0x42), 'x'), dataError('x', /0x42 \(unknown\)/));
});

test('a bad rank or a truncated header is an error', () => {
  assert.throws(() => parseIdx(Uint8Array.of(0, 0, 8, 5, 0, 0, 0, 1), 'rank5'), dataError('rank5', /5 dimensions, expected 1 to 4/));
  assert.throws(() => parseIdx(Uint8Array.of(0, 0, 8, 0), 'rank0'), dataError('rank0', /0 dimensions/));
  assert.throws(() => parseIdx(Uint8Array.of(0, 0, 8, 2, 0, 0, 0, 1), 'short'), dataError('short', /truncated IDX header/, /8 bytes, expected at least 12/));
});

test('truncated data is an error giving expected and actual byte counts', () => {
  const f = join(tmp, 'truncated-idx3');
  writeFileSync(f, idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7]));
  assert.throws(() => readIdx(f), dataError(f, /truncated/, /need 8 data bytes, file has 7/));
});

test('trailing bytes after the data are an error giving expected and actual byte counts', () => {
  const f = join(tmp, 'trailing-idx1');
  writeFileSync(f, idx([3], [1, 2, 3, 4]));
  assert.throws(() => readIdx(f), dataError(f, /trailing/, /need 3 data bytes, file has 4/));
});

test('a corrupt gzip file is a DataError naming the file', () => {
  const good = gzipSync(idx([4], [1, 2, 3, 4]));
  const f = join(tmp, 'corrupt-idx1.gz');
  writeFileSync(f, good.subarray(0, good.length - 6)); // cut off inside the trailer
  assert.throws(() => readIdx(f), dataError(f, /not a valid gzip file/));
  const g = join(tmp, 'not-gzip-at-all.gz');
  writeFileSync(g, idx([1], [9])); // .gz name, raw content
  assert.throws(() => readIdx(g), dataError(g, /gzip/));
});

test('a missing file or a directory is a DataError naming the path', () => {
  const f = join(tmp, 'no-such-file-idx1');
  assert.throws(() => readIdx(f), dataError(f, /not found/));
  assert.throws(() => readIdx(tmp), dataError(tmp, /directory/));
});

// ---- MNIST-format directories --------------------------------------------------------------------------

test('loadDataset reads a directory: counts, features, scaling, labels, shape, source', () => {
  const dir = mnistDir({ n: 5 }, { n: 3 });
  const d = loadDataset(dir);
  assert.equal(d.train.count, 5);
  assert.equal(d.test.count, 3);
  assert.equal(d.train.features, 6);
  assert.deepEqual(d.shape, [2, 3]);
  assert.equal(d.classes, 10);
  assert.equal(d.source, dir);
  assert.equal(d.train.pixels.length, 30);
  assert.equal(d.train.pixels[2 * 6 + 4], 18);
  // image 2, pixel 4: (7·2 + 4) / 255
  assert.equal(imagesOf(d.train)[2 * 6 + 4], Math.fround(18 / 255));
  assert.equal(imagesOf(d.test)[0], 0);
  assert.deepEqual(Array.from(d.train.labels), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(d.test.labels), [0, 1, 2]);
});

test('loadDataset reads a directory of gzipped files (Debian Fashion-MNIST layout)', () => {
  const d = loadDataset(mnistDir({ n: 4, rows: 3, cols: 3, labels: [9, 8, 7, 6] }, { n: 2, rows: 3, cols: 3 }, true));
  assert.deepEqual(d.shape, [3, 3]);
  assert.deepEqual(Array.from(d.train.labels), [9, 8, 7, 6]);
  assert.equal(imagesOf(d.train)[9 + 1], Math.fround(8 / 255));
});

test('loadDataset prefers the raw file when both raw and .gz exist', () => {
  const dir = mnistDir({ n: 3, labels: [1, 1, 1] }, { n: 2 });
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([3], [2, 2, 2])));
  assert.deepEqual(Array.from(loadDataset(dir).train.labels), [1, 1, 1]);
});

test('an image/label count mismatch names both files and both counts', () => {
  const dir = mnistDir({ n: 4, labelCount: 3 }, { n: 2 });
  const images = join(dir, 'train-images-idx3-ubyte');
  assert.throws(() => loadDataset(dir), dataError(images, /has 4 images/, /train-labels-idx1-ubyte has 3 labels/));
});

test('a label out of range names the file, the first offending index and the value', () => {
  const dir = mnistDir({ n: 4 }, { n: 4, labels: [0, 3, 12, 11] });
  const labels = join(dir, 't10k-labels-idx1-ubyte');
  assert.throws(() => loadDataset(dir), dataError(labels, /label 12 at index 2/, /expected 0\.\.9/));
  // With fewer classes, the training labels (0..3) are already out of range at index 3.
  const small = mnistDir({ n: 4 }, { n: 1 });
  assert.throws(() => loadDataset(small, 3), dataError(join(small, 'train-labels-idx1-ubyte'), /label 3 at index 3/, /expected 0\.\.2/));
  assert.throws(() => loadDataset(small, 0), /classes must be an integer in \[1, 256\], got 0/);
});

test('a missing file in the directory, or a missing directory, names the directory and the file', () => {
  const dir = mnistDir({ n: 2 }, { n: 2 });
  rmSync(join(dir, 't10k-labels-idx1-ubyte'));
  rmSync(join(dir, 'train-images-idx3-ubyte'));
  assert.throws(() => loadDataset(dir), dataError(dir, /missing train-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]$/));
  const none = join(tmp, 'no-such-dir');
  assert.throws(() => loadDataset(none), dataError(none, /data directory not found/, /train-images-idx3-ubyte/));
});

test('train and test images of different sizes name both files and both sizes', () => {
  const dir = mnistDir({ n: 2, rows: 2, cols: 3 }, { n: 2, rows: 3, cols: 2 });
  assert.throws(
    () => loadDataset(dir),
    dataError(join(dir, 't10k-images-idx3-ubyte'), /are 3×2/, new RegExp(`${join(dir, 'train-images-idx3-ubyte')} has 2×3`)),
  );
});

test('images that are not 3-D, or labels that are not 1-D, are errors naming the file', () => {
  const dir = mnistDir({ n: 2 }, { n: 2 });
  const images = join(dir, 'train-images-idx3-ubyte');
  writeFileSync(images, idx([2, 6], new Array(12).fill(0)));
  assert.throws(() => loadDataset(dir), dataError(images, /expected 3-D images/, /\[2, 6\]/));
  const dir2 = mnistDir({ n: 2 }, { n: 2 });
  const labels = join(dir2, 't10k-labels-idx1-ubyte');
  writeFileSync(labels, idx([2, 1], [0, 1]));
  assert.throws(() => loadDataset(dir2), dataError(labels, /expected 1-D labels/));
});

test('the bundled MNIST: 60,000/10,000 images of 784 features in [0,1], known labels and class counts', () => {
  const d = loadDataset();
  assert.equal(d.source, defaultDataDir());
  assert.deepEqual(d.shape, [28, 28]);
  for (const [s, n] of [[d.train, 60000], [d.test, 10000]] as const) {
    assert.equal(s.count, n);
    assert.equal(s.features, 784);
    assert.equal(s.pixels.length, n * 784);
    assert.equal(s.labels.length, n);
    let lo = Infinity;
    let hi = -Infinity;
    const x = imagesOf(s);
    for (let i = 0; i < x.length; i++) {
      if (x[i] < lo) lo = x[i];
      if (x[i] > hi) hi = x[i];
    }
    assert.equal(lo, 0);
    assert.equal(hi, 1);
  }
  assert.equal(d.train.labels[0], 5);
  assert.equal(d.test.labels[0], 7);
  // The widely published MNIST class counts (e.g. the per-digit table on yann.lecun.com's page and
  // torchvision's MNIST targets.bincount()).
  const counts = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((y) => y === c).length);
  assert.deepEqual(counts(d.train.labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(counts(d.test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
});

// ---- splits and batches --------------------------------------------------------------------------------

/** A split whose row i is the pixels [i, 255 − i] with label i mod 10, so rows identify themselves. */
function numbered(n: number): Split {
  const pixels = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    pixels[2 * i] = i;
    pixels[2 * i + 1] = 255 - i;
  }
  return { pixels, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), count: n, features: 2 };
}
/** A split's bytes row by row, whether it holds them or shares another's. */
const bytesOf = (s: Split) => Uint8Array.from(floatRows(s, 0, s.count), (v) => Math.round(v * 255));
const ids = (s: Split) => Array.from({ length: s.count }, (_, r) => bytesOf(s)[2 * r]);
/** Pixel values as the float32 images the graphs take. */
const scaled = (px: number[]) => px.map((p) => Math.fround(p / 255));

test('holdOut: deterministic per key, disjoint, covering, order kept, different for another key', () => {
  const s = numbered(50);
  const a = holdOut(s, 12, keyFromSeed(1));
  const again = holdOut(s, 12, keyFromSeed(1));
  const other = holdOut(s, 12, keyFromSeed(2));
  assert.equal(a.validation.count, 12);
  assert.equal(a.train.count, 38);
  assert.deepEqual(ids(again.validation), ids(a.validation));
  assert.deepEqual(ids(again.train), ids(a.train));
  assert.notDeepEqual(ids(other.validation), ids(a.validation));
  const all = [...ids(a.train), ...ids(a.validation)].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 50 }, (_, i) => i)); // disjoint and covering
  for (const part of [a.train, a.validation]) {
    const order = ids(part);
    assert.deepEqual(order, [...order].sort((x, y) => x - y), 'original relative order kept');
    // rows stay whole: second feature and label follow the first
    for (let r = 0; r < part.count; r++) {
      assert.equal(bytesOf(part)[2 * r + 1], 255 - order[r]);
      assert.equal(part.labels[r], order[r] % 10);
    }
  }
  // The held-out rows are not simply the first or last ones.
  assert.notDeepEqual(ids(a.validation), Array.from({ length: 12 }, (_, i) => i));
  assert.equal(holdOut(s, 0, keyFromSeed(1)).train.count, 50);
  for (const bad of [-1, 50, 1.5, NaN]) assert.throws(() => holdOut(s, bad, keyFromSeed(1)), RangeError, String(bad));
});

test('the training part of holdOut shares the bytes; take, subset, gather and a second holdOut read through it', () => {
  const s = numbered(40);
  const { train } = holdOut(s, 10, keyFromSeed(3));
  assert.equal(train.pixels, s.pixels, 'no copy of the images');
  const order = ids(train);
  const first = take(train, 5);
  assert.equal(first.pixels, s.pixels);
  assert.deepEqual(ids(first), order.slice(0, 5));
  assert.deepEqual(Array.from(subset(train, [4, 0]).pixels), [order[4], 255 - order[4], order[0], 255 - order[0]]);
  const x = new Float32Array(4);
  gather(train, [1, 3], x, new BigInt64Array(2));
  assert.deepEqual(Array.from(x), scaled([order[1], 255 - order[1], order[3], 255 - order[3]]));
  const again = holdOut(train, 5, keyFromSeed(4));
  assert.equal(again.train.pixels, s.pixels);
  assert.deepEqual([...ids(again.train), ...ids(again.validation)].sort((a, b) => a - b), order);
});

test('take copies the first n rows and checks n', () => {
  const s = numbered(6);
  const t = take(s, 4);
  assert.equal(t.count, 4);
  assert.deepEqual(ids(t), [0, 1, 2, 3]);
  assert.equal(t.pixels.length, 8);
  assert.deepEqual(Array.from(t.labels), [0, 1, 2, 3]);
  t.pixels[0] = 99;
  assert.equal(s.pixels[0], 0, 'take copies');
  assert.equal(take(s, 6).count, 6);
  for (const bad of [0, 7, 2.5]) assert.throws(() => take(s, bad), RangeError, String(bad));
});

test('subset copies the given rows in the given order and checks indices', () => {
  const s = numbered(8);
  const t = subset(s, [5, 0, 5, 7]);
  assert.equal(t.count, 4);
  assert.deepEqual(Array.from(t.pixels), [5, 250, 0, 255, 5, 250, 7, 248]);
  assert.deepEqual(Array.from(t.labels), [5, 0, 5, 7]);
  assert.throws(() => subset(s, [1, 8]), /index 8 at position 1/);
  assert.throws(() => subset(s, [-1]), RangeError);
});

test('shuffledBatches: full batches only, distinct indices, deterministic per key', () => {
  const b = shuffledBatches(10, 3, keyFromSeed(7));
  assert.equal(b.length, 3, 'the incomplete last batch is dropped');
  for (const batch of b) assert.equal(batch.length, 3);
  const flat = b.flatMap((x) => Array.from(x));
  assert.equal(new Set(flat).size, 9);
  for (const i of flat) assert.ok(i >= 0 && i < 10);
  assert.deepEqual(shuffledBatches(10, 3, keyFromSeed(7)).map((x) => Array.from(x)), b.map((x) => Array.from(x)));
  assert.notDeepEqual(shuffledBatches(10, 3, keyFromSeed(8)).map((x) => Array.from(x)), b.map((x) => Array.from(x)));
  const whole = shuffledBatches(5, 5, keyFromSeed(1));
  assert.equal(whole.length, 1);
  assert.deepEqual(Array.from(whole[0]).sort(), [0, 1, 2, 3, 4]);
  assert.equal(shuffledBatches(12, 4, keyFromSeed(1)).length, 3, 'no batch dropped when count divides evenly');
  for (const bad of [0, 11, 1.5]) assert.throws(() => shuffledBatches(10, bad, keyFromSeed(1)), RangeError, String(bad));
});

test('images are bytes; floatRows and imagesOf give p/255 for every byte value, imagesOf once per split', () => {
  const s: Split = { pixels: Uint8Array.from({ length: 512 }, (_, i) => i % 256), labels: new Uint8Array(2), count: 2, features: 256 };
  const all = imagesOf(s);
  for (let p = 0; p < 256; p++) assert.equal(all[256 + p], Math.fround(p / 255), `pixel ${p}`);
  assert.equal(imagesOf(s), all, 'cached: the same array');
  const out = new Float32Array(256 * 3).fill(7);
  assert.equal(floatRows(s, 1, 2, out), out);
  assert.deepEqual(out.subarray(0, 256), all.subarray(256));
  assert.equal(out[256], 7, 'only the rows asked for are written');
});

test('gather copies rows and int64 labels into the buffers at the offset, touching nothing else', () => {
  const s = numbered(20);
  const images = new Float32Array(5 * 2).fill(-1);
  const labels = new BigInt64Array(5).fill(-1n);
  gather(s, Int32Array.of(13, 2), images, labels, 1);
  gather(s, [19], images, labels, 4);
  assert.deepEqual(Array.from(images), [-1, -1, ...scaled([13, 242, 2, 253]), -1, -1, ...scaled([19, 236])]);
  assert.deepEqual(Array.from(labels), [-1n, 3n, 2n, -1n, 9n]);
  gather(s, [0, 1], images, labels); // offset defaults to 0
  assert.deepEqual(Array.from(images.subarray(0, 4)), scaled([0, 255, 1, 254]));
  assert.equal(labels[1], 1n);
  assert.throws(() => gather(s, [1, 2], images, labels, 4), /do not fit/);
  assert.throws(() => gather(s, [20], images, labels), RangeError);
});

const FASHION = '/usr/share/datasets/fashion-mnist';
test('Debian\'s gzipped Fashion-MNIST loads like MNIST', { skip: !existsSync(FASHION) && `${FASHION} absent (apt-get install dataset-fashion-mnist)` }, () => {
  const d = loadDataset(FASHION);
  assert.equal(d.train.count, 60000);
  assert.equal(d.test.count, 10000);
  assert.equal(d.train.features, 784);
  const counts = new Array(10).fill(0);
  for (const l of d.test.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(1000), 'Fashion-MNIST has 1,000 test images per class');
});

test('reports name data and models as a reader knows them, never by a machine path', async () => {
  const { dataName, defaultDataDir } = await import('../src/data/mnist.js');
  const { shownPath } = await import('../src/io/shown-path.js');
  assert.equal(dataName(defaultDataDir()), 'MNIST (bundled)');
  assert.equal(dataName('/usr/share/datasets/fashion-mnist'), 'fashion-mnist');
  assert.equal(shownPath('runs/readme-at/checkpoint.a3t'), join('runs', 'readme-at', 'checkpoint.a3t'));
  assert.equal(shownPath(join(process.cwd(), 'runs', 'x')), join('runs', 'x'));
  assert.equal(shownPath(join(tmpdir(), 'elsewhere', 'model.onnx')), 'model.onnx');
});
