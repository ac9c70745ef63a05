// How many ONNX Runtime threads each of several processes (or jobs) on one machine gets.
import os from 'node:os';

/**
 * ONNX Runtime threads for each of `workers` processes sharing `cores`: 0 (ONNX Runtime decides, i.e. all
 * cores) for a single one, else an equal share, at least 1. One job at a time gets 0 rather than `cores` so
 * that `a3t worker --concurrency 1` trains exactly as a one-worker `a3t reproduce` or `a3t sweep` does, and a
 * reproduction report's `threads` setting stays 0 (as its committed reports were written).
 */
export function threadsPerWorker(workers: number, cores: number = os.availableParallelism()): number {
  return workers > 1 ? Math.max(1, Math.floor(cores / workers)) : 0;
}

/** The threads a process with `threads` (0: ONNX Runtime decides) runs, as a report or note states them. */
export const threadsShown = (threads: number, cores: number = os.availableParallelism()): number => threads || cores;
