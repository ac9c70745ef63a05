// The training worker: THE training loop of the library on onnxruntime-web, off the page's thread.
// It pauses between session runs, reports every run and epoch, and returns the model's two files.
import { A3tError, type Dataset, makeConfig, modelFiles, train, trainingSplits } from '../../src/browser.js';
import type { FromWorker, ToWorker } from './messages.js';
import { startBackend } from './runtime.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let paused: { resume: () => void; done: Promise<void> } | null = null;
let pausedMs = 0;

/** Wait here while paused; always yield once, so that 'pause' messages are read between runs. */
async function betweenRuns(): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  if (!paused) return;
  const t0 = performance.now();
  post({ type: 'paused' });
  await paused.done;
  pausedMs += performance.now() - t0;
  post({ type: 'resumed' });
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const backend = await startBackend(m.threads, m.base, m.device);
  const data: Dataset = { ...m.data };
  const config = makeConfig(m.settings);
  const sizes = trainingSplits(config, data);
  post({ type: 'started', backend, train: sizes.train.count, validation: sizes.validation.count });
  const t0 = performance.now();
  let samples = 0;
  const rate = () => samples / ((performance.now() - t0 - pausedMs) / 1000);
  const result = await train(m.settings, data, {
    async onProgress(p) {
      samples = ((p.epoch - 1) * p.steps + p.step) * config.batchSize;
      post({ type: 'progress', progress: p, samplesPerSecond: rate() });
      await betweenRuns();
    },
    onEpoch(metrics) {
      post({ type: 'epoch', metrics });
    },
  });
  const files = modelFiles(result.config, result.model, result.params, { trainedIn: backend });
  post({ type: 'done', onnx: files.onnx, checkpoint: files.checkpoint, seconds: (performance.now() - t0 - pausedMs) / 1000, samplesPerSecond: rate() }, [files.onnx.buffer, files.checkpoint.buffer]);
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'pause' && !paused) {
    let resume = () => {};
    const done = new Promise<void>((r) => (resume = r));
    paused = { resume, done };
  } else if (m.type === 'resume' && paused) {
    const p = paused;
    paused = null;
    p.resume();
  } else if (m.type === 'start') {
    start(m).catch((err: unknown) => post({ type: 'error', message: err instanceof A3tError || err instanceof RangeError ? err.message : `${(err as Error)?.stack ?? err}` }));
  }
};
