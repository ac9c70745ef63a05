// The page: starts onnxruntime-web, loads the shipped MNIST subset, then the attack lab and the training view.
import { shippedDataset } from './data.js';
import { startLab } from './lab.js';
import { type Device, hasWebgpu, maxThreads, requested, startBackend } from './runtime.js';
import { startTrainView } from './train-view.js';

const base = new URL('.', import.meta.url).href;

function showView(name: string): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('[role=tab]')) {
    const on = tab.dataset.view === name;
    tab.setAttribute('aria-selected', String(on));
    document.getElementById(`view-${tab.dataset.view}`)!.hidden = !on;
  }
}

async function main(): Promise<void> {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('[role=tab]')) tab.addEventListener('click', () => showView(tab.dataset.view!));
  const asked = requested();
  const gpu = await hasWebgpu();
  const device: Device = asked.device === 'webgpu' && gpu ? 'webgpu' : 'wasm';
  const threadSelect = document.getElementById('threads') as HTMLSelectElement;
  threadSelect.replaceChildren(...Array.from({ length: maxThreads() }, (_, i) => new Option(String(i + 1), String(i + 1))));
  threadSelect.value = String(asked.threads);
  const deviceSelect = document.getElementById('device') as HTMLSelectElement;
  deviceSelect.value = device;
  (deviceSelect.querySelector('option[value=webgpu]') as HTMLOptionElement).disabled = !gpu;
  // onnxruntime-web fixes its threads and device when its WASM starts: a change reloads the page.
  for (const [select, key] of [[threadSelect, 'threads'], [deviceSelect, 'device']] as const)
    select.addEventListener('change', () => {
      const u = new URL(location.href);
      u.searchParams.set(key, select.value);
      location.href = u.href;
    });
  const backend = await startBackend(asked.threads, base, device);
  const notes = [
    globalThis.crossOriginIsolated ? '' : 'the page is not cross-origin isolated: one thread',
    asked.device === 'webgpu' && !gpu ? 'WebGPU asked for, but this browser has no WebGPU adapter: WASM used' : '',
    !gpu && asked.device !== 'webgpu' ? 'no WebGPU adapter in this browser' : '',
  ].filter(Boolean);
  document.getElementById('backend')!.textContent = `${backend}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  const data = await shippedDataset(base);
  startTrainView(base, data, asked.threads, device);
  await startLab(base, data, () => {
    // performance.now() counts from the navigation: the HTML, scripts, WASM, models and data included.
    const ms = performance.now();
    const el = document.getElementById('first-prediction')!;
    el.textContent = `first prediction ${Math.round(ms)} ms after the page was opened`;
    el.dataset.ms = String(Math.round(ms));
  });
  document.body.dataset.ready = 'true';
}

main().catch((e: unknown) => {
  const el = document.getElementById('fatal')!;
  el.hidden = false;
  el.textContent = `The page could not start: ${(e as Error).message}`;
  console.error(e);
});
