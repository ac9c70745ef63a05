// The browser side of the web bench: ?threads=N&seconds=S[&device=webgpu&steps=K], result in window.a3tBench.
import { startBackend } from '../web/src/runtime.js';
import { a3tStepRate } from './a3t-step-rate.js';

const q = new URLSearchParams(location.search);
const w = window as unknown as { a3tBench?: { backend: string; samplesPerSecond: number } | { error: string } };
(async () => {
  const device = q.get('device') === 'webgpu' ? 'webgpu' : 'wasm';
  const backend = await startBackend(Number(q.get('threads') ?? 1), new URL('.', location.href).href, device);
  w.a3tBench = { backend, samplesPerSecond: await a3tStepRate({ seconds: Number(q.get('seconds') ?? 5), steps: Number(q.get('steps') ?? 16) }) };
})().catch((e: unknown) => (w.a3tBench = { error: String((e as Error)?.stack ?? e) }));
