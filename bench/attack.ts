// Attack benchmark: PGD-40 (or Square) robust accuracy over the MNIST test set in a3t and PyTorch, same model, rounds interleaved.
// Usage: npm run bench:attack -- [--attack pgd-40|square[:steps=N]] [--count N] [--rows R] [--threads T] [--eps E] [--rounds K] [--json FILE]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAttack } from '../src/attacks/spec.js';
import { imagesOf } from '../src/data/selection.js';
import { loadDataset } from '../src/data/mnist.js';
import { keyFromSeed } from '../src/engine/rng.js';
import { compileAttack } from '../src/eval/attack-runner.js';
import type { Split } from '../src/data/dataset.js';
import { networkModel } from '../src/eval/model.js';
import { train } from '../src/train/loop.js';

const argv = process.argv.slice(2);
function opt(name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}
const COUNT = Number(opt('count', '10000'));
const ROWS = Number(opt('rows', '1000'));
const THREADS = Number(opt('threads', '2'));
const EPS = Number(opt('eps', '0.1'));
const ROUNDS = Number(opt('rounds', '3'));
const JSON_OUT = opt('json', '');
const SPEC = parseAttack(opt('attack', 'pgd-40'));
if ((SPEC.routine !== 'steps' && SPEC.routine !== 'square') || SPEC.norm !== 'linf' || (SPEC.routine === 'steps' && SPEC.target !== 'none')) throw new RangeError(`--attack: the PyTorch peer runs L∞ untargeted PGD and Square, not ${SPEC.name}`);
/** Steps, or Square's queries. */
const BUDGET = SPEC.routine === 'square' ? SPEC.queries : SPEC.steps;
const log = (s: string) => process.stderr.write(`[bench:attack] ${s}\n`);
const root = fileURLToPath(new URL('..', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

interface Round {
  seconds: number;
  robust: number;
}

function torchRound(dir: string, seed: number): (Round & { engine: string }) | string {
  const r = spawnSync('/usr/bin/python3', ['bench/peers/torch_pgd.py', dir, '--threads', String(THREADS), '--seed', String(seed)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    timeout: 600_000,
  });
  try {
    const parsed = JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '');
    return typeof parsed.seconds === 'number' ? parsed : (parsed.error ?? 'no result');
  } catch {
    return `exit ${r.status}${r.error ? `, ${r.error.message}` : ''}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`;
  }
}

async function main() {
  const data = loadDataset();
  const f = data.test.features;
  if (!(Number.isInteger(COUNT) && COUNT >= 1 && COUNT <= data.test.count)) throw new RangeError(`--count must be an integer in 1..${data.test.count}, got ${COUNT}`);
  const subset = (n: number): Split => ({ pixels: data.test.pixels.subarray(0, n * f), labels: data.test.labels.subarray(0, n), count: n, features: f });
  const test = subset(COUNT);

  // FGSM adversarial training for one epoch: a few seconds, and a model whose PGD accuracy is neither ~0 nor ~clean.
  const trainSettings = { alpha: 0.5, beta: 0, trainEps: EPS, epochs: 1, trainSize: 20000, validation: 1000, threads: THREADS };
  let t0 = performance.now();
  const trained = await train(trainSettings, data);
  const v = trained.history[0].validation;
  const c = trained.model.classifier;
  // The paper's MLP, as the PyTorch peer rebuilds it: its dense widths and leaky slope.
  const widths = [c.input[0], ...c.layers.flatMap((l) => (l.type === 'dense' ? [l.units] : []))];
  const slope = c.layers.flatMap((l) => (l.type === 'leakyRelu' ? [l.slope] : []))[0];
  log(`model: ${widths.join('-')} FGSM-trained 1 epoch on 20,000 images in ${((performance.now() - t0) / 1000).toFixed(1)} s; validation clean ${pct(v.clean)}, FGSM ${pct(v.fgsm)} at ε ${EPS}`);
  const model = networkModel(trained.model.classifier, trained.params);

  t0 = performance.now();
  const attack = await compileAttack(model.arch, SPEC, { threads: THREADS, rows: ROWS });
  const key = keyFromSeed(1);
  // Warm-up compiles the batch sizes the timed runs use: a full chunk and the last, partial one.
  await attack.run(model, subset(Math.min(ROWS, COUNT)), EPS, key);
  if (COUNT > ROWS && COUNT % ROWS) await attack.run(model, subset(COUNT % ROWS), EPS, key);
  log(`a3t: compiled and warmed up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const dir = mkdtempSync(join(tmpdir(), 'a3t-bench-attack-'));
  const ours: Round[] = [];
  const torch: Round[] = [];
  let engine = '';
  let torchSkipped = '';
  try {
    const job = { widths, slope, count: COUNT, rows: ROWS, eps: EPS, steps: BUDGET, stepSize: SPEC.routine === 'steps' ? SPEC.stepSize : 0, routine: SPEC.routine };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    writeFileSync(join(dir, 'params.f32'), trained.params.classifier);
    writeFileSync(join(dir, 'images.f32'), imagesOf(test));
    writeFileSync(join(dir, 'labels.u8'), test.labels);
    for (let r = 0; r < ROUNDS; r++) {
      t0 = performance.now();
      const res = await attack.run(model, test, EPS, key);
      ours.push({ seconds: (performance.now() - t0) / 1000, robust: res.accuracy });
      let line = `round ${r + 1}/${ROUNDS}: a3t ${ours[r].seconds.toFixed(2)} s, robust ${pct(ours[r].robust)}`;
      if (!torchSkipped) {
        const t = torchRound(dir, r);
        if (typeof t === 'string') torchSkipped = t;
        else {
          torch.push(t);
          engine = t.engine;
          line += `; PyTorch ${t.seconds.toFixed(2)} s, robust ${pct(t.robust)}`;
        }
      }
      log(line);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await attack.release();
  }
  if (torchSkipped) log(`PyTorch: skipped (${torchSkipped})`);

  const side = (rounds: Round[]) => {
    const seconds = median(rounds.map((r) => r.seconds));
    // Square stops querying an example once it is fooled: its steps per second count the budget, not the queries made.
    return { seconds, examplesPerSecond: COUNT / seconds, iterationsPerSecond: (COUNT * BUDGET) / seconds, robust: median(rounds.map((r) => r.robust)) };
  };
  const a = side(ours);
  const t = torch.length ? side(torch) : null;
  // Per-round ratios pair each a3t round with the PyTorch round right after it, so machine drift cancels.
  const ratio = t ? median(torch.map((tr, i) => tr.seconds / ours[i].seconds)) : null;
  console.log(`\n${SPEC.name} (L∞, ε ${EPS}${SPEC.routine === 'square' ? ', margin loss' : ', random start'}) over ${fmt(COUNT)} MNIST test images, batches of ${ROWS}, ${THREADS} threads; medians of ${ROUNDS} rounds\n`);
  console.log('| engine | wall s | examples/s | example-steps/s | robust accuracy |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, s] of [['a3t (ONNX Runtime)', a], ['PyTorch', t]] as const) {
    console.log(s ? `| ${name} | ${s.seconds.toFixed(2)} | ${fmt(s.examplesPerSecond)} | ${fmt(s.iterationsPerSecond)} | ${pct(s.robust)} |` : `| ${name} | — | — | — | — |`);
  }
  if (t && ratio) {
    console.log(`\na3t ÷ PyTorch throughput: ${ratio.toFixed(2)}× (median of per-round ratios); robust accuracy differs by ${(100 * (a.robust - t.robust)).toFixed(2)} pp`);
    console.log(`PyTorch: ${engine}`);
  }
  if (JSON_OUT) {
    const settings = { attack: SPEC.name, eps: EPS, count: COUNT, rows: ROWS, threads: THREADS, rounds: ROUNDS, model: trainSettings };
    writeFileSync(JSON_OUT, JSON.stringify({ a3t: a, torch: t, ratio, torchEngine: engine || null, settings }, null, 2) + '\n');
    log(`wrote ${JSON_OUT}`);
  }
}

await main();
