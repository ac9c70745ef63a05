// a3t's AutoAttack against the original: `a3t eval RUN --attacks autoattack` (the built CLI) and AutoAttack's
// own code (its standard version, from a checkout of github.com/fra31/auto-attack, under Debian's PyTorch:
// bench/peers/autoattack_peer.py) on the same model and the same test images at ε (L∞). Prints both times,
// per-member times, both robust accuracies and how often they agree per example; --json writes them.
// Usage: npm run bench:autoattack -- --autoattack DIR [--count 1000] [--eps 0.1] [--run runs/readme-at] [--bs 500] [--threads 2] [--json FILE]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/data/mnist.js';
import { imagesOf, take } from '../src/data/selection.js';
import { networkModel } from '../src/eval/model.js';
import { compileLogits } from '../src/eval/predict.js';
import { inferenceModel } from '../src/model/export.js';
import { loadModel } from '../src/train/saved.js';

const argv = process.argv.slice(2);
function opt(name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}
const root = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_RUN = 'runs/readme-at';
const AA_DIR = opt('autoattack', '');
const COUNT = Number(opt('count', '1000'));
const EPS = Number(opt('eps', '0.1'));
const RUN = opt('run', DEFAULT_RUN);
const BS = Number(opt('bs', '500'));
const THREADS = Number(opt('threads', '2'));
const JSON_OUT = opt('json', '');
const PYTHON = '/usr/bin/python3';
const log = (s: string) => process.stderr.write(`[bench:autoattack] ${s}\n`);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** Why the comparison cannot run here (then it is skipped), or null. */
function missing(): string | null {
  if (!AA_DIR) return 'no --autoattack DIR given (a checkout of github.com/fra31/auto-attack, the folder holding autoattack/)';
  if (!existsSync(join(AA_DIR, 'autoattack', 'autoattack.py'))) return `${AA_DIR} holds no autoattack/autoattack.py (expected a checkout of github.com/fra31/auto-attack)`;
  const t = spawnSync(existsSync(PYTHON) ? PYTHON : 'python3', ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
  if (t.status !== 0) return `PyTorch is not importable by ${PYTHON} (apt-get install -y python3-torch): ${(t.stderr ?? '').trim().split('\n').pop()}`;
  return null;
}

/** The newest modification time under a folder (the build-staleness check). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

interface Member {
  name: string;
  seconds: number;
  examples?: number;
  standing?: number;
}
interface Side {
  seconds: number;
  /** The attack's own seconds (without process start, data loading, compilation where separable). */
  attackSeconds: number;
  members: Member[];
  robustAccuracy: number;
  robust: string;
}

function runA3t(dir: string): Side {
  const args = ['bin/a3t.js', 'eval', RUN, '--attacks', 'autoattack', '--eps', String(EPS), '--count', String(COUNT), '--no-checks', '--json', '--quiet', '--out', join(dir, 'eval'), '--force', '--threads', String(THREADS)];
  log(`a3t: node ${args.join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync('node', args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`a3t eval failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  const report = JSON.parse(r.stdout);
  const attack = report.attacks[0];
  const run = attack.runs.find((x: { eps: number }) => x.eps === EPS);
  return { seconds, attackSeconds: run.seconds, members: run.members, robustAccuracy: attack.accuracy[report.epsilons.indexOf(EPS)], robust: run.robust };
}

function runAutoAttack(dir: string): Side & { torch: string; logitsMaxDiff: number; argmaxAgree: number; clean: number } {
  const args = ['bench/peers/autoattack_peer.py', '--autoattack', resolve(AA_DIR), '--dir', dir, '--eps', String(EPS), '--bs', String(BS), '--threads', String(THREADS)];
  log(`AutoAttack: OPENBLAS_NUM_THREADS=1 ${PYTHON} ${args.join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync(PYTHON, args, { cwd: root, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  const seconds = (performance.now() - t0) / 1000;
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let out;
  try {
    out = JSON.parse(last);
  } catch {
    throw new Error(`the AutoAttack peer failed (exit ${r.status}); its last output: ${last.slice(0, 300)}`);
  }
  if (out.error) throw new Error(`the AutoAttack peer: ${out.error}`);
  return { ...out, seconds, attackSeconds: out.seconds };
}

async function main() {
  const why = missing();
  if (why) {
    log(`skipped: ${why}`);
    return;
  }
  if (!(Number.isInteger(COUNT) && COUNT >= 1 && COUNT <= 10000)) throw new RangeError(`--count must be an integer in 1..10000, got ${COUNT}`);
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build first (the bench times the built CLI)');
  if (newest(join(root, 'src')) > statSync(join(root, 'dist/cli/main.js')).mtimeMs) log('note: src/ has changed since dist/ was built; run npm run build to time the current code');
  if (!existsSync(RUN)) {
    if (RUN !== DEFAULT_RUN) throw new Error(`--run ${RUN}: no such run directory or checkpoint`);
    log(`training the README's AT model first: node bin/a3t.js train --regime at --seed 0 --out ${DEFAULT_RUN} (about 2 minutes)`);
    const t = spawnSync('node', ['bin/a3t.js', 'train', '--regime', 'at', '--seed', '0', '--out', DEFAULT_RUN, '--quiet'], { cwd: root, stdio: 'inherit' });
    if (t.status !== 0) throw new Error(`training failed (exit ${t.status})`);
  }
  const saved = loadModel(RUN);
  const model = networkModel(saved.model.classifier, saved.params);
  const test = take(loadDataset().test, COUNT);
  const side = Math.round(Math.sqrt(test.features));
  const dir = mkdtempSync(join(tmpdir(), 'a3t-bench-autoattack-'));
  try {
    // The model as the CLI exports it, the images and a3t's logits on them (the peer checks its rebuilt module against them).
    writeFileSync(join(dir, 'model.onnx'), inferenceModel(saved.model.classifier, saved.params));
    writeFileSync(join(dir, 'images.f32'), imagesOf(test));
    writeFileSync(join(dir, 'labels.u8'), test.labels);
    const logits = await compileLogits(model.arch);
    writeFileSync(join(dir, 'logits.f32'), await logits.run(model, test, COUNT));
    await logits.release();
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ count: COUNT, side }));

    const a3t = runA3t(dir);
    log(`a3t: ${a3t.seconds.toFixed(1)} s, robust ${pct(a3t.robustAccuracy)}`);
    const aa = runAutoAttack(dir);
    log(`AutoAttack: ${aa.seconds.toFixed(1)} s, robust ${pct(aa.robustAccuracy)}`);
    if (aa.logitsMaxDiff > 1e-4 || aa.argmaxAgree !== COUNT) throw new Error(`the rebuilt torch module's logits differ from a3t's by up to ${aa.logitsMaxDiff} (argmax agrees on ${aa.argmaxAgree} of ${COUNT}): the comparison would not be on the same model`);

    let agree = 0;
    let onlyA3t = 0;
    let onlyAa = 0;
    for (let i = 0; i < COUNT; i++) {
      if (a3t.robust[i] === aa.robust[i]) agree++;
      else if (a3t.robust[i] === '1') onlyA3t++;
      else onlyAa++;
    }
    const names: Record<string, string> = { 'apgd-ce': 'APGD-CE', 'apgd-t': 'APGD-T', 'fab-t': 'FAB-T', square: 'Square-5000' };
    console.log(`\nAutoAttack (standard, L∞, ε ${EPS}) on ${COUNT} MNIST test images, the AT model of ${RUN} (clean ${pct(aa.clean)}); ${THREADS} threads each\n`);
    console.log('| | a3t | AutoAttack (PyTorch) | AutoAttack ÷ a3t |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const [k, name] of Object.entries(names)) {
      const ours = a3t.members.find((m) => m.name === name);
      const theirs = aa.members.find((m) => m.name === k);
      const [s1, s2] = [ours?.seconds ?? 0, theirs?.seconds ?? 0];
      console.log(`| ${name} | ${s1.toFixed(1)} s${ours?.examples !== undefined ? ` (on ${ours.examples})` : ''} | ${s2.toFixed(1)} s | ${s1 > 0 ? `${(s2 / s1).toFixed(1)}×` : '—'} |`);
    }
    console.log(`| the attack (members and checks) | ${a3t.attackSeconds.toFixed(1)} s | ${aa.attackSeconds.toFixed(1)} s | ${(aa.attackSeconds / a3t.attackSeconds).toFixed(1)}× |`);
    console.log(`| the whole command (process, data, compilation) | ${a3t.seconds.toFixed(1)} s | ${aa.seconds.toFixed(1)} s | **${(aa.seconds / a3t.seconds).toFixed(1)}×** |`);
    console.log(`| robust accuracy | ${pct(a3t.robustAccuracy)} | ${pct(aa.robustAccuracy)} | ${(100 * (a3t.robustAccuracy - aa.robustAccuracy)).toFixed(1)} points apart |`);
    console.log(`\nPer example: the two agree on ${agree} of ${COUNT} (${pct(agree / COUNT)}); robust only under a3t's: ${onlyA3t}, only under AutoAttack's: ${onlyAa}.`);
    console.log(`The torch module rebuilt from the ONNX file: logits within ${aa.logitsMaxDiff.toExponential(1)} of a3t's. PyTorch ${aa.torch}, AutoAttack batch ${BS}.`);
    if (JSON_OUT) {
      const settings = { count: COUNT, eps: EPS, run: RUN, bs: BS, threads: THREADS };
      const json = { settings, a3t, autoattack: aa, speedup: { command: aa.seconds / a3t.seconds, attack: aa.attackSeconds / a3t.attackSeconds }, agreement: { agree, onlyA3t, onlyAutoAttack: onlyAa } };
      writeFileSync(JSON_OUT, JSON.stringify(json, null, 2) + '\n');
      log(`wrote ${JSON_OUT}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
