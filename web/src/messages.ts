// What the page and its training worker say to each other.
import type { EpochMetrics, Progress, TrainConfig } from '../../src/browser.js';
import type { Device } from './runtime.js';

/** A split as bytes (transferable), as `Split` holds it. */
export interface SplitBytes {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  features: number;
}

export interface DataBytes {
  train: SplitBytes;
  test: SplitBytes;
  shape: [number, number];
  classes: number;
  source: string;
}

export type ToWorker =
  | { type: 'start'; settings: Partial<TrainConfig>; threads: number; device: Device; base: string; data: DataBytes }
  | { type: 'pause' }
  | { type: 'resume' };

export type FromWorker =
  | { type: 'started'; backend: string; train: number; validation: number }
  | { type: 'progress'; progress: Progress; samplesPerSecond: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; onnx: Uint8Array; checkpoint: Uint8Array; seconds: number; samplesPerSecond: number }
  | { type: 'error'; message: string };
