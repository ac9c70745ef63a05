// onnxruntime-web for the page and its worker: loaded from the site's ort/ folder (not bundled: its
// WASM loader must sit beside its .wasm). WASM threads only when the page is cross-origin isolated;
// WebGPU (ONNX Runtime's WebGPU build, WASM for the ops it lacks) only where the browser has an adapter.
import { type OrtModule, useBackend, webBackend } from '../../src/browser.js';

export type Device = 'wasm' | 'webgpu';

/** onnxruntime-web's build for each device (each loads its own .wasm, fetched only when used). */
const BUILDS: Record<Device, string> = { wasm: 'ort/ort.wasm.min.mjs', webgpu: 'ort/ort.webgpu.min.mjs' };

/** The most threads the page offers: up to 4, as many as the cores; 1 without isolation. */
export function maxThreads(): number {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/** The page's settings from its address: ?threads=N (default: all it may use) and ?device=wasm|webgpu. */
export function requested(): { threads: number; device: Device } {
  const q = new URLSearchParams(location.search);
  const asked = Number(q.get('threads'));
  const threads = Number.isInteger(asked) && asked >= 1 ? Math.min(asked, maxThreads()) : maxThreads();
  return { threads, device: q.get('device') === 'webgpu' ? 'webgpu' : 'wasm' };
}

/** Whether this browser (page or worker) has a WebGPU adapter. */
export async function hasWebgpu(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  return !!gpu && !!(await gpu.requestAdapter().catch(() => null));
}

/** Load onnxruntime-web for `device` and make it the backend every program compiles for; returns its name. */
export async function startBackend(threads: number, base: string, device: Device = 'wasm'): Promise<string> {
  const ort = (await import(/* not bundled */ new URL(BUILDS[device], base).href)) as OrtModule;
  const backend = webBackend(ort, { threads, device, wasmPaths: new URL('ort/', base).href });
  useBackend(backend);
  return backend.name;
}
