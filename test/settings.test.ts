// Settings as one source of truth: every training setting's out-of-range value gets the same message from
// the command line and from the library; only A3tErrors print as one line, anything else is a bug report.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ATTACKS } from '../src/attacks/spec.js';
import { A3tError } from '../src/errors.js';
import { main } from '../src/cli/run.js';
import { type Setting, TRAIN_SETTINGS, type TrainKey, accepted, helpLine } from '../src/settings.js';
import { makeConfig, modelOf } from '../src/train/config.js';
import { runAll, runAllInProcess } from './run-cli.js';

/** Values each setting refuses: below its minimum, above its maximum, not among its choices. */
function refused(key: TrainKey, s: Setting): unknown[] {
  if (key === 'model') return ['resnet-9000', 'mlp:depth=3'];
  if (key === 'layer') return ['nowhere'];
  if (s.kind === 'choice') return ['bogus'];
  const out: unknown[] = [];
  const list = (v: number) => (s.kind === 'ints' || s.kind === 'numbers' ? [v] : v);
  if (s.min !== undefined) out.push(list(s.minOpen ? s.min : s.min - 1));
  if (s.max !== undefined && s.max < 1e9) out.push(list(s.maxOpen ? s.max : s.max + 1));
  if (s.kind === 'int') out.push(list((s.min ?? 0) + 0.5));
  return out;
}

const cases = (Object.entries(TRAIN_SETTINGS) as Array<[TrainKey, Setting]>).flatMap(([key, s]) => refused(key, s).map((value) => ({ key, s, value })));

/** The library's message for a config holding `value`: the config's own check, then the model's. */
function libraryMessage(key: TrainKey, value: unknown): string {
  try {
    modelOf(makeConfig({ [key]: value }), { image: [1, 28, 28], classes: 10 });
  } catch (e) {
    assert.ok(e instanceof A3tError && e.kind === 'usage', `${key} = ${JSON.stringify(value)}: a usage error, got ${e}`);
    return e.message;
  }
  throw new Error(`${key} = ${JSON.stringify(value)} was accepted`);
}

test('every training setting out of range gets the same one-line message from the CLI and from the library', async () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
  const text = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));
  const lines = cases.map(({ s, value }) => ['train', `--${s.flag}`, text(value), '--out', '/nonexistent/never']);
  const results = await runAllInProcess(lines);
  // The first and last as processes too: what the process prints and exits with is what main returned.
  const spawned = await runAll([lines[0], lines[lines.length - 1]]);
  assert.deepEqual(spawned.map((r) => [r.code, r.stderr, r.stdout]), [results[0], results[results.length - 1]].map((r) => [r.code, r.stderr, r.stdout]));
  cases.forEach(({ key, value }, i) => {
    const r = results[i];
    const what = `--${TRAIN_SETTINGS[key].flag} ${text(value)}`;
    assert.equal(r.code, 2, `${what}: exit code (stderr ${r.stderr})`);
    assert.equal(r.stderr, `a3t train: ${libraryMessage(key, value)}\n`, what);
  });
});

test('--help lists every training setting with its placeholder, default and accepted range', async () => {
  const [r] = await runAll([['train', '--help']]);
  assert.equal(r.code, 0);
  for (const s of Object.values(TRAIN_SETTINGS)) {
    assert.ok(r.stdout.includes(`--${s.flag}${s.kind === 'flag' ? '' : ` ${s.placeholder}`}`), `--${s.flag} listed`);
    if (s.kind !== 'text') assert.ok(r.stdout.includes(`[${accepted(s)}]`), `--${s.flag}: its range`);
  }
  assert.match(r.stdout, /--epochs N +epochs \(default 20\) \[an integer from 1 to 100000\]/);
  assert.equal(helpLine({ kind: 'number', flag: 'lr', placeholder: 'LR', min: 0, minOpen: true, max: 10, help: 'rate' }, 10), '  --lr LR     rate [a number in (0, 10]]');
});

test('an internal error is reported as a bug with its stack trace and exit code 70, not as a usage error', async () => {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => written.push(s) > 0) as typeof process.stderr.write;
  try {
    const bug = await main(['boom'], { boom: async () => void new Array(-1) });
    const usage = await main(['usage'], { usage: async () => { throw new A3tError('usage', 'bad flag'); } });
    const input = await main(['input'], { input: async () => { throw new A3tError('input', 'bad file'); } });
    assert.deepEqual([bug, usage, input], [70, 2, 1]);
  } finally {
    process.stderr.write = write;
  }
  assert.match(written[0], /^a3t boom: internal error — this is a bug in a3t \d+\.\d+\.\d+; please report it/);
  assert.match(written[0], /RangeError: Invalid array length\n\s+at /, 'the stack trace is printed');
  assert.deepEqual(written.slice(1), ['a3t usage: bad flag\n', 'a3t input: bad file\n']);
});

test('flags: -h, --version, -- and values that are not numbers at all', async () => {
  const [h, v, dash, abc, twice] = await runAll([['eval', '-h'], ['--version'], ['train', '--', '--epochs'], ['train', '--epochs', 'abc'], ['train', '--seed', '1', '--seed', '2']]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^usage: a3t eval RUN_DIR\|CHECKPOINT\|MODEL\.onnx/);
  assert.match(v.stdout, /^a3t \d+\.\d+\.\d+\n$/);
  assert.equal(dash.code, 2);
  assert.equal(dash.stderr, "a3t train: unexpected argument '--epochs' (see a3t train --help)\n");
  assert.equal(abc.stderr, "a3t train: --epochs must be an integer from 1 to 100000, got 'abc'\n");
  assert.equal(twice.stderr, 'a3t train: --seed is given twice\n');
});

test('flags several commands take are one setting: --threads has the training setting\'s range in every command, --data one help text', async () => {
  const commands = ['train', 'eval', 'reproduce', 'sweep', 'worker'];
  const over = TRAIN_SETTINGS.threads.max! + 1;
  const refusedBy = await runAllInProcess(commands.map((c) => [c, '--threads', String(over)]));
  const helps = await runAllInProcess(commands.map((c) => [c, '--help']));
  commands.forEach((c, i) => {
    assert.equal(refusedBy[i].code, 2, `${c}: ${refusedBy[i].stderr}`);
    assert.equal(refusedBy[i].stderr, `a3t ${c}: --threads must be ${accepted(TRAIN_SETTINGS.threads)}, got ${over}\n`);
    const data = helps[i].stdout.split('\n').find((l) => l.trimStart().startsWith('--data'));
    assert.match(data ?? '', /--data DIR +directory of MNIST-format IDX files \(default: the bundled MNIST\)$/, `${c}: ${data}`);
  });
});

test('names in help and errors come from their tables: every attack preset in eval --help, every command in the unknown-command error', async () => {
  const [help, unknown] = await runAllInProcess([['eval', '--help'], ['frobnicate']]);
  const listed = /names: ([^)]*)\)/.exec(help.stdout)?.[1].split(', ');
  assert.deepEqual(listed, [...Object.keys(ATTACKS), 'pgd-N']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "a3t: unknown command 'frobnicate' (expected reproduce, train, eval, sweep, worker or serve; see a3t --help)\n");
});
