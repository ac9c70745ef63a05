// Training in the tab: the form, the worker that trains, a live Figure 2 (the classifier's and the
// discriminator's accuracies, clean and adversarial, per epoch), pause/resume, and the model's downloads.
import { DISCRIMINATOR_METRICS, type Dataset, type EpochMetrics, REGIMES, metricValue, regimeSettings } from '../../src/browser.js';
import { $ } from './dom.js';
import { type Series, lineChart, setSeries } from './charts.js';
import { dataBytes, uploadedDataset } from './data.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { Device } from './runtime.js';

/** The regimes the page offers, as `a3t train --regime`. */
export const TAB_REGIMES = ['plain', 'at', 'a3t', 'pgd-at', 'trades'] as const;

/** Figure 2's series from the epochs so far (validation accuracies, in %). */
function figure2(history: EpochMetrics[]): Series[] {
  const series: Series[] = [];
  const add = (label: string, value: (v: EpochMetrics['validation']) => number | undefined, dashed = false) => {
    const points = history.flatMap((m) => {
      const y = value(m.validation);
      return y !== undefined && Number.isFinite(y) ? [{ x: m.epoch, y: y * 100 }] : [];
    });
    if (points.length) series.push({ label, points, dashed, color: series.length });
  };
  add('classifier, clean', (v) => v.clean);
  add('classifier, FGSM', (v) => v.fgsm);
  for (const m of DISCRIMINATOR_METRICS) add(`discriminator, ${m.label}`, (v) => metricValue(v, m), true);
  return series;
}

function download(id: string, bytes: Uint8Array, name: string, type: string): void {
  const a = $<HTMLAnchorElement>(id);
  if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  a.download = name;
  a.hidden = false;
}

export function startTrainView(base: string, shipped: Dataset, threads: number, device: Device): void {
  const regime = $<HTMLSelectElement>('regime');
  regime.replaceChildren(...TAB_REGIMES.map((r) => new Option(REGIMES[r].label, r)));
  regime.value = 'a3t';
  const chart = lineChart($<HTMLCanvasElement>('fig2-chart'), { title: 'epoch', min: 1, step: 1 }, { title: 'validation accuracy (%)', percent: true });
  const status = $('train-status');
  const error = $('train-error');
  const pause = $<HTMLButtonElement>('train-pause');
  const start = $<HTMLButtonElement>('train-start');
  const stop = $<HTMLButtonElement>('train-stop');
  const bar = $<HTMLProgressElement>('train-progress');
  let worker: Worker | null = null;
  let paused = false;
  let history: EpochMetrics[] = [];
  const idle = () => {
    worker?.terminate();
    worker = null;
    start.disabled = false;
    pause.disabled = stop.disabled = true;
  };

  start.addEventListener('click', async () => {
    error.textContent = '';
    let data = shipped;
    const images = $<HTMLInputElement>('train-images').files?.[0];
    const labels = $<HTMLInputElement>('train-labels').files?.[0];
    try {
      if (images || labels) {
        if (!images || !labels) throw new Error('upload both an images file and a labels file (IDX, raw or .gz), or neither to use the site’s MNIST subset');
        data = await uploadedDataset(images, labels, shipped);
      }
    } catch (e) {
      error.textContent = (e as Error).message;
      return;
    }
    const r = REGIMES[regime.value];
    const settings = {
      ...regimeSettings(r),
      model: $<HTMLSelectElement>('train-model').value,
      trainEps: Number($<HTMLInputElement>('train-eps').value),
      epochs: Number($<HTMLInputElement>('train-epochs').value),
      trainSize: Number($<HTMLSelectElement>('train-size').value),
      validation: Number($<HTMLSelectElement>('train-validation').value),
      seed: Number($<HTMLInputElement>('train-seed').value),
    };
    history = [];
    setSeries(chart, []);
    paused = false;
    pause.textContent = 'Pause';
    for (const id of ['download-onnx', 'download-checkpoint']) $(id).hidden = true;
    start.disabled = true;
    pause.disabled = stop.disabled = false;
    status.textContent = 'Starting the worker…';
    bar.value = 0;
    worker = new Worker(new URL('train-worker.js', base), { type: 'module' });
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      if (m.type === 'started') status.textContent = `Training on ${m.train} images (${m.validation} held out) with ${m.backend}…`;
      else if (m.type === 'progress') {
        const p = m.progress;
        bar.value = ((p.epoch - 1) * p.steps + p.step) / (p.epochs * p.steps);
        status.textContent = `Epoch ${p.epoch}/${p.epochs}, step ${p.step}/${p.steps}`;
        $('train-rate').textContent = `${Math.round(m.samplesPerSecond).toLocaleString('en')} samples/s`;
      } else if (m.type === 'epoch') {
        history.push(m.metrics);
        setSeries(chart, figure2(history));
        const v = m.metrics.validation;
        $('train-last').textContent = `Epoch ${m.metrics.epoch}: clean ${(v.clean * 100).toFixed(1)}%, FGSM ${(v.fgsm * 100).toFixed(1)}%`;
        $('train-last').dataset.fgsm = String(v.fgsm);
        $('train-last').dataset.clean = String(v.clean);
      } else if (m.type === 'paused') status.textContent = 'Paused';
      else if (m.type === 'resumed') status.textContent = 'Resumed';
      else if (m.type === 'done') {
        const name = `a3t-${regime.value}`;
        download('download-onnx', m.onnx, `${name}.onnx`, 'application/octet-stream');
        download('download-checkpoint', m.checkpoint, `${name}.a3t`, 'application/octet-stream');
        status.textContent = `Done in ${m.seconds.toFixed(1)} s (${Math.round(m.samplesPerSecond).toLocaleString('en')} samples/s).`;
        status.dataset.done = 'true';
        bar.value = 1;
        idle();
      } else if (m.type === 'error') {
        error.textContent = m.message;
        status.textContent = 'Stopped by an error.';
        idle();
      }
    };
    worker.onerror = (ev) => {
      error.textContent = `The training worker failed: ${ev.message}`;
      idle();
    };
    status.dataset.done = 'false';
    const msg: ToWorker = { type: 'start', settings, threads, device, base, data: dataBytes(data) };
    worker.postMessage(msg, [msg.data.train.pixels.buffer, msg.data.test.pixels.buffer]);
  });

  pause.addEventListener('click', () => {
    if (!worker) return;
    paused = !paused;
    worker.postMessage({ type: paused ? 'pause' : 'resume' } satisfies ToWorker);
    pause.textContent = paused ? 'Resume' : 'Pause';
  });
  stop.addEventListener('click', () => {
    status.textContent = 'Stopped.';
    idle();
  });
}
