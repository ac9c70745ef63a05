// a3t reproduce: the paper's four regimes × seeds, each run trained and tested (FGSM on the whole test
// set; PGD-40, APGD-CE and the gradient-masking checks on its first images) as sweep jobs, spread over
// worker processes here or over a queue's workers (--queue); then Table 1 and Figure 2 into --out.
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { dataName, loadDataset } from '../../data/mnist.js';
import { usageError } from '../../errors.js';
import { percent } from '../../format.js';
import { REGIMES, regimeSettings } from '../../objectives/regimes.js';
import { type RunResult, reproductionReport } from '../../report/reproduction.js';
import { type EvalSpec, type SweepJob, dataPrintOf, jobKey, makeJob, sweepKey } from '../../sweep/job.js';
import { placeSweep, runWithProgress, writeSweepReport } from '../../sweep/run-to-report.js';
import { sha256 } from '../../sweep/surrogate.js';
import { openSweepDir } from '../../sweep/sweep-dir.js';
import { threadsPerWorker } from '../../sweep/threads.js';
import { type TrainConfig, checkSizes, dataShape, makeConfig, modelOf } from '../../train/config.js';
import { SWEEP_SURROGATE_SEED, sweepSurrogate } from '../../train/transfer-surrogate.js';
import { type Flags, parseOrHelp } from '../args.js';
import { OUTPUT_FLAGS, output } from '../output.js';
import { QUEUE_FLAGS, checkQueueTimeout, openQueueOf } from '../queue-flags.js';
import { DATA_FLAG, QUEUE_FLAG, WORKERS_FLAG, threadsFlag } from '../shared-flags.js';
import { REGIME_KEYS, configSettings, trainFlags } from '../train-flags.js';
import { a3tVersion } from '../version.js';
import { epochLine } from './train.js';

const FLAGS: Flags = {
  quick: { kind: 'flag', flag: 'quick', help: 'a small version (2 seeds, 3 epochs, 20,000 training images) that takes about a minute' },
  seeds: { kind: 'int', flag: 'seeds', placeholder: 'N', min: 1, max: 1000, help: 'seeds per regime (default 10, as the paper)' },
  regimes: { kind: 'text', flag: 'regimes', placeholder: 'LIST', help: `comma-separated regimes (default plain,at,a2t,a3t; any of ${Object.keys(REGIMES).join(', ')})` },
  testEps: { kind: 'number', flag: 'test-eps', placeholder: 'EPS', min: 0, max: 1, help: "FGSM ε at test (default 0.1, Table 1's caption)" },
  attackImages: { kind: 'int', flag: 'attack-images', placeholder: 'N', min: 0, max: 10000, help: 'test images attacked by PGD-40 and APGD-CE, with the masking checks (default 1000, 200 with --quick; 0: none)' },
  ...trainFlags([...REGIME_KEYS, 'seed']),
  threads: threadsFlag('ONNX Runtime threads per worker (default: cores ÷ workers)'),
  workers: WORKERS_FLAG,
  queue: QUEUE_FLAG,
  ...QUEUE_FLAGS,
  data: DATA_FLAG,
  out: { kind: 'text', flag: 'out', placeholder: 'DIR', help: 'report directory (default reports/reproduce, or reports/quick with --quick)' },
  force: { kind: 'flag', flag: 'force', help: 'overwrite an existing report directory' },
  verbose: { kind: 'flag', flag: 'verbose', help: 'print every epoch of every run' },
  ...OUTPUT_FLAGS,
};

const QUICK: Partial<TrainConfig> = { epochs: 3, trainSize: 20000, validation: 2000 };

const SURROGATE = 'surrogate';

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
  const workers = Math.min((p.flags.workers as number) ?? os.availableParallelism(), jobsCount);
  const settings = { ...(quick ? QUICK : {}), ...configSettings(p) };
  if (settings.threads === undefined) settings.threads = threadsPerWorker(workers);
  const base = makeConfig(settings);
  const out = (p.flags.out as string) ?? join('reports', quick ? 'quick' : 'reproduce');
  const dataDir = (p.flags.data as string) ?? undefined;
  const dataset: Dataset = loadDataset(dataDir);
  const attackImages = (p.flags.attackImages as number) ?? (quick ? 200 : 1000);
  if (attackImages > dataset.test.count) throw usageError(`--attack-images must be at most the ${dataset.test.count} test images, got ${attackImages}`);
  checkSizes(base, dataset.train.count);
  modelOf(base, dataShape(dataset));
  const print = dataPrintOf(dataset);
  const seedList = Array.from({ length: seeds }, (_, i) => i);
  const evalSpec = (surrogate?: string): EvalSpec => ({ testEps, attackImages, ...(surrogate ? { surrogate } : {}) });
  const jobsWith = (surrogate?: string): SweepJob[] =>
    seedList.flatMap((s) => names.map((n) => makeJob(a3tVersion(), n, { ...base, ...regimeSettings(REGIMES[n]), seed: s }, evalSpec(surrogate), print)));
  // The surrogate's bytes are not known yet: the sweep is named by its settings, the surrogate's included
  // Its key leaves out the plain regime's settings, as it always has: another key would not continue sweeps begun before.
  const id = sweepKey(jobsWith().map(jobKey), { surrogate: attackImages > 0 ? { ...base, seed: SWEEP_SURROGATE_SEED, threads: 0 } : null });
  const queue = p.flags.queue as string | undefined;
  if (queue !== undefined && p.flags.workers !== undefined) throw usageError('--workers starts processes on this machine; with --queue, start workers with a3t worker --queue URL instead');
  if (queue === undefined) checkQueueTimeout(p, '--queue');
  const placement = placeSweep({ queue: queue === undefined ? undefined : await openQueueOf('reproduce', p, queue), workers, threads: base.threads, dataDir });
  let results: RunResult[];
  let wallSeconds: number;
  let surrogateDir: string | undefined;
  try {
    const opened = openSweepDir(out, { id, command: 'reproduce', runs: jobsCount }, !!p.flags.force);
    const blobs: Record<string, Uint8Array> = {};
    let surrogateSha: string | undefined;
    if (attackImages > 0) {
      const bytes = await sweepSurrogate(base, dataset, join(out, SURROGATE), opened === 'continued', log.note);
      surrogateSha = sha256(bytes);
      blobs[surrogateSha] = bytes;
    }
    ({ results, wallSeconds } = await runWithProgress(
      {
        id,
        jobs: jobsWith(surrogateSha),
        out,
        blobs,
        placement,
        label: 'reproduce',
        what: `${jobsCount} runs (${names.join(', ')} × ${seeds} seeds), ${base.epochs} epochs each`,
        continued: opened === 'continued',
        epochLine: (job, m) => (p.flags.verbose ? `${job.group} seed ${job.seed} ${epochLine(m)}` : null),
        resultLine: (r, earlier) => {
          const strong = (r.strong?.attacks ?? []).map((a) => `, ${a.name} ε=${a.eps} ${percent(a.accuracy, 1)}`).join('');
          const masking = r.masking ? `, masking checks ${r.masking.passed ? 'pass' : `FAIL (${r.masking.failed.join(', ')})`}` : '';
          return `${r.regime} seed ${r.seed}: test clean ${percent(r.test.clean)}, FGSM ε=${testEps} ${percent(r.test.fgsm)}${strong}${masking} (${earlier ? 'written before this start' : `${r.seconds.toFixed(0)} s`})`;
        },
      },
      log,
    ));
    surrogateDir = surrogateSha ? join(out, SURROGATE) : undefined;
  } finally {
    await placement.close();
  }
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
      transferSurrogate: surrogateDir ? `plain training, these settings, seed ${SWEEP_SURROGATE_SEED} (${rel(surrogateDir)})` : 'none',
      data: dataName(dataset.source),
      ...placement.settings,
    },
    regimes: names.map((n) => REGIMES[n]),
    runs: results,
    wallSeconds,
  });
  writeSweepReport(out, report);
  const tableEnd = report.markdown.indexOf('\nWall time');
  log.result(`${report.markdown.slice(0, tableEnd)}\nWall time ${(wallSeconds / 60).toFixed(1)} min. Report: ${join(out, 'report.md')}\n`, { ...report.json, out });
}
