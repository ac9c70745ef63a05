// a3t train: one run of any regime into a run directory.
import { join } from 'node:path';
import { loadDataset } from '../../data/mnist.js';
import { compileEvaluator } from '../../eval/evaluator.js';
import { RUN_FILES, appendJsonLine, prepareRunDir, writeJson } from '../../io/rundir.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { REGIMES, regimeName } from '../../objectives/regimes.js';
import { makeConfig } from '../../train/config.js';
import { type EpochMetrics, train } from '../../train/loop.js';
import { saveModel } from '../../train/saved.js';
import { type Specs, UsageError, helpText, parseArgs } from '../args.js';
import { progressLine } from '../progress.js';
import { TRAIN_SPECS, asUsageError, configSettings } from '../train-flags.js';

const SPECS: Specs = {
  regime: { kind: 'string', choices: Object.keys(REGIMES), help: 'plain, at, a2t or a3t (sets α and β; default a3t)' },
  alpha: { kind: 'number', min: 0, max: 1, help: 'weight of the clean cross-entropy (overrides the regime)' },
  beta: { kind: 'number', min: 0, max: 1e6, help: 'weight of the encoder adversarial loss (overrides the regime)' },
  seed: { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER, help: 'random seed (default 0)' },
  ...TRAIN_SPECS,
  'test-eps': { kind: 'numbers', min: 0, max: 1, help: 'FGSM ε list for the final test accuracy (default 0.1)' },
  data: { kind: 'string', help: 'directory of MNIST-format IDX files (default: the bundled MNIST)' },
  out: { kind: 'string', help: 'run directory (default runs/<regime>-seed<seed>)' },
  force: { kind: 'bool', help: 'overwrite an existing run directory' },
  help: { kind: 'bool', help: 'show this help' },
};

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '  —  ' : `${(100 * v).toFixed(2)}%`);

export function epochLine(m: EpochMetrics): string {
  const t = m.train;
  const v = m.validation;
  const d = t['dacc.clean'] !== undefined ? ` | D clean ${pct(t['dacc.clean'])} adv ${pct(t['dacc.adv'])} (val ${pct(v.dClean)} / ${pct(v.dAdv)})` : '';
  return `epoch ${m.epoch}: train clean ${pct(t['acc.clean'])} fgsm ${pct(t['acc.adv'])} | val clean ${pct(v.clean)} fgsm ${pct(v.fgsm)}${d} | ${m.samplesPerSecond.toFixed(0)} samples/s`;
}

export async function trainCommand(argv: string[]): Promise<void> {
  const p = parseArgs('train', argv, SPECS);
  if (p.flags.help) {
    process.stdout.write(helpText('train', '[flags]', SPECS));
    return;
  }
  const regime = REGIMES[(p.flags.regime as string) ?? 'a3t'];
  const alpha = (p.flags.alpha as number) ?? regime.alpha;
  const beta = (p.flags.beta as number) ?? regime.beta;
  let config;
  try {
    config = makeConfig({ ...configSettings(p), alpha, beta, seed: (p.flags.seed as number) ?? 0 });
  } catch (e) {
    throw asUsageError(e);
  }
  const testEps = (p.flags['test-eps'] as number[]) ?? [0.1];
  const name = regimeName(alpha, beta);
  const dir = (p.flags.out as string) ?? join('runs', `${name}-seed${config.seed}`);
  const data = loadDataset((p.flags.data as string) ?? undefined);
  if (config.validation >= data.train.count) throw new UsageError(`--validation must be smaller than the ${data.train.count} training images, got ${config.validation}`);
  prepareRunDir(dir, !!p.flags.force);
  writeJson(dir, RUN_FILES.config, { ...config, regime: name, data: data.source });
  const bar = progressLine(name);
  const started = performance.now();
  const result = await train(config, data, {
    // The bar covers the whole run, so its ETA is the run's, not the epoch's.
    onProgress: (g) => bar.update((g.epoch - 1) * g.steps + g.step, g.epochs * g.steps, `epoch ${g.epoch}/${g.epochs} step ${g.step}/${g.steps} ${g.samplesPerSecond.toFixed(0)} samples/s`),
    onEpoch: (m) => {
      appendJsonLine(dir, RUN_FILES.metrics, m);
      bar.log(epochLine(m));
    },
  });
  bar.done();
  const evaluator = await compileEvaluator(result.model, { withDiscriminator: false, threads: config.threads || undefined });
  const test: Record<string, { clean: number; fgsm: number }> = {};
  for (const eps of testEps) {
    const a = await evaluator.evaluate(result.params, data.test, eps);
    test[String(eps)] = { clean: a.clean, fgsm: a.fgsm };
  }
  await evaluator.release();
  saveModel(dir, result.config, result.model, result.params, { regime: name, epochs: config.epochs });
  const seconds = (performance.now() - started) / 1000;
  const last = result.history[result.history.length - 1];
  const summary = { regime: name, alpha, beta, seed: config.seed, epochs: config.epochs, seconds, sizes: result.sizes, final: last, test };
  writeJson(dir, RUN_FILES.summary, summary);
  const rows = testEps.map((e) => `| ${e} | ${pct(test[String(e)].clean)} | ${pct(test[String(e)].fgsm)} |`);
  const text = [
    `# a3t train: ${name} (α = ${alpha}, β = ${beta}), seed ${config.seed}`,
    '',
    `${config.epochs} epochs on ${result.sizes.train} training images (${result.sizes.validation} held out), FGSM ε = ${config.trainEps} in training; ${seconds.toFixed(1)} s.`,
    '',
    '| test FGSM ε | clean accuracy | FGSM accuracy |',
    '| ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
  writeFileAtomic(join(dir, RUN_FILES.summaryText), text);
  process.stdout.write(`${text}\nrun directory: ${dir}\n`);
}
