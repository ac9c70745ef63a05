// Several models in one step graph against several processes: the paper's A3T step (batch 128) for M
// models traced side by side into one ONNX graph (one session run steps them all), run in P processes
// at once with T ONNX Runtime threads each. Prints total samples/s per schedule, rounds interleaved.
// Usage: npm run bench:models -- [--seconds S] [--rounds R] [--json FILE]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { fold, keyFromSeed, uniform } from '../src/engine/rng.js';
import { compile } from '../src/engine/runtime.js';
import { paperDiscriminator } from '../src/model/discriminator.js';
import { presetNetwork } from '../src/model/presets.js';
import { adversarial } from '../src/objectives/adversarial.js';
import { initialValues, traceModels } from '../src/train/step.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const [B, K] = [128, 16];
const SECONDS = Number(opt('seconds', '4'));

/** Samples/s of one process stepping `models` A3T models in one graph with `threads` threads. */
async function worker(models: number, threads: number, seconds: number): Promise<number> {
  const model = { classifier: presetNetwork('mlp', { image: [1, 28, 28], classes: 10 }), discriminator: paperDiscriminator(256) };
  const traced = traceModels({ objective: adversarial({ alpha: 0.5, beta: 1, eps: 0.1 }), model, batchSize: B }, models);
  const program = await compile({ outputs: traced.metrics, state: traced.state, threads, loop: true });
  const feeds: Record<string, Float32Array | BigInt64Array> = {};
  traced.models.forEach((t, m) => {
    const named = t.named;
    for (const [n, v] of Object.entries(initialValues(t.groups, keyFromSeed(m)))) program.setState(n, v);
    feeds[named('x')] = uniform(keyFromSeed(100 + m), K * B * 784) as Float32Array;
    feeds[named('y')] = BigInt64Array.from({ length: K * B }, (_, i) => BigInt((i + m) % 10));
    feeds[named('step')] = Float32Array.from({ length: K }, (_, i) => i + 1);
    t.noiseInputs.forEach((n, j) => (feeds[n.name] = uniform(fold(keyFromSeed(200 + m), j), K * n.size) as Float32Array));
  });
  const used = new Set(program.feeds.map((f) => f.name));
  for (const n of Object.keys(feeds)) if (!used.has(n)) delete feeds[n];
  await program.run(feeds);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await program.run(feeds);
    n += models * K * B;
  }
  await program.release();
  return n / ((performance.now() - t0) / 1000);
}

/** P processes at once, each a worker; their samples/s summed. */
function schedule(processes: number, threads: number, models: number): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const runs = Array.from({ length: processes }, () => new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, self, '--worker', String(models), String(threads), String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`worker exited with ${code}`))));
  }));
  return Promise.all(runs).then((r) => r.reduce((a, b) => a + b, 0));
}

if (argv[0] === '--worker') {
  console.log(await worker(Number(argv[1]), Number(argv[2]), Number(argv[3])));
} else {
  const cores = os.availableParallelism();
  const schedules: Array<[number, number, number]> = [[1, cores, 1], [1, cores, 2], [1, cores, 4], [1, cores, 10], [cores, 1, 1], [cores, 1, 2], [cores, 1, 5]];
  const results = schedules.map(() => [] as number[]);
  const rounds = Number(opt('rounds', '3'));
  for (let r = 0; r < rounds; r++) {
    for (const [i, [p, t, m]] of schedules.entries()) {
      results[i].push(await schedule(p, t, m));
      process.stderr.write(`[bench:models] round ${r + 1}/${rounds}: ${p} process(es) × ${t} thread(s) × ${m} model(s) per graph: ${results[i][r].toFixed(0)} samples/s\n`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(results[0]);
  console.log(`\nThe paper's A3T step, batch ${B}, ${K} steps per session run, ${cores} cores (total samples/s, median of ${rounds} rounds)\n`);
  console.log('| processes × threads | models per graph | models at once | samples/s | vs 1 model, 1 process |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  schedules.forEach(([p, t, m], i) => console.log(`| ${p} × ${t} | ${m} | ${p * m} | ${median(results[i]).toFixed(0)} | ${(median(results[i]) / base).toFixed(2)}× |`));
  const json = opt('json', '');
  if (json) writeFileSync(json, JSON.stringify(schedules.map(([processes, threads, models], i) => ({ processes, threads, models, samplesPerSecond: median(results[i]) })), null, 2) + '\n');
}
