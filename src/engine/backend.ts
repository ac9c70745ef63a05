// Runtimes behind one interface: onnxruntime-node (the default under Node) or onnxruntime-web (WASM,
// WebGPU where the browser has an adapter), chosen once per process or page with `useBackend`.
import type { Backend } from './backend-types.js';

export type { Backend, OrtModule } from './backend-types.js';

let active: Backend | undefined;

/** Compile every later program for `backend` (a page calls this once, before anything compiles). */
export function useBackend(backend: Backend): void {
  active = backend;
}

/** The backend programs compile for: the one set with `useBackend`, else onnxruntime-node. */
export async function activeBackend(): Promise<Backend> {
  // A dynamic import, so that bundles for browsers (which set their backend first) never load onnxruntime-node.
  active ??= (await import('./backend-node.js')).nodeBackend();
  return active;
}
