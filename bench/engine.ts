// Engine benchmark: the paper's A3T and plain training steps (batch 128) in a3t, TensorFlow.js (wasm)
// and PyTorch, side by side in one run; the GEMM ceiling ONNX Runtime reaches on the step's shapes; a
// PGD-AT step (10 PGD steps) of the CNN presets cnn-small and cnn-madry in a3t and PyTorch; the kernel time
// of our steps per op type.
// Usage: npm run bench -- [--seconds S] [--rounds R] [--threads T] [--json FILE] [--skip-tfjs] [--skip-torch] [--skip-cnn]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as o from '../src/engine/ops.js';
import { fold, keyFromSeed, uniform } from '../src/engine/rng.js';
import { compile } from '../src/engine/runtime.js';
import { type Tensor, elementCount, topoSort } from '../src/engine/tensor.js';
import { network } from '../src/model/network.js';
import { presetNetwork } from '../src/model/presets.js';
import { ATTACKS } from '../src/attacks/spec.js';
import { paperDiscriminator } from '../src/model/discriminator.js';
import { adversarial } from '../src/objectives/adversarial.js';
import { type TrainStep, compileStep } from '../src/train/step.js';
import { type StepProfile, profileStep } from './step-profile.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
function opt(name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}
const SECONDS = Number(opt('seconds', '3'));
const ROUNDS = Number(opt('rounds', '3'));
const THREADS = Number(opt('threads', '2'));
const JSON_OUT = opt('json', '');
const B = 128;
const K = 16;
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const root = fileURLToPath(new URL('..', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Steps per second of `run` over `seconds`, after a warm-up. */
async function rate(run: () => Promise<unknown>, perRun: number, seconds: number): Promise<number> {
  await run();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await run();
    n += perRun;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function ourStep(alpha: number, beta: number): Promise<TrainStep> {
  const model = { classifier: presetNetwork('mlp', { image: [1, 28, 28], classes: 10 }), discriminator: paperDiscriminator(256) };
  const step = await compileStep({ objective: adversarial({ alpha, beta, eps: 0.1 }), model, batchSize: B, maxSteps: K, threads: THREADS });
  step.init(keyFromSeed(1));
  return step;
}

/** A graph of just the step's matrix products (same shapes, transposes and addends). */
async function gemmOnly(step: TrainStep) {
  const mms = topoSort([...Object.values(step.graph.state), ...Object.values(step.graph.metrics)]).filter((t) => t.op === 'matmul');
  const feeds: Record<string, Float32Array> = {};
  const firstRows: Tensor[] = [];
  let flops = 0;
  mms.forEach((t, i) => {
    const operand = (j: number) => {
      const s = t.inputs[j].shape as number[];
      feeds[`m${i}_${j}`] = uniform(fold(keyFromSeed(9), i * 3 + j), elementCount(s));
      return o.input(`m${i}_${j}`, s);
    };
    const y = o.matmul(operand(0), operand(1), t.attrs, t.inputs[2] ? operand(2) : undefined);
    // Keep each product alive with a one-row output, so ONNX Runtime cannot prune it.
    firstRows.push(o.reshape(o.slice(y, 0, 0, 1), [-1]));
    const k = (t.attrs.transA ? t.inputs[0].shape[0] : t.inputs[0].shape[1]) as number;
    flops += 2 * (t.shape[0] as number) * (t.shape[1] as number) * k;
  });
  const program = await compile({ outputs: { rows: o.concat(firstRows, 0) }, threads: THREADS });
  return { run: () => program.run(feeds), flops, count: mms.length };
}

interface PeerResult {
  a3t: number;
  plain: number;
  engine: string;
}

function peer<T = PeerResult>(label: string, cmd: string, args: string[], env: Record<string, string> = {}, keys = ['a3t', 'plain']): T | null {
  log(`${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line);
    if (keys.every((k) => typeof parsed[k] === 'number')) return parsed;
    log(`${label}: skipped (${parsed.error ?? 'no result'})`);
  } catch {
    log(`${label}: skipped (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}): ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`);
  }
  return null;
}

const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ratio = (a: number, b: number | null | undefined) => (b ? `${(a / b).toFixed(1)}×` : '—');

/** A CNN preset's PGD-AT step (10 PGD steps of 0.25·ε from a random start, ε = 0.3, Adam), batch 128. */
async function cnnStep(preset: string, steps: number): Promise<TrainStep> {
  const spec = presetNetwork(preset, { image: [1, 28, 28], classes: 10 });
  const model = { classifier: spec, discriminator: paperDiscriminator(network(spec).featureSize) };
  const objective = adversarial({ alpha: 0, beta: 0, eps: 0.3, attack: { ...ATTACKS['pgd-10'], stepSize: 0.25 } });
  const step = await compileStep({ objective, model, batchSize: B, maxSteps: steps, threads: THREADS });
  step.init(keyFromSeed(1));
  return step;
}

interface CnnResult {
  ours: number;
  torch: number | null;
  ratio: number | null;
  engine: string;
}

/** Our PGD-AT step of each CNN preset against PyTorch's, rounds interleaved; samples/s and the median per-round ratio. */
async function cnnRows(presets: string[]): Promise<Record<string, CnnResult>> {
  const out: Record<string, CnnResult> = {};
  for (const preset of presets) {
    // cnn-madry's step takes ~1 s: fewer steps per session run so a round still holds several runs.
    const steps = preset === 'cnn-madry' ? 2 : K;
    log(`ours: compiling ${preset}'s PGD-AT step (batch ${B}, 10 attack steps, ${steps} steps per session run)`);
    const step = await cnnStep(preset, steps);
    const x = uniform(keyFromSeed(4), steps * B * 784);
    const y = BigInt64Array.from({ length: steps * B }, (_, i) => BigInt(i % 10));
    const keys = Array.from({ length: steps }, (_, i) => fold(keyFromSeed(5), i));
    const ours: number[] = [];
    const torch: number[] = [];
    let engine = '';
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(B * (await rate(() => step.run(x, y, keys), steps, SECONDS)));
      let line = `${preset} round ${r + 1}/${ROUNDS}: a3t ${fmt(ours[r])} samples/s`;
      const t = flag('skip-torch') ? null : peer<{ pgdat: number; engine: string }>(`torch ${preset}`, 'python3', ['bench/peers/torch_cnn_step.py', '--model', preset, '--seconds', String(SECONDS), '--threads', '2'], { OPENBLAS_NUM_THREADS: '1' }, ['pgdat']);
      if (t) {
        torch.push(t.pgdat);
        engine = t.engine;
        line += `; PyTorch ${fmt(t.pgdat)} samples/s`;
      }
      log(line);
    }
    await step.program.release();
    out[preset] = { ours: median(ours), torch: torch.length ? median(torch) : null, ratio: torch.length ? median(torch.map((t, i) => ours[i] / t)) : null, engine };
  }
  return out;
}

async function main() {
  log(`ours: compiling the A3T and plain steps (batch ${B}, ${K} steps per session run, ${THREADS} threads)`);
  const a3t = await ourStep(0.5, 1);
  const plain = await ourStep(1, 0);
  const gemm = await gemmOnly(a3t);
  const x = uniform(keyFromSeed(2), K * B * 784);
  const y = BigInt64Array.from({ length: K * B }, (_, i) => BigInt(i % 10));
  const keys = Array.from({ length: K }, (_, i) => fold(keyFromSeed(3), i));
  // Rounds interleave our steps, the GEMM ceiling and PyTorch, so drifts in machine speed hit all
  // of them alike; ratios are medians of per-round ratios.
  const samples = { a3t: [] as number[], plain: [] as number[], gemm: [] as number[] };
  const torchRounds: PeerResult[] = [];
  let torchMissing = flag('skip-torch');
  for (let r = 0; r < ROUNDS; r++) {
    samples.a3t.push(B * (await rate(() => a3t.run(x, y, keys), K, SECONDS)));
    samples.plain.push(B * (await rate(() => plain.run(x, y, keys), K, SECONDS)));
    samples.gemm.push((gemm.flops * (await rate(gemm.run, 1, SECONDS))) / 1e9);
    let line = `round ${r + 1}/${ROUNDS}: a3t ${fmt(samples.a3t[r])} samples/s, plain ${fmt(samples.plain[r])} samples/s, GEMM ${fmt(samples.gemm[r], 1)} GFLOP/s`;
    if (!torchMissing) {
      const t = peer('torch', 'python3', ['bench/peers/torch_step.py', '--seconds', String(SECONDS), '--threads', '2'], { OPENBLAS_NUM_THREADS: '1' });
      if (t) {
        torchRounds.push(t);
        line += `; PyTorch a3t ${fmt(t.a3t)}, plain ${fmt(t.plain)}`;
      } else torchMissing = true;
    }
    log(line);
  }
  const ours = { a3t: median(samples.a3t), plain: median(samples.plain) };
  const gflops = { step: (ours.a3t / B) * (a3t.flops / 1e9), gemm: median(samples.gemm) };
  const torch: PeerResult | null = torchRounds.length ? { a3t: median(torchRounds.map((t) => t.a3t)), plain: median(torchRounds.map((t) => t.plain)), engine: torchRounds[0].engine } : null;
  const torchRatio = torchRounds.length
    ? { a3t: median(torchRounds.map((t, i) => samples.a3t[i] / t.a3t)), plain: median(torchRounds.map((t, i) => samples.plain[i] / t.plain)) }
    : null;

  const seconds = String(Math.max(SECONDS * ROUNDS, 6));
  const tfjs = flag('skip-tfjs') ? null : peer('tfjs (wasm, built-in gradients)', 'node', ['--import', 'tsx', 'bench/peers/tfjs-step.ts', '--seconds', seconds]);
  const tfjsTuned = flag('skip-tfjs') ? null : peer('tfjs (wasm, explicit-transpose gradients)', 'node', ['--import', 'tsx', 'bench/peers/tfjs-step.ts', '--seconds', seconds, '--transpose-grads']);

  const rows: Array<[string, PeerResult | null | { a3t: number; plain: number; engine: string }]> = [
    [`a3t (ONNX Runtime, ${THREADS} threads)`, { ...ours, engine: 'ours' }],
    ['TensorFlow.js wasm, built-in gradients', tfjs],
    ['TensorFlow.js wasm, hand-tuned gradients', tfjsTuned],
    ['PyTorch (OpenBLAS 1 thread, 2 torch threads)', torch],
  ];
  console.log(`\nOne training step of the paper's model, batch ${B} (samples/s, higher is better)\n`);
  console.log('| engine | A3T step | plain step | ours ÷ it (A3T) | ours ÷ it (plain) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, r] of rows) {
    const isTorch = r !== null && r === torch;
    const a = r === rows[0][1] ? '' : isTorch ? `${torchRatio!.a3t.toFixed(1)}×` : ratio(ours.a3t, r?.a3t);
    const p = r === rows[0][1] ? '' : isTorch ? `${torchRatio!.plain.toFixed(1)}×` : ratio(ours.plain, r?.plain);
    console.log(`| ${name} | ${fmt(r?.a3t)} | ${fmt(r?.plain)} | ${a} | ${p} |`);
  }
  if (torchRatio) console.log(`\n(PyTorch ran between our rounds; its ratios are medians of the per-round ratios.)`);
  console.log(`\nA3T step: ${fmt(a3t.flops / 1e6, 0)} MFLOP of matrix products per step, ${fmt(gflops.step, 1)} GFLOP/s achieved;`);
  console.log(`the same ${gemm.count} products alone in ONNX Runtime: ${fmt(gflops.gemm, 1)} GFLOP/s (step reaches ${((100 * gflops.step) / gflops.gemm).toFixed(0)}% of it).`);
  for (const [name, r] of rows.slice(1)) if (r) console.log(`${name}: ${r.engine}`);
  // Where our steps' time goes (ONNX Runtime's profiler; it slows the steps, so it runs after the rounds).
  const profiles: Record<string, StepProfile> = {};
  for (const objective of ['a3t', 'plain'] as const) profiles[objective] = await profileStep({ model: 'mlp', objective, threads: THREADS, seconds: SECONDS });
  console.log(`\nKernel time per step by op type (ONNX Runtime's profiler, ms):\n`);
  console.log('| op type | A3T step | plain step |');
  console.log('| --- | ---: | ---: |');
  for (const op of Object.keys(profiles.a3t.byType).slice(0, 8)) console.log(`| ${op} | ${profiles.a3t.byType[op].toFixed(3)} | ${profiles.plain.byType[op]?.toFixed(3) ?? '—'} |`);
  console.log(`| all kernels | ${profiles.a3t.perStep.kernelMs.toFixed(3)} | ${profiles.plain.perStep.kernelMs.toFixed(3)} |`);
  const cnns = flag('skip-cnn') ? null : await cnnRows(['cnn-small', 'cnn-madry']);
  const cnnProfiles: Record<string, StepProfile> = {};
  if (cnns) {
    console.log(`\nA PGD-AT step of the CNN presets (10 PGD steps, ε = 0.3, Adam), batch ${B} (samples/s)\n`);
    console.log('| model | a3t (ONNX Runtime, 2 threads) | PyTorch (OpenBLAS 1 thread, 2 torch threads) | ours ÷ it |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const [preset, r] of Object.entries(cnns)) console.log(`| ${preset} | ${fmt(r.ours)} | ${fmt(r.torch)} | ${r.ratio ? `${r.ratio.toFixed(2)}×` : '—'} |`);
    if (cnns['cnn-small'].engine) console.log(`\nPyTorch: ${cnns['cnn-small'].engine}`);
    for (const preset of Object.keys(cnns)) cnnProfiles[preset] = await profileStep({ model: preset, objective: 'pgd-at', threads: THREADS, seconds: SECONDS });
    console.log(`\nKernel time per PGD-AT step by op type (ONNX Runtime's profiler, ms; blocked convolutions count as Conv):\n`);
    console.log(`| op type | ${Object.keys(cnnProfiles).join(' | ')} |`);
    console.log(`| --- | ${Object.keys(cnnProfiles).map(() => '---:').join(' | ')} |`);
    const ops = Object.keys(cnnProfiles['cnn-small'].byType).slice(0, 12);
    for (const op of ops) console.log(`| ${op} | ${Object.values(cnnProfiles).map((p) => p.byType[op]?.toFixed(3) ?? '—').join(' | ')} |`);
    console.log(`| all kernels | ${Object.values(cnnProfiles).map((p) => p.perStep.kernelMs.toFixed(3)).join(' | ')} |`);
  }
  const cnn = cnns?.['cnn-small'] ?? null;
  const madry = cnns?.['cnn-madry'] ?? null;
  if (JSON_OUT) {
    const out = {
      cnn: cnn && { ours: cnn.ours, torch: cnn.torch, torch_ratio: cnn.ratio },
      cnn_madry: madry && { ours: madry.ours, torch: madry.torch, torch_ratio: madry.ratio },
      a3t: { ours: ours.a3t, tfjs: tfjs?.a3t ?? null, torch: torch?.a3t ?? null, tfjs_tuned: tfjsTuned?.a3t ?? null, torch_ratio: torchRatio?.a3t ?? null },
      plain: { ours: ours.plain, tfjs: tfjs?.plain ?? null, torch: torch?.plain ?? null, tfjs_tuned: tfjsTuned?.plain ?? null, torch_ratio: torchRatio?.plain ?? null },
      gflops,
      profile: Object.fromEntries(Object.entries({ ...profiles, ...cnnProfiles }).map(([k, p]) => [k, { perStep: p.perStep, byType: p.byType }])),
      settings: { batch: B, threads: THREADS, stepsPerRun: K, seconds: SECONDS, rounds: ROUNDS },
    };
    writeFileSync(JSON_OUT, JSON.stringify(out, null, 2) + '\n');
    log(`wrote ${JSON_OUT}`);
  }
}

await main();
