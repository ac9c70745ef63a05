// The page: starts onnxruntime-web, loads the shipped MNIST subset, then the attack lab and the training view.
import { shippedDataset } from './data.js';
import { startLab } from './lab.js';
import { maxThreads, requestedThreads, startBackend } from './runtime.js';
import { startTrainView } from './train-view.js';

const base = new URL('.', import.meta.url).href;
const t0 = performance.now();

function showView(name: string): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('[role=tab]')) {
    const on = tab.dataset.view === name;
    tab.setAttribute('aria-selected', String(on));
    document.getElementById(`view-${tab.dataset.view}`)!.hidden = !on;
  }
}

async function main(): Promise<void> {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('[role=tab]')) tab.addEventListener('click', () => showView(tab.dataset.view!));
  const threads = requestedThreads();
  const select = document.getElementById('threads') as HTMLSelectElement;
  select.replaceChildren(...Array.from({ length: maxThreads() }, (_, i) => new Option(String(i + 1), String(i + 1))));
  select.value = String(threads);
  // onnxruntime-web fixes its thread count when its WASM starts: a change reloads the page.
  select.addEventListener('change', () => {
    const u = new URL(location.href);
    u.searchParams.set('threads', select.value);
    location.href = u.href;
  });
  const backend = await startBackend(threads, base);
  document.getElementById('backend')!.textContent = `${backend}${globalThis.crossOriginIsolated ? '' : ' (the page is not cross-origin isolated: one thread)'}; WebGPU: ${await webgpuNote()}`;
  const data = await shippedDataset(base);
  startTrainView(base, data, threads);
  await startLab(base, data, () => {
    const ms = performance.now() - t0;
    const el = document.getElementById('first-prediction')!;
    el.textContent = `first prediction ${Math.round(ms)} ms after the page started`;
    el.dataset.ms = String(Math.round(ms));
  });
  document.body.dataset.ready = 'true';
}

/** Whether this browser has a WebGPU adapter; the page computes on WASM either way (see the README). */
async function webgpuNote(): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'not offered by this browser, WASM used';
  const adapter = await gpu.requestAdapter().catch(() => null);
  return adapter ? 'adapter present, WASM used' : 'no adapter, WASM used';
}

main().catch((e: unknown) => {
  const el = document.getElementById('fatal')!;
  el.hidden = false;
  el.textContent = `The page could not start: ${(e as Error).message}`;
  console.error(e);
});
