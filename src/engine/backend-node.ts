// The Node backend: onnxruntime-node, native threads, pre-allocated outputs, profiles written to files.
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import type { Backend, OrtModule } from './backend-types.js';

export function nodeBackend(): Backend {
  return {
    name: 'onnxruntime-node',
    ort: ort as unknown as OrtModule,
    preallocate: true,
    blockedKernels: true,
    sessionOptions: (threads) => ({ intraOpNumThreads: threads ?? os.availableParallelism() }),
    profileFile(given) {
      const prefix = resolve(given);
      // onnxruntime-node's endProfiling returns nothing: the file is the newest `<prefix>_<date>.json`.
      const dir = dirname(prefix);
      const files = readdirSync(dir).filter((f) => join(dir, f).startsWith(`${prefix}_`) && f.endsWith('.json'));
      if (!files.length) throw new Error(`no ONNX Runtime profile found with prefix ${prefix}`);
      return join(dir, files.sort().at(-1)!);
    },
  };
}
