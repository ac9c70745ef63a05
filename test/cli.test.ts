// The command line end to end on real MNIST: small runs with asserted outcomes, the exported ONNX
// model in a plain ONNX Runtime session, determinism of whole runs, and the errors users get.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import ort from 'onnxruntime-node';
import { loadDataset } from '../src/data/mnist.js';
import { imagesOf } from '../src/data/selection.js';
import { runA3t, runAll } from './run-cli.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'a3t-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const a3t = runA3t;

const SMALL = ['--train-size', '5000', '--validation', '1000', '--epochs', '2', '--threads', '2'];
const runs: Record<string, Promise<string>> = {};
/** What each run printed on stdout (with --json: one JSON document). */
const printed: Record<string, string> = {};
/** The run directory of a small run, trained once (tests asking for the same run share it). */
function trained(regime: string, seed = 1, tag = ''): Promise<string> {
  const key = `${regime}-${seed}${tag}`;
  runs[key] ??= (async () => {
    const dir = join(tmp, key);
    const r = await a3t('train', '--regime', regime, '--seed', String(seed), '--out', dir, '--json', ...SMALL);
    assert.equal(r.code, 0, r.stderr);
    printed[dir] = r.stdout;
    return dir;
  })();
  return runs[key];
}
const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

test('a small AT run is far more robust to FGSM than a small plain run', async () => {
  const plain = summary(await trained('plain')).test['0.1'];
  const at = summary(await trained('at')).test['0.1'];
  assert.ok(plain.clean > 0.85 && at.clean > 0.85, `both learn: plain ${plain.clean}, AT ${at.clean}`);
  assert.ok(at.fgsm > plain.fgsm + 0.2, `AT FGSM ${at.fgsm} vs plain ${plain.fgsm}`);
});

test('--json prints the run summary as the only thing on stdout; progress stays on stderr', async () => {
  const dir = await trained('plain');
  const json = JSON.parse(printed[dir]);
  assert.deepEqual(json.test, summary(dir).test);
  assert.equal(json.dir, dir);
  assert.equal(json.model, 'mlp');
  const quiet = await a3t('train', '--regime', 'plain', '--out', join(tmp, 'quiet'), '--quiet', '--json', '--train-size', '2000', '--validation', '500', '--epochs', '1', '--threads', '2');
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '', 'nothing on stderr with --quiet');
  assert.equal(JSON.parse(quiet.stdout).epochs, 1);
});

test('an A3T run reports the discriminator accuracies of Figure 2 every epoch, as fractions', async () => {
  const dir = await trained('a3t');
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  for (const m of lines) {
    for (const v of [m.train['dacc.clean'], m.train['dacc.adv'], m.validation['dacc.clean'], m.validation['dacc.adv'], m.train['acc.clean'], m.train['acc.adv'], m.validation.clean, m.validation.fgsm]) {
      assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `metric ${v} in [0, 1]`);
    }
  }
  for (const f of ['config.json', 'checkpoint.a3t', 'model.onnx', 'summary.json', 'summary.md']) assert.ok(readFileSync(join(dir, f)).length > 0, f);
});

test('the exported ONNX model, loaded by plain onnxruntime-node, reproduces the test accuracy', async () => {
  const dir = await trained('at');
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  const test = loadDataset().test;
  const out = await session.run({ input: new ort.Tensor('float32', imagesOf(test), [test.count, test.features]) });
  const logits = out.logits.data as Float32Array;
  let hits = 0;
  for (let i = 0; i < test.count; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
    hits += +(best === test.labels[i]);
  }
  assert.ok(Math.abs(hits / test.count - summary(dir).test['0.1'].clean) <= 0.0005, `ONNX ${hits / test.count} vs trained ${summary(dir).test['0.1'].clean}`);
});

test('the same seed gives an identical metrics.jsonl twice', async () => {
  const a = readFileSync(join(await trained('a3t', 3), 'metrics.jsonl'), 'utf8');
  const b = readFileSync(join(await trained('a3t', 3, '-again'), 'metrics.jsonl'), 'utf8');
  const strip = (s: string) => s.replace(/"(seconds|samplesPerSecond)":[0-9.e+-]+/g, '');
  assert.equal(strip(a), strip(b));
  assert.notEqual(strip(a), strip(readFileSync(join(await trained('a3t'), 'metrics.jsonl'), 'utf8')));
});

test('a3t eval reports each attack over ε, the worst case, and writes JSON, Markdown and SVG', async () => {
  const out = join(tmp, 'eval-plain');
  const r = await a3t('eval', await trained('plain'), '--eps', '0,0.1,0.3', '--count', '200', '--attacks', 'fgsm,pgd-10', '--no-checks', '--min-norm', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
  // --min-norm: each example's smallest ε (null: none up to 0.3), and the curve they give, never above the worst case at the grid.
  assert.equal(j.minNorm.perExample.length, 200);
  assert.deepEqual(j.minNorm.bisected, ['FGSM', 'PGD-10']);
  for (const [k, eps] of [0, 0.1, 0.3].entries()) {
    const at = j.minNorm.curve.eps.indexOf(eps);
    assert.ok(at >= 0 && j.minNorm.curve.accuracy[at] <= j.worstCase[k] + 1e-9, `curve at ε ${eps}: ${j.minNorm.curve.accuracy[at]} vs worst case ${j.worstCase[k]}`);
  }
  const sorted = j.minNorm.perExample.map((v: number | null) => v ?? Infinity).sort((a: number, b: number) => a - b);
  assert.equal(j.minNorm.median ?? Infinity, sorted[99]);
  assert.deepEqual(j.epsilons, [0, 0.1, 0.3]);
  assert.equal(j.examples, 200);
  assert.deepEqual(j.attacks.map((a: { name: string }) => a.name), ['FGSM', 'PGD-10']);
  const [fgsm, pgd] = j.attacks.map((a: { accuracy: number[] }) => a.accuracy);
  assert.equal(fgsm[0], j.clean);
  assert.ok(fgsm[2] < fgsm[1] && fgsm[1] < j.clean, `FGSM falls with ε: ${fgsm}`);
  assert.ok(pgd[1] <= fgsm[1] && pgd[2] <= fgsm[2], `PGD ${pgd} at most FGSM ${fgsm}`);
  j.worstCase.forEach((w: number, i: number) => assert.ok(w <= Math.min(fgsm[i], pgd[i]), `worst case ${w} ≤ each attack at ε index ${i}`));
  // Each example's outcome per attack and ε ('1' robust), in the order of the test images.
  for (const a of j.attacks as { accuracy: number[]; runs: { eps: number; robust: string }[] }[]) {
    assert.deepEqual(a.runs.map((run) => run.eps), [0, 0.1, 0.3]);
    a.runs.forEach((run, k) => {
      assert.match(run.robust, /^[01]{200}$/);
      assert.equal([...run.robust].filter((c) => c === '1').length / 200, a.accuracy[k]);
    });
  }
  assert.match(readFileSync(join(out, 'eval.md'), 'utf8'), /\| PGD-10 +\| +\d+\.\d\d% \|/);
  assert.match(readFileSync(join(out, 'eval.svg'), 'utf8'), /^<svg[^>]*>[\s\S]*worst case[\s\S]*from each smallest ε[\s\S]*<\/svg>\s*$/);
  assert.match(readFileSync(join(out, 'eval.md'), 'utf8'), /## Smallest ε per example[\s\S]*Median \*\*/);
  assert.match(r.stdout, /worst case/);
  // A second eval into the same directory is refused without --force, and leaves the files alone.
  const before = readFileSync(join(out, 'eval.json'), 'utf8');
  const again = await a3t('eval', await trained('plain'), '--count', '50', '--no-checks', '--out', out);
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /already holds eval\.json.*--force/);
  assert.equal(readFileSync(join(out, 'eval.json'), 'utf8'), before);
});

test('a3t eval takes the ball from attacks that name their norm (ε grid and bounds in L2)', async () => {
  const out = join(tmp, 'eval-l2');
  const r = await a3t('eval', await trained('plain'), '--eps', '0,2', '--count', '64', '--attacks', 'pgd-10:norm=l2', '--no-checks', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
  assert.equal(j.norm, 'l2');
  assert.ok(j.attacks[0].accuracy[1] < j.clean);
});

test('a3t eval --input-noise makes the model random, and EOT attacks it; on a deterministic model it says EOT is moot', async () => {
  const out = join(tmp, 'eval-noise');
  const r = await a3t('eval', await trained('at'), '--eps', '0,0.1', '--count', '64', '--attacks', 'apgd-ce:steps=10,eot=4', '--input-noise', '0.3', '--no-checks', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
  assert.match(j.notes.join(' '), /Gaussian noise of std 0\.3/);
  assert.ok(j.attacks[0].accuracy[1] < j.clean, `EOT APGD ${j.attacks[0].accuracy[1]} vs clean ${j.clean}`);
  assert.doesNotMatch(r.stderr, /deterministic/);
  const plain = await a3t('eval', await trained('at'), '--eps', '0,0.1', '--count', '64', '--attacks', 'apgd-ce:steps=10,eot=4', '--no-checks', '--out', join(tmp, 'eval-no-noise'));
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /the model is deterministic, so the EOT draws are all the same/);
});

test('a3t eval runs the gradient-masking checks, with a given surrogate for the transfer check', async () => {
  const out = join(tmp, 'eval-at');
  const r = await a3t('eval', await trained('at'), '--eps', '0,0.1', '--count', '200', '--attacks', 'fgsm,pgd-10', '--surrogate', await trained('plain', 2), '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
  const ids = j.masking.checks.map((c: { id: string }) => c.id);
  assert.deepEqual(ids, ['large-eps', 'monotone', 'iterative-vs-single-step', 'score-based', 'transfer', 'gradients']);
  for (const c of j.masking.checks) assert.equal(c.passed, true, `${c.id}: ${c.detail}`);
  assert.match(j.surrogate, /plain-2/);
  assert.match(r.stdout, /Gradient-masking checks: passed/);
});

test('bad flags exit with code 2 and a one-line message naming the flag and its range', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['train', '--bogus', '1'], /unknown flag --bogus/],
    [['train', '--alpha', '1.5'], /--alpha must be a number in \[0, 1\], got 1\.5/],
    [['train', '--train-eps', '-0.1'], /trainEps \(--train-eps\) must be a number in \[0, 1\], got -0\.1/],
    [['train', '--batch-size', '0'], /batchSize \(--batch-size\) must be an integer from 1 to 65536, got 0/],
    [['train', '--model', 'mlp:hidden=512-256,layer=3'], /layer "h3" \(where the discriminator reads\) names no layer/],
    [['train', '--regime', 'gan'], /--regime must be one of plain, at, a2t, a3t, pgd-at, trades, a3t-pgd, got "gan"/],
    [['reproduce', '--regimes', 'plain,gan'], /--regimes must list regimes among/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  const results = await runAll(cases.map(([args]) => args));
  for (const [i, [args, pattern]] of cases.entries()) {
    const r = results[i];
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});

test('an existing run directory is kept unless --force; a bad data directory is named', async () => {
  const dir = join(tmp, 'occupied');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const r = await a3t('train', '--out', dir, ...SMALL);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already holds a run; choose another --out or pass --force/);
  assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
  const d = await a3t('train', '--data', join(tmp, 'nowhere'), '--out', join(tmp, 'x'), ...SMALL);
  assert.equal(d.code, 1);
  assert.match(d.stderr, /nowhere/);
  assert.doesNotMatch(d.stderr, /\n\s+at /, 'no stack trace');
});

test('a3t eval MODEL.onnx attacks a PyTorch export: its clean accuracy is ONNX Runtime\'s on the file, and attacks only lower it', async () => {
  const out = join(tmp, 'onnx-eval');
  const file = 'test/fixtures/cnn-dynamic.onnx';
  const r = await a3t('eval', file, '--attacks', 'fgsm,pgd-10', '--eps', '0,0.1,0.3', '--count', '300', '--no-checks', '--json', '--quiet', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const test = loadDataset().test;
  const session = await ort.InferenceSession.create(file);
  const z = (await session.run({ x: new ort.Tensor('float32', imagesOf(test).subarray(0, 300 * 784), [300, 1, 28, 28]) })).y.data as Float32Array;
  let hits = 0;
  for (let i = 0; i < 300; i++) {
    const row = Array.from(z.subarray(i * 10, i * 10 + 10));
    hits += +(row.indexOf(Math.max(...row)) === test.labels[i]);
  }
  assert.equal(j.clean, hits / 300);
  for (const a of j.attacks) assert.ok(a.accuracy[1] <= j.clean && a.accuracy[2] <= a.accuracy[1], `${a.name}: ${a.accuracy}`);
  assert.deepEqual(j.notes, undefined, 'nothing stripped from this export');
  assert.ok(j.model.endsWith('test/fixtures/cnn-dynamic.onnx') && !j.model.startsWith('/'), `the report names the file relative to itself: ${j.model}`);
});
