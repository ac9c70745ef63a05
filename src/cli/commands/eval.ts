// a3t eval: how robust a trained model really is — a suite of attacks over an ε grid, the per-example
// worst case, and the gradient-masking checks; JSON, Markdown and an SVG plot into --out.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { AttackSpecError, parseAttackList } from '../../attacks/spec.js';
import { type Dataset, loadDataset } from '../../data/mnist.js';
import { take } from '../../data/split.js';
import { keyFromSeed } from '../../engine/rng.js';
import { maskingChecks } from '../../eval/masking.js';
import { type Model, classifierModel } from '../../eval/model.js';
import { AttackBench, robustness } from '../../eval/robustness.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { REGIMES, regimeSettings } from '../../objectives/regimes.js';
import { evalJson, evalMarkdown, robustnessFigure } from '../../report/robustness.js';
import { train } from '../../train/loop.js';
import { type SavedModel, loadModel } from '../../train/saved.js';
import { type Specs, UsageError, helpText, parseArgs } from '../args.js';
import { progressLine } from '../progress.js';

const SUITE = ['fgsm', 'pgd-40', 'mim', 'apgd-ce'];
const GRIDS = { linf: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3], l2: [0, 0.5, 1, 1.5, 2, 2.5, 3] };
const FILES = { json: 'eval.json', markdown: 'eval.md', figure: 'eval.svg' };

const SPECS: Specs = {
  attacks: { kind: 'string', help: `comma-separated attacks, each NAME or NAME:key=value,... (default ${SUITE.join(',')}; names: fgsm, bim, pgd-N, mim, apgd-ce, apgd-t)` },
  norm: { kind: 'string', choices: ['linf', 'l2'], help: 'the ball of every attack in the suite (default linf)' },
  eps: { kind: 'numbers', min: 0, max: 28, help: `ε grid (default ${GRIDS.linf.join(',')} for linf, ${GRIDS.l2.join(',')} for l2)` },
  count: { kind: 'int', min: 0, help: 'test images to attack, from the first (default 1000; 0: all)' },
  'check-eps': { kind: 'number', min: 0, max: 1, help: 'L∞ ε of the masking checks that compare attacks (default 0.1)' },
  'no-checks': { kind: 'bool', help: 'skip the gradient-masking checks' },
  surrogate: { kind: 'string', help: 'run dir or checkpoint of a separately trained model for the transfer check (default: train a plain one, 2 epochs on 20,000 images)' },
  seed: { kind: 'int', min: 0, help: 'seed of the attacks’ random starts (default 0)' },
  data: { kind: 'string', help: 'directory of MNIST-format IDX files (default: the bundled MNIST)' },
  threads: { kind: 'int', min: 0, max: 1024, help: 'ONNX Runtime threads (default: all cores)' },
  out: { kind: 'string', help: `directory for ${Object.values(FILES).join(', ')} (default: <run dir>/eval)` },
  force: { kind: 'bool', help: 'overwrite earlier eval files in --out' },
  help: { kind: 'bool', help: 'show this help' },
};

const asModel = (s: SavedModel): Model => classifierModel(s.model.classifier, s.params.classifier);

function checkData(saved: SavedModel, data: Dataset): void {
  const c = saved.model.classifier;
  if (data.train.features !== c.inputs || data.classes !== c.classes)
    throw new UsageError(`the model takes ${c.inputs} features and ${c.classes} classes; ${data.source} has ${data.train.features} and ${data.classes}`);
}

/** The transfer check's source: the given model, or a plain model trained here with another seed. */
async function surrogateOf(flag: string | undefined, saved: SavedModel, data: Dataset, threads: number): Promise<{ model: Model; what: string }> {
  if (flag) {
    const s = loadModel(flag);
    checkData(s, data);
    return { model: asModel(s), what: `${s.file} (given)` };
  }
  const c = saved.config;
  const seed = c.seed + 1;
  const settings = { ...regimeSettings(REGIMES.plain), hidden: c.hidden, slope: c.slope, split: c.split, epochs: 2, trainSize: 20000, validation: 1000, seed, threads };
  process.stderr.write(`a3t eval: training a plain surrogate for the transfer check (2 epochs, 20,000 images, seed ${seed})\n`);
  const r = await train(settings, data);
  return { model: classifierModel(r.model.classifier, r.params.classifier), what: `plain training, 2 epochs on 20,000 images, seed ${seed}, trained by a3t eval` };
}

export async function evalCommand(argv: string[]): Promise<void> {
  const p = parseArgs('eval', argv, SPECS, 1);
  if (p.flags.help) {
    process.stdout.write(helpText('eval', 'RUN_DIR|CHECKPOINT [flags]', SPECS));
    return;
  }
  const path = p.positional[0];
  if (!path) throw new UsageError('expected a run directory or checkpoint file to evaluate');
  const norm = (p.flags.norm as 'linf' | 'l2') ?? 'linf';
  let parsed;
  try {
    parsed = parseAttackList((p.flags.attacks as string) ?? SUITE.join(','));
  } catch (e) {
    throw e instanceof AttackSpecError ? new UsageError(`--attacks: ${e.message}`) : e;
  }
  // --norm sets the ball of the attacks that do not name one.
  const attacks = parsed.map((spec) => (spec.name.includes('norm=') || norm === 'linf' ? spec : { ...spec, norm, name: `${spec.name} (L2)` }));
  if (attacks.length === 0) throw new UsageError('--attacks lists no attack');
  const epsilons = (p.flags.eps as number[]) ?? GRIDS[norm];
  const bound = norm === 'linf' ? 1 : 28;
  if (epsilons.some((e) => e > bound)) throw new UsageError(`--eps must be in [0, ${bound}] for ${norm}, got ${epsilons.join(',')}`);
  const saved = loadModel(path);
  const out = (p.flags.out as string) ?? join(statSync(path).isDirectory() ? path : dirname(path), 'eval');
  const taken = Object.values(FILES).filter((f) => existsSync(join(out, f)));
  if (taken.length && !p.flags.force) throw new UsageError(`${out} already holds ${taken.join(', ')}; choose another --out or pass --force to overwrite them`);
  const data = loadDataset((p.flags.data as string) ?? undefined);
  checkData(saved, data);
  const count = (p.flags.count as number) ?? 1000;
  if (count > data.test.count) throw new UsageError(`--count must be at most the ${data.test.count} test images, got ${count}`);
  const test = count === 0 ? data.test : take(data.test, count);
  const threads = (p.flags.threads as number) || 0;
  const t0 = performance.now();
  const model = asModel(saved);
  const bench = new AttackBench(test, keyFromSeed((p.flags.seed as number) ?? 0), threads || undefined);
  const bar = progressLine('eval');
  const result = await robustness(model, bench, { attacks, epsilons, onProgress: (done, total, what) => bar.update(done, total, what) });
  bar.done();
  let masking;
  let surrogate;
  if (!p.flags['no-checks']) {
    const s = await surrogateOf(p.flags.surrogate as string | undefined, saved, data, threads);
    surrogate = s.what;
    process.stderr.write('a3t eval: gradient-masking checks\n');
    masking = await maskingChecks(model, bench, { eps: (p.flags['check-eps'] as number) ?? 0.1, surrogate: s.model, curves: result });
  }
  await bench.release();
  const input = { model: saved.file, data: relative(process.cwd(), data.source) || data.source, robustness: result, masking, surrogate, seconds: (performance.now() - t0) / 1000 };
  const markdown = evalMarkdown(input, FILES.figure);
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, FILES.figure), robustnessFigure(result, `Robust accuracy, ${result.examples} MNIST test images`));
  writeFileAtomic(join(out, FILES.json), JSON.stringify(evalJson(input), null, 2) + '\n');
  writeFileAtomic(join(out, FILES.markdown), markdown);
  process.stdout.write(markdown + `\nwritten: ${Object.values(FILES).map((f) => join(out, f)).join(', ')}\n`);
}
