// The web backend: onnxruntime-web on WASM (threads when the page is cross-origin isolated), or WebGPU
// with WASM for the ops WebGPU lacks. ONNX Runtime allocates every output (see Backend.preallocate).
import type { Backend, OrtModule } from './backend-types.js';

/** The part of onnxruntime-web's `env` the backend sets. */
interface WebOrt extends OrtModule {
  env: { wasm: { numThreads?: number; wasmPaths?: string | Record<string, string> } };
}

export interface WebBackendOptions {
  /** WASM threads (default 1). More than one needs a cross-origin isolated page (SharedArrayBuffer). */
  threads?: number;
  /** 'webgpu' runs supported ops on the GPU and the rest on WASM; the caller checks for an adapter first. */
  device?: 'wasm' | 'webgpu';
  /** Where the .wasm and its .mjs loader are served (default: beside onnxruntime-web's own script). */
  wasmPaths?: string;
}

/** `ort` is the imported onnxruntime-web module (its `/wasm` or `/webgpu` build), so callers choose how it is loaded. */
export function webBackend(ort: OrtModule, opts: WebBackendOptions = {}): Backend {
  const threads = opts.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`webBackend: threads must be a positive integer, got ${threads}`);
  const web = ort as WebOrt;
  // A global of onnxruntime-web, read when its WASM starts (the first session): set before any compile.
  web.env.wasm.numThreads = threads;
  if (opts.wasmPaths) web.env.wasm.wasmPaths = opts.wasmPaths;
  const device = opts.device ?? 'wasm';
  // ONNX Runtime's WebGPU build aborts ("memory access out of bounds") when two session runs overlap: queue them.
  let tail: Promise<unknown> = Promise.resolve();
  const serialize = <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    name: `onnxruntime-web ${device}, ${threads} thread${threads > 1 ? 's' : ''}`,
    ort,
    preallocate: false,
    // Severity 3: errors only; ORT otherwise warns on the console, for every WebGPU session, that shape ops stay on the CPU.
    sessionOptions: () => ({ executionProviders: device === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'], logSeverityLevel: 3 }),
    serialize: device === 'webgpu' ? serialize : undefined,
  };
}
