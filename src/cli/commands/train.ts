// a3t train: one run of any regime into a run directory, checkpointed every epoch and resumable.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../data/mnist.js';
import { usageError } from '../../errors.js';
import { percent } from '../../format.js';
import { RUN_FILES, appendJsonLine, checkRunDir, prepareRunDir, writeJson, writeJsonLines } from '../../io/rundir.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { DISCRIMINATOR_METRICS } from '../../objectives/adversarial.js';
import { metricValue } from '../../objectives/objective.js';
import { REGIMES, regimeName, regimeSettings } from '../../objectives/regimes.js';
import { TRAIN_SETTINGS, type TrainConfig, type TrainKey } from '../../settings.js';
import { checkSizes, dataShape, makeConfig, modelOf } from '../../train/config.js';
import { fgsmTest } from '../../train/final-test.js';
import { DivergenceError } from '../../train/guard.js';
import { type EpochMetrics, type TrainHooks, train } from '../../train/loop.js';
import { saveModel } from '../../train/saved.js';
import { type LoadedState, loadState, saveState } from '../../train/state-file.js';
import { type Flags, type Parsed, parseOrHelp } from '../args.js';
import { OUTPUT_FLAGS, output } from '../output.js';
import { DATA_FLAG } from '../shared-flags.js';
import { REGIME_FLAG, configSettings, trainFlags } from '../train-flags.js';

const FLAGS: Flags = {
  regime: REGIME_FLAG,
  ...trainFlags(),
  testEps: { kind: 'numbers', flag: 'test-eps', placeholder: 'EPS,...', min: 0, max: 1, help: 'FGSM ε list for the final test accuracy (default 0.1)' },
  data: DATA_FLAG,
  out: { kind: 'text', flag: 'out', placeholder: 'DIR', help: 'run directory (default runs/<regime>-seed<seed>)' },
  force: { kind: 'flag', flag: 'force', help: 'overwrite an existing run directory' },
  checkpointEvery: { kind: 'int', flag: 'checkpoint-every', placeholder: 'N', min: 1, max: 100000, help: 'save the resumable state every N epochs (default 1; always after the last)' },
  resume: { kind: 'text', flag: 'resume', placeholder: 'DIR', help: 'continue the run in this directory from its last state (other settings come from it)' },
  ...OUTPUT_FLAGS,
};

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '  —  ' : percent(v));

export function epochLine(m: EpochMetrics): string {
  const t = m.train;
  const v = m.validation;
  const ds = DISCRIMINATOR_METRICS;
  const d = t[ds[0].key] !== undefined ? ` | D ${ds.map((m) => `${m.short} ${pct(t[m.key])}`).join(' ')} (val ${ds.map((m) => pct(metricValue(v, m))).join(' / ')})` : '';
  return `epoch ${m.epoch}: train clean ${pct(t['acc.clean'])} adv ${pct(t['acc.adv'])} | val clean ${pct(v.clean)} fgsm ${pct(v.fgsm)}${d} | ${m.samplesPerSecond.toFixed(0)} samples/s`;
}

/** The config of a new run from its flags: the regime's settings, then the flags given. */
function newConfig(p: Parsed): TrainConfig {
  const regime = REGIMES[(p.flags.regime as string) ?? 'a3t'];
  return makeConfig({ ...regimeSettings(regime), ...configSettings(p) });
}

/** With --resume the settings come from the saved state; a setting flag given alongside must agree with it. */
function checkResumeFlags(p: Parsed, config: TrainConfig, dir: string): void {
  for (const f of ['out', 'force']) if (f in p.flags) throw usageError(`--${f} cannot be combined with --resume: the run continues in ${dir}`);
  const given = configSettings(p);
  const regime = REGIMES[p.flags.regime as string];
  const implied: Partial<TrainConfig> = regime ? { ...regimeSettings(regime), ...given } : given;
  for (const [key, value] of Object.entries(implied) as Array<[TrainKey, unknown]>) {
    if (JSON.stringify(value) === JSON.stringify(config[key])) continue;
    const flag = key in given ? `--${TRAIN_SETTINGS[key].flag} ${JSON.stringify(value)}` : `--regime ${p.flags.regime}`;
    throw usageError(`${flag} does not match the run being resumed (${dir} has ${key} ${JSON.stringify(config[key])}); leave it out, or start a new run`);
  }
}

/** The state to resume from in `dir`, checked against the flags given with it. */
function openRun(dir: string, p: Parsed): LoadedState {
  checkRunDir(dir);
  const loaded = loadState(dir);
  checkResumeFlags(p, loaded.state.config, dir);
  return loaded;
}

/** Ready `dir` to continue from `loaded`: the log restarts from its history; a damaged latest state is moved aside. */
function continueRun(dir: string, { state, file, fallback }: LoadedState, note: (line: string) => void): void {
  if (fallback) {
    // Or the next checkpoint would rotate it over the good previous state.
    const damaged = join(dir, RUN_FILES.state);
    if (existsSync(damaged)) renameSync(damaged, join(dir, RUN_FILES.stateDamaged));
    note(`a3t train: ${fallback}\na3t train: resuming from the previous state instead, ${file}`);
  }
  note(`a3t train: resuming ${dir} after epoch ${state.epoch} of ${state.config.epochs}`);
  // Epochs logged after the state was saved are trained again.
  writeJsonLines(dir, RUN_FILES.metrics, state.history);
}

export async function trainCommand(argv: string[]): Promise<void> {
  const p = parseOrHelp('train', '[flags]', argv, FLAGS);
  if (!p) return;
  const out = output(p.flags);
  const resumeDir = p.flags.resume as string | undefined;
  const loaded = resumeDir === undefined ? undefined : openRun(resumeDir, p);
  const config = loaded?.state.config ?? newConfig(p);
  const { alpha, beta } = config;
  const testEps = (p.flags.testEps as number[]) ?? [0.1];
  const name = regimeName(alpha, beta, config.trainAttack, config.objective);
  const dir = resumeDir ?? (p.flags.out as string) ?? join('runs', `${name}-seed${config.seed}`);
  const data = loadDataset((p.flags.data as string) ?? undefined);
  // Everything the settings and the data decide is checked before the run directory is touched.
  checkSizes(config, data.train.count);
  modelOf(config, dataShape(data));
  if (loaded) continueRun(dir, loaded, out.note);
  else {
    prepareRunDir(dir, !!p.flags.force);
    writeJson(dir, RUN_FILES.config, { ...config, regime: name });
  }
  const bar = out.progress(name);
  const started = performance.now();
  let savedEpoch = loaded?.state.epoch ?? 0;
  const hooks: TrainHooks = {
    // The bar covers the whole run, so its ETA is the run's, not the epoch's.
    onProgress: (g) => bar.update((g.epoch - 1) * g.steps + g.step, g.epochs * g.steps, `epoch ${g.epoch}/${g.epochs} step ${g.step}/${g.steps} ${g.samplesPerSecond.toFixed(0)} samples/s`),
    onEpoch: (m) => {
      appendJsonLine(dir, RUN_FILES.metrics, m);
      bar.log(epochLine(m));
    },
    onCheckpoint: (s) => {
      saveState(dir, s);
      savedEpoch = s.epoch;
    },
    checkpointEvery: (p.flags.checkpointEvery as number) ?? 1,
  };
  const result = await train(config, data, hooks, loaded?.state).catch((e: unknown) => {
    bar.done();
    if (!(e instanceof DivergenceError)) throw e;
    const kept = savedEpoch > 0 ? `${join(dir, RUN_FILES.state)} still holds the state after epoch ${savedEpoch}` : 'no state had been saved yet';
    throw new DivergenceError(`${e.message}; ${kept}`);
  });
  bar.done();
  const accuracies = await fgsmTest(result.model.classifier, result.params, data.test, testEps, config.threads);
  const test = Object.fromEntries(testEps.map((eps, i) => [String(eps), accuracies[i]]));
  saveModel(dir, result.config, result.model, result.params, { regime: name, epochs: config.epochs });
  const seconds = (performance.now() - started) / 1000;
  const last = result.history[result.history.length - 1];
  const summary = { regime: name, model: result.model.classifier.name, alpha, beta, seed: config.seed, epochs: config.epochs, seconds, sizes: result.sizes, final: last, test, ...(loaded ? { resumedAfter: loaded.state.epoch } : {}) };
  writeJson(dir, RUN_FILES.summary, summary);
  const rows = testEps.map((e) => `| ${e} | ${pct(test[String(e)].clean)} | ${pct(test[String(e)].fgsm)} |`);
  const text = [
    `# a3t train: ${name} (α = ${alpha}, β = ${beta}), ${result.model.classifier.name}, seed ${config.seed}`,
    '',
    `${config.epochs} epochs on ${result.sizes.train} training images (${result.sizes.validation} held out), ε = ${config.trainEps} in training; ${seconds.toFixed(1)} s.`,
    '',
    '| test FGSM ε | clean accuracy | FGSM accuracy |',
    '| ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
  writeFileAtomic(join(dir, RUN_FILES.summaryText), text);
  out.result(`${text}\nrun directory: ${dir}\n`, { ...summary, dir });
}
