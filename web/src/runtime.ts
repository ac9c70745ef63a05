// onnxruntime-web for the page and its worker: loaded from the site's ort/ folder (not bundled: its
// WASM loader must sit beside its .wasm), WASM threads only when the page is cross-origin isolated.
import type { OrtModule } from '../../src/engine/backend.js';
import { useBackend } from '../../src/engine/backend.js';
import { webBackend } from '../../src/engine/backend-web.js';

/** The most threads the page offers: 2 on a 2-core machine, up to 4 elsewhere; 1 without isolation. */
export function maxThreads(): number {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/** The thread count the page asks for: ?threads=N, else all it may use. */
export function requestedThreads(): number {
  const asked = Number(new URLSearchParams(location.search).get('threads'));
  return Number.isInteger(asked) && asked >= 1 ? Math.min(asked, maxThreads()) : maxThreads();
}

/** Load onnxruntime-web and make it the backend every program compiles for; returns its name. */
export async function startBackend(threads: number, base: string): Promise<string> {
  const ortUrl = new URL('ort/ort.wasm.min.mjs', base).href;
  const ort = (await import(/* @vite-ignore */ ortUrl)) as OrtModule;
  const backend = webBackend(ort, { threads, wasmPaths: new URL('ort/', base).href });
  useBackend(backend);
  return backend.name;
}
