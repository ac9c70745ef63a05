// Runtimes behind one interface: onnxruntime-node (the default under Node) or onnxruntime-web (WASM,
// WebGPU where the browser has an adapter), chosen once per process or page with `useBackend`.
import type { InferenceSession, Tensor } from 'onnxruntime-common';

/** What a3t uses of an ONNX Runtime package; onnxruntime-node and onnxruntime-web both are one. */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: typeof Tensor;
}

export interface Backend {
  /** Says which runtime and settings, for logs and the page ("onnxruntime-web wasm, 2 threads"). */
  readonly name: string;
  readonly ort: OrtModule;
  /**
   * Whether a run may hand ONNX Runtime pre-allocated output tensors. onnxruntime-web leaves them
   * unwritten (all zeros, onnxruntime issue 25786): a loop that pre-allocated its state would train on zeros.
   */
  readonly preallocate: boolean;
  /** Session options for `threads` intra-op threads (undefined: the backend's default). */
  sessionOptions(threads: number | undefined): InferenceSession.SessionOptions;
  /** Whether the runtime may have ONNX Runtime's blocked (NCHWc) convolution kernels (compile probes for them). */
  readonly blockedKernels?: boolean;
  /** When given, every session run goes through it (the WebGPU build aborts when runs overlap). */
  serialize?<T>(run: () => Promise<T>): Promise<T>;
  /** The file a session's profile went to, once ended (Node only). */
  profileFile?(prefix: string): string;
}

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
