// a3t eval: how robust a trained model really is — a suite of attacks over an ε grid, the per-example
// worst case, and the gradient-masking checks; JSON, Markdown and an SVG plot into --out.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ATTACKS, averagesDraws, inBall, parseAttackList } from '../../attacks/spec.js';
import { NORMS, NORM_NAMES, type NormName } from '../../attacks/norms.js';
import type { Dataset } from '../../data/dataset.js';
import { dataName, loadDataset } from '../../data/mnist.js';
import { shownPath } from '../../io/shown-path.js';
import { take } from '../../data/selection.js';
import { keyFromSeed } from '../../engine/rng.js';
import { usageError } from '../../errors.js';
import { checkModelFits } from '../../eval/fits.js';
import { maskingChecks } from '../../eval/masking.js';
import { minimumNorms } from '../../eval/min-norm.js';
import { type Model, importedModel, networkModel, noisyModel } from '../../eval/model.js';
import { AttackBench, robustness } from '../../eval/robustness.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readModelFile } from '../../io/checkpoint-file.js';
import { importOnnx } from '../../model/onnx-import.js';
import { evalJson, evalMarkdown, robustnessFigure } from '../../report/robustness.js';
import { type TrainConfig, dataShape } from '../../train/config.js';
import { loadModel } from '../../train/saved.js';
import { quickSurrogate, trainQuickSurrogate } from '../../train/transfer-surrogate.js';
import { type Flags, parseOrHelp } from '../args.js';
import { OUTPUT_FLAGS, output } from '../output.js';
import { DATA_FLAG, threadsFlag } from '../shared-flags.js';

const SUITE = ['fgsm', 'pgd-40', 'mim', 'apgd-ce'];
const GRIDS: Record<NormName, number[]> = { linf: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3], l2: [0, 0.5, 1, 1.5, 2, 2.5, 3] };
const FILES = { json: 'eval.json', markdown: 'eval.md', figure: 'eval.svg' };

const FLAGS: Flags = {
  attacks: { kind: 'text', flag: 'attacks', placeholder: 'LIST', help: `comma-separated attacks, each NAME or NAME:key=value,... (default ${SUITE.join(',')}; names: ${Object.keys(ATTACKS).join(', ')}, pgd-N)` },
  norm: { kind: 'choice', flag: 'norm', placeholder: 'NORM', choices: NORM_NAMES, help: 'the ball of every attack in the suite (default linf)' },
  eps: { kind: 'numbers', flag: 'eps', placeholder: 'EPS,...', min: 0, max: 28, help: `ε grid (default ${GRIDS.linf.join(',')} for linf, ${GRIDS.l2.join(',')} for l2)` },
  count: { kind: 'int', flag: 'count', placeholder: 'N', min: 0, max: 1e9, help: 'test images to attack, from the first (default 1000; 0: all)' },
  checkEps: { kind: 'number', flag: 'check-eps', placeholder: 'EPS', min: 0, max: 1, help: 'L∞ ε of the masking checks that compare attacks (default 0.1)' },
  noChecks: { kind: 'flag', flag: 'no-checks', help: 'skip the gradient-masking checks' },
  minNorm: { kind: 'flag', flag: 'min-norm', help: 'also find each example\'s smallest ε (bisection with the fixed-ε attacks, minimal norms of FAB) and the robust accuracy it gives at every ε' },
  minNormSteps: { kind: 'int', flag: 'min-norm-steps', placeholder: 'N', min: 1, max: 20, help: 'bisection steps per example for --min-norm (default 5: the grid spacing / 32)' },
  surrogate: { kind: 'text', flag: 'surrogate', placeholder: 'RUN', help: 'run dir or checkpoint of a separately trained model for the transfer check (default: train a plain one, 2 epochs on 20,000 images)' },
  seed: { kind: 'int', flag: 'seed', placeholder: 'N', min: 0, max: Number.MAX_SAFE_INTEGER, help: 'seed of the attacks’ random starts (default 0)' },
  inputNoise: { kind: 'number', flag: 'input-noise', placeholder: 'SIGMA', min: 0, minOpen: true, max: 10, help: 'make the model random at inference: add Gaussian noise of this std to its input at every prediction (attack it with autoattack-rand)' },
  inputScale: { kind: 'number', flag: 'input-scale', placeholder: 'S', min: 0, minOpen: true, max: 1e6, help: 'ONNX models: multiply pixels in [0, 1] by S before the model (e.g. 255)' },
  mean: { kind: 'numbers', flag: 'mean', placeholder: 'M,...', min: -1e6, max: 1e6, help: 'ONNX models: subtract this per-channel mean (after --input-scale)' },
  std: { kind: 'numbers', flag: 'std', placeholder: 'S,...', min: 0, minOpen: true, max: 1e6, help: 'ONNX models: then divide by this per-channel std' },
  data: DATA_FLAG,
  threads: threadsFlag('ONNX Runtime threads (default: all cores)'),
  out: { kind: 'text', flag: 'out', placeholder: 'DIR', help: `directory for ${Object.values(FILES).join(', ')} (default: <run dir>/eval, or <model>-eval beside an .onnx file)` },
  force: { kind: 'flag', flag: 'force', help: 'overwrite earlier eval files in --out' },
  ...OUTPUT_FLAGS,
};

/** What is evaluated: the model, how to train a transfer surrogate like it, and a name for reports. */
interface Subject {
  model: Model;
  /** The network and seed it was trained with by a3t (null: imported), for the transfer surrogate. */
  trainedWith: { model: TrainConfig['model']; seed: number } | null;
  file: string;
  /** Notes about the model (e.g. an ONNX import's warnings). */
  notes: string[];
}

function checkData(features: number, classes: number, data: Dataset): void {
  checkModelFits('the model', { inputs: features, classes }, { features: data.train.features, classes: data.classes, source: data.source });
}

function subjectOf(path: string, p: Record<string, unknown>, data: Dataset): Subject {
  const onnxFlags = ['inputScale', 'mean', 'std'].filter((k) => k in p);
  if (path.endsWith('.onnx') && !(existsSync(path) && statSync(path).isDirectory())) {
    const bytes = readModelFile(path, 'ONNX model');
    const imported = importOnnx(bytes, path, { inputScale: p.inputScale as number, mean: p.mean as number[], std: p.std as number[], image: dataShape(data).image });
    checkData(imported.features, imported.classes, data);
    const id = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    return { model: importedModel(imported, id), trainedWith: null, file: path, notes: imported.warnings };
  }
  if (onnxFlags.length) throw usageError(`--${onnxFlags.map((k) => FLAGS[k].flag).join(', --')} apply to ONNX models only; ${path} is an a3t model`);
  const saved = loadModel(path);
  const net = networkModel(saved.model.classifier, saved.params);
  checkData(net.arch.inputs, net.arch.classes, data);
  return { model: net, trainedWith: { model: saved.config.model, seed: saved.config.seed }, file: saved.file, notes: [] };
}

/** The transfer check's source: the given model, or a plain model of the same kind trained here with another seed. */
async function surrogateOf(flag: string | undefined, subject: Subject, data: Dataset, threads: number, note: (s: string) => void): Promise<{ model: Model; what: string }> {
  if (flag) {
    const s = loadModel(flag);
    const m = networkModel(s.model.classifier, s.params);
    checkData(m.arch.inputs, m.arch.classes, data);
    return { model: m, what: `${s.file} (given)` };
  }
  const quick = quickSurrogate(subject.trainedWith, threads);
  note(`a3t eval: training a plain surrogate for the transfer check (2 epochs, 20,000 images, seed ${quick.seed})`);
  return trainQuickSurrogate(quick, data, 'a3t eval');
}

export async function evalCommand(argv: string[]): Promise<void> {
  const p = parseOrHelp('eval', 'RUN_DIR|CHECKPOINT|MODEL.onnx [flags]', argv, FLAGS, 1);
  if (!p) return;
  const log = output(p.flags);
  const path = p.positional[0];
  if (!path) throw usageError('expected a run directory, a checkpoint or an ONNX model to evaluate (see a3t eval --help)');
  const norm = (p.flags.norm as NormName) ?? 'linf';
  const parsed = parseAttackList((p.flags.attacks as string) ?? SUITE.join(','));
  // --norm sets the ball of the attacks that do not name one.
  const attacks = parsed.map((spec) => inBall(spec, norm));
  if (attacks.length === 0) throw usageError('--attacks lists no attack');
  // The ball is the attacks' (an attack may name its own norm); robustness() refuses a mixed suite.
  const ball = attacks[0].norm;
  const epsilons = (p.flags.eps as number[]) ?? GRIDS[ball];
  const data = loadDataset((p.flags.data as string) ?? undefined);
  const bound = NORMS[ball].largest(data.test.features);
  if (epsilons.some((e) => e > bound)) throw usageError(`--eps must be in [0, ${+bound.toFixed(1)}] for ${ball}, got ${epsilons.join(',')}`);
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const out = (p.flags.out as string) ?? (isDir ? join(path, 'eval') : path.endsWith('.onnx') ? path.replace(/\.onnx$/, '-eval') : join(dirname(path), 'eval'));
  const taken = Object.values(FILES).filter((f) => existsSync(join(out, f)));
  if (taken.length && !p.flags.force) throw usageError(`${out} already holds ${taken.join(', ')}; choose another --out or pass --force to overwrite them`);
  const subject = subjectOf(path, p.flags, data);
  if (p.flags.inputNoise) {
    const sigma = p.flags.inputNoise as number;
    subject.model = noisyModel(subject.model, sigma);
    subject.notes.push(`the model adds Gaussian noise of std ${sigma} to its input at every prediction, so every accuracy is one draw`);
  }
  for (const n of subject.notes) log.note(`a3t eval: ${n}`);
  const usesEot = attacks.some(averagesDraws);
  if (usesEot && !subject.model.arch.random) log.note('a3t eval: the model is deterministic, so the EOT draws are all the same (AutoAttack warns likewise); --input-noise makes it random');
  const count = (p.flags.count as number) ?? 1000;
  if (count > data.test.count) throw usageError(`--count must be at most the ${data.test.count} test images, got ${count}`);
  const test = count === 0 ? data.test : take(data.test, count);
  const threads = (p.flags.threads as number) || 0;
  const t0 = performance.now();
  const bench = new AttackBench(test, keyFromSeed((p.flags.seed as number) ?? 0), threads || undefined);
  const bar = log.progress('eval');
  const result = await robustness(subject.model, bench, { attacks, epsilons, onProgress: (done, total, what) => bar.update(done, total, what) });
  bar.done();
  let minNorm;
  if (p.flags.minNorm || p.flags.minNormSteps) {
    const nb = log.progress('smallest ε');
    minNorm = await minimumNorms(subject.model, bench, result, { attacks, steps: (p.flags.minNormSteps as number) ?? 5, onProgress: (done, total, what) => nb.update(done, total, what) });
    nb.done();
  }
  let masking;
  let surrogate;
  if (!p.flags.noChecks) {
    const s = await surrogateOf(p.flags.surrogate as string | undefined, subject, data, threads, log.note);
    surrogate = s.what;
    log.note('a3t eval: gradient-masking checks');
    masking = await maskingChecks(subject.model, bench, { eps: (p.flags.checkEps as number) ?? 0.1, surrogate: s.model, curves: result });
  }
  await bench.release();
  // Paths in the report are relative to it, so a committed report names no machine's directories.
  const input = { model: shownPath(subject.file), data: dataName(data.source), notes: subject.notes, robustness: result, masking, minNorm, surrogate, seconds: (performance.now() - t0) / 1000 };
  const markdown = evalMarkdown(input, FILES.figure);
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, FILES.figure), robustnessFigure(result, `Robust accuracy, ${result.examples} test images`, minNorm));
  const json = evalJson(input);
  writeFileAtomic(join(out, FILES.json), JSON.stringify(json, null, 2) + '\n');
  writeFileAtomic(join(out, FILES.markdown), markdown);
  log.result(markdown + `\nwritten: ${Object.values(FILES).map((f) => join(out, f)).join(', ')}\n`, { ...(json as object), out });
}
