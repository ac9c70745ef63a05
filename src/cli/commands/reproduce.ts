// a3t reproduce: the paper's four regimes × seeds, each run trained and tested, spread over worker
// processes; then Table 1 and Figure 2 into --out.
import { type ChildProcess, fork } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { type Dataset, loadDataset } from '../../data/mnist.js';
import { compileEvaluator } from '../../eval/evaluator.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { RunDirError } from '../../io/rundir.js';
import { REGIMES } from '../../objectives/regimes.js';
import { type RunResult, reproductionReport } from '../../report/reproduction.js';
import { type TrainConfig, makeConfig } from '../../train/config.js';
import { train } from '../../train/loop.js';
import { type Specs, UsageError, helpText, parseArgs } from '../args.js';
import { progressLine } from '../progress.js';
import { TRAIN_SPECS, asUsageError, configSettings } from '../train-flags.js';
import { epochLine } from './train.js';

const SPECS: Specs = {
  quick: { kind: 'bool', help: 'a small version (2 seeds, 3 epochs, 20,000 training images) that takes about a minute' },
  seeds: { kind: 'int', min: 1, max: 1000, help: 'seeds per regime (default 10, as the paper)' },
  regimes: { kind: 'string', help: 'comma-separated regimes (default plain,at,a2t,a3t)' },
  'test-eps': { kind: 'number', min: 0, max: 1, help: "FGSM ε at test (default 0.1, Table 1's caption)" },
  ...TRAIN_SPECS,
  threads: { ...TRAIN_SPECS.threads, help: 'ONNX Runtime threads per worker (default: cores ÷ workers)' },
  workers: { kind: 'int', min: 1, max: 64, help: 'parallel worker processes (default: one per core)' },
  data: { kind: 'string', help: 'directory of MNIST-format IDX files (default: the bundled MNIST)' },
  out: { kind: 'string', help: 'report directory (default reports/reproduce, or reports/quick with --quick)' },
  force: { kind: 'bool', help: 'overwrite an existing report directory' },
  verbose: { kind: 'bool', help: 'print every epoch of every run' },
  help: { kind: 'bool', help: 'show this help' },
};

const QUICK: Partial<TrainConfig> = { epochs: 3, trainSize: 20000, validation: 2000 };

interface Job {
  regime: string;
  seed: number;
  config: TrainConfig;
  testEps: number;
  data?: string;
}

type WorkerMessage = { type: 'epoch'; job: Job; line: string } | { type: 'result'; result: RunResult } | { type: 'error'; message: string };

async function runJob(job: Job, data: Dataset, onEpoch: (line: string) => void): Promise<RunResult> {
  const t0 = performance.now();
  const r = await train(job.config, data, { onEpoch: (m) => onEpoch(epochLine(m)) });
  const evaluator = await compileEvaluator(r.model, { withDiscriminator: false, threads: job.config.threads || undefined });
  const test = await evaluator.evaluate(r.params, data.test, job.testEps);
  await evaluator.release();
  return {
    regime: job.regime,
    seed: job.seed,
    test: { clean: test.clean, fgsm: test.fgsm },
    history: r.history.map((m) => ({ epoch: m.epoch, train: m.train, validation: m.validation })),
    seconds: (performance.now() - t0) / 1000,
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
        process.send!({ type: 'error', message: (e as Error).message } satisfies WorkerMessage);
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
            reject(new RangeError(m.message));
          }
        });
        child.on('exit', (code) => (code ? reject(new Error(`worker exited with code ${code}`)) : resolve()));
      });
    }),
  );
}

export async function reproduceCommand(argv: string[]): Promise<void> {
  const p = parseArgs('reproduce', argv, SPECS);
  if (p.flags.help) {
    process.stdout.write(helpText('reproduce', '[flags]', SPECS));
    return;
  }
  const quick = !!p.flags.quick;
  const names = ((p.flags.regimes as string) ?? 'plain,at,a2t,a3t').split(',');
  for (const n of names) if (!REGIMES[n]) throw new UsageError(`--regimes must list regimes among ${Object.keys(REGIMES).join(', ')}, got '${n}'`);
  const seeds = (p.flags.seeds as number) ?? (quick ? 2 : 10);
  const testEps = (p.flags['test-eps'] as number) ?? 0.1;
  const jobsCount = names.length * seeds;
  const cores = os.availableParallelism();
  const workers = Math.min((p.flags.workers as number) ?? cores, jobsCount);
  const settings = { ...(quick ? QUICK : {}), ...configSettings(p) };
  // Several workers share the cores: one ONNX Runtime thread each unless told otherwise.
  if (settings.threads === undefined) settings.threads = workers > 1 ? Math.max(1, Math.floor(cores / workers)) : 0;
  let base: TrainConfig;
  try {
    base = makeConfig(settings);
  } catch (e) {
    throw asUsageError(e);
  }
  const out = (p.flags.out as string) ?? join('reports', quick ? 'quick' : 'reproduce');
  if (existsSync(out) && readdirSync(out).length > 0 && !p.flags.force) throw new RunDirError(`${out} already holds a report; choose another --out or pass --force to overwrite it`);
  const dataDir = (p.flags.data as string) ?? undefined;
  let data: Dataset | null = null;
  const loadData = () => (data ??= loadDataset(dataDir));
  const dataset = loadData();
  const jobs: Job[] = [];
  for (let s = 0; s < seeds; s++) for (const n of names) jobs.push({ regime: n, seed: s, config: { ...base, alpha: REGIMES[n].alpha, beta: REGIMES[n].beta, seed: s }, testEps, data: dataDir });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'runs.jsonl'), '');
  const bar = progressLine('reproduce');
  process.stderr.write(`${jobsCount} runs (${names.join(', ')} × ${seeds} seeds), ${base.epochs} epochs each, ${workers} worker${workers > 1 ? 's' : ''} × ${base.threads || cores} thread(s)\n`);
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
      bar.log(`${r.regime} seed ${r.seed}: test clean ${(100 * r.test.clean).toFixed(2)}%, FGSM ε=${testEps} ${(100 * r.test.fgsm).toFixed(2)}% (${r.seconds.toFixed(0)} s)`);
      bar.update(results.length, jobsCount, `${results.length}/${jobsCount} runs`);
    },
  );
  bar.done();
  const wallSeconds = (performance.now() - started) / 1000;
  const order = (r: RunResult) => names.indexOf(r.regime) * 1e6 + r.seed;
  results.sort((a, b) => order(a) - order(b));
  // Every training setting but the ones each run sets for itself.
  const { alpha: _alpha, beta: _beta, seed: _seed, ...trainSettings } = base;
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
      data: dataset.source,
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
  process.stdout.write(`${report.markdown.slice(0, tableEnd)}\nWall time ${(wallSeconds / 60).toFixed(1)} min. Report: ${join(out, 'report.md')}\n`);
}
