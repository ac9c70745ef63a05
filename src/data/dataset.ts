// Datasets as bytes: splits of images and labels, built from parsed IDX arrays with every check a
// file gets (shapes, counts, label range), whether the bytes came from disk or a browser upload.
import { DataError, type IdxArray } from './idx.js';

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

/**
 * One split from its images [count, rows, cols] and labels [count] (the names only label errors).
 * Labels must lie in [0, classes).
 */
export function splitFromIdx(images: IdxArray, labels: IdxArray, classes: number, imagesFile: string, labelsFile: string): { split: Split; shape: [number, number] } {
  if (images.dims.length !== 3) {
    throw new DataError(`${imagesFile}: expected 3-D images [count, rows, cols], got dims [${images.dims.join(', ')}]`);
  }
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

/** Train and test splits as one dataset, refused unless their images have the same size. */
export function datasetOf(
  train: { split: Split; shape: [number, number] },
  test: { split: Split; shape: [number, number] },
  classes: number,
  source: string,
  names: { trainImages: string; testImages: string },
): Dataset {
  if (train.shape[0] !== test.shape[0] || train.shape[1] !== test.shape[1]) {
    throw new DataError(`${names.testImages}: images are ${test.shape.join('×')} but ${names.trainImages} has ${train.shape.join('×')}, expected the same size`);
  }
  return { train: train.split, test: test.split, classes, source, shape: train.shape };
}
