// a3t reproduce: the paper's four regimes × seeds, each run trained and tested (FGSM on the whole test
// set; PGD-40, APGD-CE and the gradient-masking checks on its first images), spread over worker
// processes; then Table 1 and Figure 2 into --out.
import { type ChildProcess, fork } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { loadDataset } from '../../data/mnist.js';
import { ATTACKS } from '../../attacks/spec.js';
import { take } from '../../data/selection.js';
import { keyFromSeed } from '../../engine/rng.js';
import { A3tError, usageError } from '../../errors.js';
import { maskingChecks } from '../../eval/masking.js';
import { type Model, networkModel } from '../../eval/model.js';
import { AttackBench, robustness } from '../../eval/robustness.js';
import { compileAccuracy } from '../../eval/validation.js';
import { percent } from '../../format.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { RunDirError } from '../../io/rundir.js';
import { REGIMES, regimeSettings } from '../../objectives/regimes.js';
import { type RunResult, reproductionReport } from '../../report/reproduction.js';
import { type TrainConfig, checkSizes, dataShape, makeConfig, modelOf } from '../../train/config.js';
import { train } from '../../train/loop.js';
import { loadModel, saveModel } from '../../train/saved.js';
import { type Flags, parseOrHelp } from '../args.js';
import { OUTPUT_FLAGS, output } from '../output.js';
import { REGIME_KEYS, configSettings, trainFlags } from '../train-flags.js';
import { epochLine } from './train.js';

const train_ = trainFlags([...REGIME_KEYS, 'seed']);
const FLAGS: Flags = {
  quick: { kind: 'flag', flag: 'quick', help: 'a small version (2 seeds, 3 epochs, 20,000 training images) that takes about a minute' },
  seeds: { kind: 'int', flag: 'seeds', placeholder: 'N', min: 1, max: 1000, help: 'seeds per regime (default 10, as the paper)' },
  regimes: { kind: 'text', flag: 'regimes', placeholder: 'LIST', help: `comma-separated regimes (default plain,at,a2t,a3t; any of ${Object.keys(REGIMES).join(', ')})` },
  testEps: { kind: 'number', flag: 'test-eps', placeholder: 'EPS', min: 0, max: 1, help: "FGSM ε at test (default 0.1, Table 1's caption)" },
  attackImages: { kind: 'int', flag: 'attack-images', placeholder: 'N', min: 0, max: 10000, help: 'test images attacked by PGD-40 and APGD-CE, with the masking checks (default 1000, 200 with --quick; 0: none)' },
  ...train_,
  threads: { ...train_.threads, help: 'ONNX Runtime threads per worker (default: cores ÷ workers)' },
  workers: { kind: 'int', flag: 'workers', placeholder: 'N', min: 1, max: 64, help: 'parallel worker processes (default: one per core)' },
  data: { kind: 'text', flag: 'data', placeholder: 'DIR', help: 'directory of MNIST-format IDX files (default: the bundled MNIST)' },
  out: { kind: 'text', flag: 'out', placeholder: 'DIR', help: 'report directory (default reports/reproduce, or reports/quick with --quick)' },
  force: { kind: 'flag', flag: 'force', help: 'overwrite an existing report directory' },
  verbose: { kind: 'flag', flag: 'verbose', help: 'print every epoch of every run' },
  ...OUTPUT_FLAGS,
};

const QUICK: Partial<TrainConfig> = { epochs: 3, trainSize: 20000, validation: 2000 };

interface Job {
  regime: string;
  seed: number;
  config: TrainConfig;
  testEps: number;
  data?: string;
  /** Test images for the strong attacks and masking checks (0: none), and the transfer surrogate's run dir. */
  attackImages: number;
  surrogate?: string;
}

/** ε of the strong-attack columns beside the table's. */
const STRONG_EPS = 0.3;

let surrogate: { dir: string; model: Model } | null = null;
/** The transfer surrogate, loaded once per process. */
function surrogateModel(dir: string): Model {
  if (surrogate?.dir !== dir) {
    const s = loadModel(dir);
    surrogate = { dir, model: networkModel(s.model.classifier, s.params) };
  }
  return surrogate.model;
}

/** PGD-40 and APGD-CE at the table's ε and at 0.3, and the masking checks, on the first test images. */
async function strongEvaluation(job: Job, model: Model, data: Dataset): Promise<Pick<RunResult, 'strong' | 'masking'>> {
  const bench = new AttackBench(take(data.test, job.attackImages), keyFromSeed(job.seed), job.config.threads || undefined);
  const eps = [...new Set([job.testEps, STRONG_EPS])];
  const r = await robustness(model, bench, { attacks: [ATTACKS['pgd-40'], ATTACKS['apgd-ce']], epsilons: eps });
  const m = await maskingChecks(model, bench, { eps: job.testEps, surrogate: job.surrogate ? surrogateModel(job.surrogate) : undefined });
  await bench.release();
  return {
    strong: { images: job.attackImages, attacks: r.attacks.flatMap((a) => eps.map((e, i) => ({ name: a.name, eps: e, accuracy: a.accuracy[i] }))) },
    masking: { passed: m.passed, failed: m.checks.filter((c) => c.passed === false).map((c) => c.id), details: m.checks.map((c) => `${c.id}: ${c.detail}`) },
  };
}

type WorkerMessage = { type: 'epoch'; job: Job; line: string } | { type: 'result'; result: RunResult } | { type: 'error'; message: string; kind?: A3tError['kind'] };

async function runJob(job: Job, data: Dataset, onEpoch: (line: string) => void): Promise<RunResult> {
  const t0 = performance.now();
  const r = await train(job.config, data, { onEpoch: (m) => onEpoch(epochLine(m)) });
  const accuracy = await compileAccuracy(r.model.classifier, { threads: job.config.threads || undefined });
  const test = await accuracy.evaluate(r.params, data.test, job.testEps);
  await accuracy.release();
  const strong = job.attackImages > 0 ? await strongEvaluation(job, networkModel(r.model.classifier, r.params), data) : {};
  return {
    regime: job.regime,
    seed: job.seed,
    test: { clean: test.clean, fgsm: test.fgsm },
    history: r.history.map((m) => ({ epoch: m.epoch, train: m.train, validation: m.validation })),
    seconds: (performance.now() - t0) / 1000,
    ...strong,
  };
}

/** Worker process: runs the jobs its parent sends, one at a time. */
export async function reproduceWorker(): Promise<void> {
  let data: Dataset | null = null;
  await new Promise<void>((resolve) => {
    process.on('message', async ({ job }: { job: Job | null }) => {
      if (job === null) return resolve();
      try {
        data ??= loadDataset(job.data);
        const result = await runJob(job, data, (line) => process.send!({ type: 'epoch', job, line } satisfies WorkerMessage));
        process.send!({ type: 'result', result } satisfies WorkerMessage);
      } catch (e) {
        // A bug keeps its stack: the parent prints it as one.
        process.send!({ type: 'error', message: e instanceof A3tError ? e.message : ((e as Error).stack ?? String(e)), kind: e instanceof A3tError ? e.kind : undefined } satisfies WorkerMessage);
      }
    });
    process.send!({ type: 'ready' });
  });
  process.disconnect?.();
}

function startWorker(): ChildProcess {
  return fork(process.argv[1], ['__worker'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Run all jobs over `workers` processes (in this process when 1), calling back as each finishes. */
async function runAll(jobs: Job[], workers: number, data: () => Dataset, onEpoch: (job: Job, line: string) => void, onResult: (r: RunResult) => void): Promise<void> {
  if (workers === 1) {
    for (const job of jobs) onResult(await runJob(job, data(), (line) => onEpoch(job, line)));
    return;
  }
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: workers }, () => {
      const child = startWorker();
      return new Promise<void>((resolve, reject) => {
        const next = () => {
          const job = queue.shift();
          child.send({ job: job ?? null });
          if (!job) resolve();
        };
        child.on('message', (m: WorkerMessage | { type: 'ready' }) => {
          if (m.type === 'ready') next();
          else if (m.type === 'epoch') onEpoch(m.job, m.line);
          else if (m.type === 'result') {
            onResult(m.result);
            next();
          } else {
            child.kill();
            reject(m.kind ? new A3tError(m.kind, m.message) : new Error(`in a worker: ${m.message}`));
          }
        });
        child.on('exit', (code) => (code ? reject(new Error(`worker exited with code ${code}`)) : resolve()));
      });
    }),
  );
}

const SURROGATE = 'surrogate';
const SURROGATE_SEED = 1000;

/** The transfer check's source: a plain model trained with the run settings and a seed no run uses. */
async function trainSurrogate(base: TrainConfig, data: Dataset, dir: string, note: (s: string) => void): Promise<string> {
  note(`training the transfer surrogate (plain, seed ${SURROGATE_SEED}) into ${dir}`);
  const r = await train({ ...base, ...regimeSettings(REGIMES.plain), seed: SURROGATE_SEED, threads: 0 }, data);
  mkdirSync(dir, { recursive: true });
  saveModel(dir, r.config, r.model, r.params);
  return dir;
}

export async function reproduceCommand(argv: string[]): Promise<void> {
  const p = parseOrHelp('reproduce', '[flags]', argv, FLAGS);
  if (!p) return;
  const log = output(p.flags);
  const quick = !!p.flags.quick;
  const names = ((p.flags.regimes as string) ?? 'plain,at,a2t,a3t').split(',');
  for (const n of names) if (!REGIMES[n]) throw usageError(`--regimes must list regimes among ${Object.keys(REGIMES).join(', ')}, got '${n}'`);
  const seeds = (p.flags.seeds as number) ?? (quick ? 2 : 10);
  const testEps = (p.flags.testEps as number) ?? 0.1;
  const jobsCount = names.length * seeds;
  const cores = os.availableParallelism();
  const workers = Math.min((p.flags.workers as number) ?? cores, jobsCount);
  const settings = { ...(quick ? QUICK : {}), ...configSettings(p) };
  // Several workers share the cores: one ONNX Runtime thread each unless told otherwise.
  if (settings.threads === undefined) settings.threads = workers > 1 ? Math.max(1, Math.floor(cores / workers)) : 0;
  const base = makeConfig(settings);
  const out = (p.flags.out as string) ?? join('reports', quick ? 'quick' : 'reproduce');
  if (existsSync(out) && readdirSync(out).length > 0 && !p.flags.force) throw new RunDirError(`${out} already holds a report; choose another --out or pass --force to overwrite it`);
  const dataDir = (p.flags.data as string) ?? undefined;
  let data: Dataset | null = null;
  const loadData = () => (data ??= loadDataset(dataDir));
  const dataset = loadData();
  const attackImages = (p.flags.attackImages as number) ?? (quick ? 200 : 1000);
  if (attackImages > dataset.test.count) throw usageError(`--attack-images must be at most the ${dataset.test.count} test images, got ${attackImages}`);
  checkSizes(base, dataset.train.count);
  modelOf(base, dataShape(dataset));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'runs.jsonl'), '');
  const surrogateDir = attackImages > 0 ? await trainSurrogate(base, dataset, join(out, SURROGATE), log.note) : undefined;
  const jobs: Job[] = [];
  for (let s = 0; s < seeds; s++)
    for (const n of names) jobs.push({ regime: n, seed: s, config: makeConfig({ ...base, ...regimeSettings(REGIMES[n]), seed: s }), testEps, data: dataDir, attackImages, surrogate: surrogateDir });
  const bar = log.progress('reproduce');
  log.note(`${jobsCount} runs (${names.join(', ')} × ${seeds} seeds), ${base.epochs} epochs each, ${workers} worker${workers > 1 ? 's' : ''} × ${base.threads || cores} thread(s)`);
  const results: RunResult[] = [];
  const started = performance.now();
  bar.update(0, jobsCount, `0/${jobsCount} runs`);
  await runAll(
    jobs,
    workers,
    loadData,
    (job, line) => p.flags.verbose && bar.log(`${job.regime} seed ${job.seed} ${line}`),
    (r) => {
      results.push(r);
      // Each finished run is kept at once, so an interrupted reproduction loses only the runs in flight.
      appendFileSync(join(out, 'runs.jsonl'), JSON.stringify(r) + '\n');
      const strong = (r.strong?.attacks ?? []).map((a) => `, ${a.name} ε=${a.eps} ${percent(a.accuracy, 1)}`).join('');
      const masking = r.masking ? `, masking checks ${r.masking.passed ? 'pass' : `FAIL (${r.masking.failed.join(', ')})`}` : '';
      bar.log(`${r.regime} seed ${r.seed}: test clean ${percent(r.test.clean)}, FGSM ε=${testEps} ${percent(r.test.fgsm)}${strong}${masking} (${r.seconds.toFixed(0)} s)`);
      bar.update(results.length, jobsCount, `${results.length}/${jobsCount} runs`);
    },
  );
  bar.done();
  const wallSeconds = (performance.now() - started) / 1000;
  const order = (r: RunResult) => names.indexOf(r.regime) * 1e6 + r.seed;
  results.sort((a, b) => order(a) - order(b));
  // Every training setting but the ones each run sets for itself.
  const { alpha: _alpha, beta: _beta, seed: _seed, ...trainSettings } = base;
  // Paths relative to the report, so a committed report names no machine's directories.
  const rel = (f: string) => relative(resolve(out), resolve(f)) || '.';
  const report = reproductionReport({
    settings: {
      quick,
      seeds,
      regimes: names,
      testEps,
      ...trainSettings,
      trainImages: base.trainSize || dataset.train.count - base.validation,
      validationImages: base.validation,
      testImages: dataset.test.count,
      attackImages,
      transferSurrogate: surrogateDir ? `plain training, these settings, seed ${SURROGATE_SEED} (${rel(surrogateDir)})` : 'none',
      data: rel(dataset.source),
      workers,
      threadsPerWorker: base.threads || cores,
    },
    regimes: names.map((n) => REGIMES[n]),
    runs: results,
    wallSeconds,
  });
  writeFileAtomic(join(out, 'report.json'), JSON.stringify(report.json, null, 2) + '\n');
  writeFileAtomic(join(out, 'report.md'), report.markdown);
  for (const [file, svg] of Object.entries(report.figures)) writeFileAtomic(join(out, file), svg);
  const tableEnd = report.markdown.indexOf('\nWall time');
  log.result(`${report.markdown.slice(0, tableEnd)}\nWall time ${(wallSeconds / 60).toFixed(1)} min. Report: ${join(out, 'report.md')}\n`, { ...report.json, out });
}
