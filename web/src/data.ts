// MNIST for the page: the compact subset shipped with the site, or IDX files the user uploads, parsed
// and checked by the same code, with the same messages, as the command line's files.
import { type Dataset, DataError, MAX_INFLATED, datasetOf, isGzip, parseIdx, splitFromIdx } from '../../src/browser.js';
import type { DataBytes } from './messages.js';

/** The shipped subset's files, written by the site's build (see web/build.ts). */
export const SHIPPED = {
  trainImages: 'data/train-images-idx3-ubyte.gz',
  trainLabels: 'data/train-labels-idx1-ubyte.gz',
  testImages: 'data/t10k-images-idx3-ubyte.gz',
  testLabels: 'data/t10k-labels-idx1-ubyte.gz',
} as const;

/** Inflate gzip bytes in the browser, refusing (as the CLI does) anything larger than any IDX file a3t reads. */
async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_INFLATED) {
        await reader.cancel();
        throw new DataError(`${file}: decompresses to more than ${MAX_INFLATED} bytes, larger than any IDX file a3t reads`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${file}: not a valid gzip file (${(e as Error).message})`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** An IDX file's bytes (raw or gzipped) parsed, or a DataError naming the file and what was expected. */
export async function idxOf(bytes: Uint8Array, file: string) {
  return parseIdx(isGzip(bytes, file) ? await gunzip(bytes, file) : bytes, file);
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new DataError(`${url}: ${r.status} ${r.statusText} (the site's data is missing: rebuild it with npm run build:web)`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The shipped subset: its training images and the test images the attack lab picks from. */
export async function shippedDataset(base: string): Promise<Dataset> {
  const [ti, tl, si, sl] = await Promise.all(Object.values(SHIPPED).map(async (f) => idxOf(await fetchBytes(new URL(f, base).href), f)));
  return datasetOf(splitFromIdx(ti, tl, 10, SHIPPED.trainImages, SHIPPED.trainLabels), splitFromIdx(si, sl, 10, SHIPPED.testImages, SHIPPED.testLabels), 10, 'the site\'s MNIST subset', SHIPPED);
}

/** A training set from uploaded images and labels files, with `test` as its test split. */
export async function uploadedDataset(images: File, labels: File, test: Dataset): Promise<Dataset> {
  const read = async (f: File) => idxOf(new Uint8Array(await f.arrayBuffer()), f.name);
  const train = splitFromIdx(await read(images), await read(labels), test.classes, images.name, labels.name);
  return datasetOf(train, { split: test.test, shape: test.shape }, test.classes, `${images.name} + ${labels.name}`, { trainImages: images.name, testImages: 'the test images' });
}

/** A dataset as the bytes a worker message carries (copies: the page keeps its own). */
export function dataBytes(d: Dataset): DataBytes {
  const split = (s: Dataset['train']) => {
    if (s.rows) throw new Error('dataBytes: a split sharing rows cannot be sent');
    return { pixels: s.pixels.slice(), labels: s.labels.slice(), count: s.count, features: s.features };
  };
  return { train: split(d.train), test: split(d.test), shape: d.shape, classes: d.classes, source: d.source };
}
