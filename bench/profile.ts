// Where a training step's time goes: ONNX Runtime's profile of a PGD-AT step (10 PGD steps, ε = 0.3,
// batch 128) of a preset network, summed per op type and per op with its input shapes.
// Usage: npm run profile -- [--model cnn-small] [--threads 2] [--seconds 5]
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

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const [B, K] = [128, 4];
const spec = presetNetwork(opt('model', 'cnn-small'), { image: [1, 28, 28], classes: 10 });
const model = { classifier: spec, discriminator: paperDiscriminator(network(spec).featureSize) };
const OBJECTIVES = {
  'pgd-at': () => adversarial({ alpha: 0, beta: 0, eps: 0.3, attack: { ...ATTACKS['pgd-10'], stepSize: 0.25 } }),
  a3t: () => adversarial({ alpha: 0.5, beta: 1, eps: 0.1 }),
  plain: () => adversarial({ alpha: 1, beta: 0, eps: 0.1 }),
};
const which = opt('objective', 'pgd-at') as keyof typeof OBJECTIVES;
if (!OBJECTIVES[which]) throw new Error(`--objective must be one of ${Object.keys(OBJECTIVES).join(', ')}, got ${which}`);
const objective = OBJECTIVES[which]();
const prefix = join(tmpdir(), `a3t-profile-${process.pid}`);
const step = await compileStep({ objective, model, batchSize: B, maxSteps: K, threads: Number(opt('threads', '2')), profilePrefix: prefix });
step.init(keyFromSeed(1));
const x = uniform(keyFromSeed(4), K * B * 784);
const y = BigInt64Array.from({ length: K * B }, (_, i) => BigInt(i % 10));
const keys = Array.from({ length: K }, (_, i) => fold(keyFromSeed(5), i));
for (let i = 0; i < 3; i++) await step.run(x, y, keys);
const t0 = performance.now();
let steps = 0;
while (performance.now() - t0 < 1000 * Number(opt('seconds', '5'))) {
  await step.run(x, y, keys);
  steps += K;
}
const wall = performance.now() - t0;
console.log(`${spec.name} ${which}: ${((B * steps) / (wall / 1000)).toFixed(0)} samples/s (profiled, so slower than the bench)`);
const file = step.program.endProfiling();
await step.program.release();
type Event = { cat: string; name: string; dur: number; args: { op_name?: string; input_type_shape?: unknown } };
const events = (JSON.parse(readFileSync(file, 'utf8')) as Event[]).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args.op_name !== 'Loop');
rmSync(file);
const total = events.reduce((s, e) => s + e.dur, 0);
const profiledSteps = (3 + steps / K) * K;
console.log(`per step: ${(wall / steps).toFixed(2)} ms wall, ${(total / profiledSteps / 1000).toFixed(2)} ms in kernels, ${Math.round(events.length / profiledSteps)} kernel calls`);
const sum = (key: (e: Event) => string) => {
  const by = new Map<string, [number, number]>();
  for (const e of events) {
    const v = by.get(key(e)) ?? [0, 0];
    by.set(key(e), [v[0] + e.dur, v[1] + 1]);
  }
  return [...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, Number(opt('top', '12')));
};
console.log('\nby op type:');
for (const [k, [d]] of sum((e) => e.args.op_name!)) console.log(`  ${k.padEnd(20)} ${((100 * d) / total).toFixed(1).padStart(5)}%`);
console.log('\nby op and input shapes (µs per call):');
for (const [k, [d, n]] of sum((e) => `${e.args.op_name} ${JSON.stringify(e.args.input_type_shape)}`)) console.log(`  ${(d / n).toFixed(0).padStart(6)} µs ${((100 * d) / total).toFixed(1).padStart(5)}%  ${k.slice(0, 110)}`);
