// Where a training step's time goes: ONNX Runtime's profile of a step (batch 128) of a preset network,
// summed per op type and per op with its input shapes.
// Usage: npm run profile -- [--model cnn-small] [--objective pgd-at|a3t|plain] [--threads 2] [--seconds 5] [--top 12]
import { OBJECTIVES, profileStep } from './step-profile.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const model = opt('model', 'cnn-small');
const objective = opt('objective', 'pgd-at') as keyof typeof OBJECTIVES;
const top = Number(opt('top', '12'));
const p = await profileStep({ model, objective, threads: Number(opt('threads', '2')), seconds: Number(opt('seconds', '5')), convolutions: opt('convolutions', 'auto') as 'auto' | 'standard' });
console.log(`${model} ${objective}: ${p.samplesPerSecond.toFixed(0)} samples/s (profiled, so slower than the bench)`);
console.log(`per step: ${p.perStep.wallMs.toFixed(2)} ms wall, ${p.perStep.kernelMs.toFixed(2)} ms in kernels, ${p.perStep.calls} kernel calls`);
console.log('\nby op type (ms per step, share of kernel time):');
for (const [k, ms] of Object.entries(p.byType).slice(0, top)) console.log(`  ${k.padEnd(20)} ${ms.toFixed(3).padStart(7)} ms ${((100 * ms) / p.perStep.kernelMs).toFixed(1).padStart(5)}%`);
console.log('\nby op and input shapes (µs per call, calls per step, share):');
for (const r of p.byShape.slice(0, top))
  console.log(`  ${r.usPerCall.toFixed(0).padStart(6)} µs ×${r.callsPerStep.toFixed(0).padStart(2)} ${(100 * r.share).toFixed(1).padStart(5)}%  ${`${r.op} ${r.shapes}`.slice(0, 110)}`);
