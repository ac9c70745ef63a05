// ONNX Runtime's profile of a training step of a preset network (batch 128): kernel time per op type and
// per op with its input shapes. Used by `npm run profile` and by the engine bench's JSON.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTACKS } from '../src/attacks/spec.js';
import { fold, keyFromSeed, uniform } from '../src/engine/rng.js';
import { paperDiscriminator } from '../src/model/discriminator.js';
import { network } from '../src/model/network.js';
import { presetNetwork } from '../src/model/presets.js';
import { adversarial } from '../src/objectives/adversarial.js';
import { compileStep } from '../src/train/step.js';

export const OBJECTIVES = {
  /** PGD-AT: 10 PGD steps of 0.25·ε from a random start, ε = 0.3. */
  'pgd-at': () => adversarial({ alpha: 0, beta: 0, eps: 0.3, attack: { ...ATTACKS['pgd-10'], stepSize: 0.25 } }),
  /** The paper's A3T step (α = ½, β = 1, FGSM). */
  a3t: () => adversarial({ alpha: 0.5, beta: 1, eps: 0.1 }),
  plain: () => adversarial({ alpha: 1, beta: 0, eps: 0.1 }),
};

export interface StepProfile {
  /** Samples/s while profiled (profiling slows a step down). */
  samplesPerSecond: number;
  /** Per step: wall time, kernel time (ms) and kernel calls. */
  perStep: { wallMs: number; kernelMs: number; calls: number };
  /** Kernel time per step (ms) by op type, largest first. */
  byType: Record<string, number>;
  /** Kernel time per call (µs), calls per step and share by op and input shapes, largest share first. */
  byShape: Array<{ op: string; shapes: string; usPerCall: number; callsPerStep: number; share: number }>;
}

export async function profileStep(opts: { model: string; objective: keyof typeof OBJECTIVES; threads: number; seconds: number; convolutions?: 'auto' | 'standard' }): Promise<StepProfile> {
  const [B, K] = [128, 4];
  const spec = presetNetwork(opts.model, { image: [1, 28, 28], classes: 10 });
  const model = { classifier: spec, discriminator: paperDiscriminator(network(spec).featureSize) };
  const make = OBJECTIVES[opts.objective];
  if (!make) throw new Error(`objective must be one of ${Object.keys(OBJECTIVES).join(', ')}, got ${opts.objective}`);
  const prefix = join(tmpdir(), `a3t-profile-${process.pid}`);
  const step = await compileStep({ objective: make(), model, batchSize: B, maxSteps: K, threads: opts.threads, profilePrefix: prefix, convolutions: opts.convolutions });
  step.init(keyFromSeed(1));
  const x = uniform(keyFromSeed(4), K * B * 784);
  const y = BigInt64Array.from({ length: K * B }, (_, i) => BigInt(i % 10));
  const keys = Array.from({ length: K }, (_, i) => fold(keyFromSeed(5), i));
  const warm = 3;
  for (let i = 0; i < warm; i++) await step.run(x, y, keys);
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < 1000 * opts.seconds) {
    await step.run(x, y, keys);
    steps += K;
  }
  const wall = performance.now() - t0;
  const file = step.program.endProfiling();
  await step.program.release();
  type Event = { cat: string; name: string; dur: number; args: { op_name?: string; input_type_shape?: unknown } };
  const events = (JSON.parse(readFileSync(file, 'utf8')) as Event[]).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args.op_name !== 'Loop');
  rmSync(file);
  // The profile covers the warm-up runs too.
  const profiled = steps + warm * K;
  const total = events.reduce((s, e) => s + e.dur, 0);
  const sum = (key: (e: Event) => string) => {
    const by = new Map<string, [number, number]>();
    for (const e of events) {
      const v = by.get(key(e)) ?? [0, 0];
      by.set(key(e), [v[0] + e.dur, v[1] + 1]);
    }
    return [...by].sort((a, b) => b[1][0] - a[1][0]);
  };
  return {
    samplesPerSecond: (B * steps) / (wall / 1000),
    perStep: { wallMs: wall / steps, kernelMs: total / profiled / 1000, calls: Math.round(events.length / profiled) },
    byType: Object.fromEntries(sum((e) => e.args.op_name!).map(([k, [d]]) => [k, +(d / profiled / 1000).toFixed(4)])),
    byShape: sum((e) => `${e.args.op_name}\t${JSON.stringify(e.args.input_type_shape)}`).map(([k, [d, n]]) => {
      const [op, shapes] = k.split('\t');
      return { op, shapes, usPerCall: d / n, callsPerStep: n / profiled, share: d / total };
    }),
  };
}
