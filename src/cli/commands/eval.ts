// a3t eval: a trained model's test accuracy, clean and under FGSM at a list of ε.
import { loadDataset } from '../../data/mnist.js';
import { compileEvaluator } from '../../eval/evaluator.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { loadModel } from '../../train/saved.js';
import { type Specs, UsageError, helpText, parseArgs } from '../args.js';

const SPECS: Specs = {
  eps: { kind: 'numbers', min: 0, max: 1, help: 'FGSM ε list (default 0,0.05,0.1,0.15,0.2,0.25,0.3)' },
  data: { kind: 'string', help: 'directory of MNIST-format IDX files (default: the bundled MNIST)' },
  threads: { kind: 'int', min: 0, max: 1024, help: 'ONNX Runtime threads (default: all cores)' },
  json: { kind: 'string', help: 'also write the results as JSON to this file' },
  help: { kind: 'bool', help: 'show this help' },
};

export async function evalCommand(argv: string[]): Promise<void> {
  const p = parseArgs('eval', argv, SPECS, 1);
  if (p.flags.help) {
    process.stdout.write(helpText('eval', 'RUN_DIR|CHECKPOINT [flags]', SPECS));
    return;
  }
  const path = p.positional[0];
  if (!path) throw new UsageError('expected a run directory or checkpoint file to evaluate');
  const saved = loadModel(path);
  const data = loadDataset((p.flags.data as string) ?? undefined);
  if (data.train.features !== saved.model.classifier.inputs || data.classes !== saved.model.classifier.classes)
    throw new UsageError(`the model takes ${saved.model.classifier.inputs} features and ${saved.model.classifier.classes} classes; ${data.source} has ${data.train.features} and ${data.classes}`);
  const epsList = (p.flags.eps as number[]) ?? [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
  const evaluator = await compileEvaluator(saved.model, { withDiscriminator: false, threads: (p.flags.threads as number) || undefined });
  const rows: Array<{ eps: number; accuracy: number }> = [];
  let clean = NaN;
  for (const eps of epsList) {
    const a = await evaluator.evaluate(saved.params, data.test, eps);
    clean = a.clean;
    rows.push({ eps, accuracy: a.fgsm });
  }
  await evaluator.release();
  const lines = [`model: ${saved.file}`, `test images: ${data.test.count} (${data.source})`, `clean accuracy: ${(100 * clean).toFixed(2)}%`, '', '| FGSM ε | accuracy |', '| ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.eps} | ${(100 * r.accuracy).toFixed(2)}% |`);
  process.stdout.write(lines.join('\n') + '\n');
  if (p.flags.json) writeFileAtomic(p.flags.json as string, JSON.stringify({ model: saved.file, data: data.source, clean, fgsm: rows }, null, 2) + '\n');
}
