// What a backend is, apart from choosing one (backend.ts): a leaf module, so that the backends
// (loaded by backend.ts on demand) and backend.ts never import each other.
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
