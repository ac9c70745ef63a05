// a3t's public API under Node: everything of `browser.ts`, plus reading datasets from disk.
export * from './browser.js';
export { loadDataset } from './data/mnist.js';
