// Samples/s of the paper's A3T step (MLP, batch 128, 16 steps per session run by default) on whichever backend is
// active: shared by the Node side and the browser side of the web bench, so both time the same thing.
import { fold, keyFromSeed, uniform } from '../src/engine/rng.js';
import { paperDiscriminator } from '../src/model/discriminator.js';
import { presetNetwork } from '../src/model/presets.js';
import { adversarial } from '../src/objectives/adversarial.js';
import { compileStep } from '../src/train/step.js';

export async function a3tStepRate(opts: { threads?: number; seconds: number; steps?: number }): Promise<number> {
  const [B, K] = [128, opts.steps ?? 16];
  const model = { classifier: presetNetwork('mlp', { image: [1, 28, 28], classes: 10 }), discriminator: paperDiscriminator(256) };
  const step = await compileStep({ objective: adversarial({ alpha: 0.5, beta: 1, eps: 0.1 }), model, batchSize: B, maxSteps: K, threads: opts.threads });
  step.init(keyFromSeed(1));
  const x = uniform(keyFromSeed(4), K * B * 784);
  const y = BigInt64Array.from({ length: K * B }, (_, i) => BigInt(i % 10));
  const keys = Array.from({ length: K }, (_, i) => fold(keyFromSeed(5), i));
  await step.run(x, y, keys); // warm-up
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < 1000 * opts.seconds) {
    await step.run(x, y, keys);
    steps += K;
  }
  const rate = (steps * B) / ((performance.now() - t0) / 1000);
  await step.program.release();
  return rate;
}
