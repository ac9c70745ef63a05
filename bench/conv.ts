// Convolution micro-bench: each convolution of the CNN presets (batch 128) — forward pass, input gradient
// and weight gradient — as a3t emits it with standard ONNX operators and with ONNX Runtime's blocked
// (NCHWc) kernels, beside PyTorch's own convolution forward and backward on the same shapes, rounds
// interleaved. Each a3t pass goes from standard-layout inputs to a standard-layout result (what PyTorch's
// call takes and gives), so the blocked times include reordering in and out, which a network mostly
// avoids; it runs 8 times per session run inside an ONNX Loop (as training steps do), each time on its own
// copy of the inputs, and returns one sum, so neither the session call nor copying results out is timed.
// The engine's rules for which lowering to use (src/engine/nchwc.ts) follow this table.
// Usage: npm run bench:conv -- [--rounds 3] [--reps 20] [--threads 2] [--json FILE] [--skip-torch]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConvAttrs } from '../src/engine/conv.js';
import { activeBackend } from '../src/engine/backend.js';
import * as o from '../src/engine/ops.js';
import { keyFromSeed, uniform } from '../src/engine/rng.js';
import { type Program, blockSize, compile } from '../src/engine/runtime.js';
import { convWeightGrad } from '../src/engine/vjp.js';
import { network } from '../src/model/network.js';
import { presetNetwork } from '../src/model/presets.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const ROUNDS = Number(opt('rounds', '3'));
const REPS = Number(opt('reps', '20'));
const THREADS = Number(opt('threads', '2'));
const JSON_OUT = opt('json', '');
const BATCH = 128;
const root = fileURLToPath(new URL('..', import.meta.url));
const log = (s: string) => process.stderr.write(`[bench:conv] ${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Layer {
  name: string;
  batch: number;
  c: number;
  h: number;
  w: number;
  o: number;
  k: number;
  s: number;
  p: number;
}

/** The conv2d layers of the CNN presets on MNIST, with their input shapes. */
function presetLayers(): Layer[] {
  const out: Layer[] = [];
  for (const preset of ['cnn-small', 'cnn-madry']) {
    const net = network(presetNetwork(preset, { image: [1, 28, 28], classes: 10 }));
    net.spec.layers.forEach((l, i) => {
      if (l.type !== 'conv2d') return;
      const [c, h, w] = i === 0 ? net.spec.input : net.shapes[i - 1];
      const one = (v: number | readonly number[] | undefined, d: number) => (v === undefined ? d : typeof v === 'number' ? v : v[0]);
      out.push({ name: `${preset} ${l.name}`, batch: BATCH, c, h, w, o: l.filters, k: one(l.kernel, 1), s: one(l.stride, 1), p: one(l.padding, 0) });
    });
  }
  return out;
}

const PASSES = ['forward', 'input', 'weight'] as const;
type Pass = (typeof PASSES)[number];

/** Passes per session run. */
const LOOPED = 8;

/** One pass of a layer as a looped program, and its (stacked) feeds. */
async function passProgram(l: Layer, pass: Pass, convolutions: 'auto' | 'standard'): Promise<{ program: Program; feeds: Record<string, Float32Array> }> {
  const a: ConvAttrs = { strides: [l.s, l.s], pads: [l.p, l.p, l.p, l.p], dilations: [1, 1], group: 1 };
  const x = o.input('x', [l.batch, l.c, l.h, l.w]);
  const w = o.input('w', [l.o, l.c, l.k, l.k]);
  const b = o.input('b', [l.o]);
  const y = o.conv2d(x, w, b, a);
  const g = o.input('g', y.shape);
  const [ho] = y.shape.slice(2) as number[];
  const outputPadding = l.h - ((ho - 1) * l.s + l.k - 2 * l.p);
  const out = pass === 'forward' ? y : pass === 'input' ? o.convTranspose2d(g, w, { ...a, outputPadding }) : convWeightGrad(x, g, w, a);
  // One example's result summed: the pass is computed whole, only a number leaves ONNX Runtime.
  const program = await compile({ outputs: { sum: o.reduceSum(o.slice(out, 0, 0, 1)) }, threads: THREADS, convolutions, loop: true });
  const size = (t: { shape: readonly (number | string)[] }) => LOOPED * (t.shape as number[]).reduce((p, d) => p * d, 1);
  const all: Record<string, Float32Array> = { x: uniform(keyFromSeed(1), size(x)), w: uniform(keyFromSeed(2), size(w)), b: uniform(keyFromSeed(3), size(b)), g: uniform(keyFromSeed(4), size(g)) };
  const feeds = Object.fromEntries(program.feeds.map((f) => [f.name, all[f.name]]));
  return { program, feeds };
}

async function timeMs(p: { program: Program; feeds: Record<string, Float32Array> }): Promise<number> {
  for (let i = 0; i < 3; i++) await p.program.run(p.feeds);
  const ts: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await p.program.run(p.feeds);
    ts.push((performance.now() - t0) / LOOPED);
  }
  return median(ts);
}

function torchRound(layers: Layer[]): Record<string, Record<Pass, number>> | null {
  if (argv.includes('--skip-torch')) return null;
  const r = spawnSync('python3', ['bench/peers/torch_conv.py', '--layers', JSON.stringify(layers), '--reps', String(REPS), '--threads', String(THREADS)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    timeout: 600_000,
  });
  try {
    const parsed = JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '');
    if (parsed.error) throw new Error(parsed.error);
    torchEngine = parsed.engine;
    return parsed;
  } catch (e) {
    log(`PyTorch skipped: ${(e as Error).message || (r.stderr ?? '').trim().split('\n').pop()}`);
    return null;
  }
}
let torchEngine = '';

async function main() {
  const block = await blockSize(await activeBackend());
  const layers = presetLayers();
  const lowerings = block ? (['standard', 'auto'] as const) : (['standard'] as const);
  log(`${layers.length} layers × ${PASSES.length} passes × ${lowerings.join('/')}; block size ${block || 'none (no blocked kernels)'}; ${THREADS} threads`);
  const programs = new Map<string, Awaited<ReturnType<typeof passProgram>>>();
  for (const l of layers) for (const pass of PASSES) for (const lw of lowerings) programs.set(`${l.name}|${pass}|${lw}`, await passProgram(l, pass, lw));
  const ours = new Map<string, number[]>();
  const torch = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [key, p] of programs) ours.set(key, [...(ours.get(key) ?? []), await timeMs(p)]);
    const t = torchRound(layers);
    if (t) for (const l of layers) for (const pass of PASSES) torch.set(`${l.name}|${pass}`, [...(torch.get(`${l.name}|${pass}`) ?? []), t[l.name][pass]]);
    log(`round ${r + 1}/${ROUNDS} done`);
  }
  const rows: Array<Record<string, unknown>> = [];
  console.log(`\nConvolutions of the CNN presets, batch ${BATCH}, ${THREADS} threads: median ms per call (NCHW in and out)\n`);
  console.log('| layer | pass | standard ONNX | blocked (NCHWc) | PyTorch | a3t (auto) ÷ PyTorch time |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const l of layers)
    for (const pass of PASSES) {
      const std = median(ours.get(`${l.name}|${pass}|standard`)!);
      const blk = block ? median(ours.get(`${l.name}|${pass}|auto`)!) : null;
      const tt = torch.get(`${l.name}|${pass}`);
      const pt = tt ? median(tt) : null;
      const chosen = blk ?? std;
      const blockedNodes = block ? programs.get(`${l.name}|${pass}|auto`)!.program.opCounts['com.microsoft.nchwc.Conv'] ?? 0 : 0;
      rows.push({ layer: l.name, pass, shape: l, standard_ms: std, blocked_ms: blk, torch_ms: pt, auto_uses_blocked: blockedNodes > 0 });
      const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(3));
      console.log(`| ${l.name} ${l.c}→${l.o} ${l.h}×${l.w} k${l.k} s${l.s} p${l.p} | ${pass} | ${fmt(std)} | ${blk === null ? '—' : `${fmt(blk)}${blockedNodes ? '' : ' (not used)'}`} | ${fmt(pt)} | ${pt ? (chosen / pt).toFixed(2) : '—'} |`);
    }
  if (torchEngine) console.log(`\nPyTorch: ${torchEngine}`);
  for (const p of programs.values()) await p.program.release();
  if (JSON_OUT) {
    writeFileSync(JSON_OUT, JSON.stringify({ block, threads: THREADS, batch: BATCH, rounds: ROUNDS, reps: REPS, torch: torchEngine || null, rows }, null, 2) + '\n');
    log(`wrote ${JSON_OUT}`);
  }
}

await main();
