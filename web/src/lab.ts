// The attack lab: the shipped plain, AT and A3T models (and any ONNX classifier the user loads)
// classify a drawn digit or a test image; an attack at ε against one of them makes an adversarial
// image, and every model's probabilities on it are shown as it changes.
import {
  ATTACKS,
  type AttackProgram,
  type Dataset,
  type EvalJson,
  type LogitsProgram,
  type Model,
  type Split,
  argmaxRow,
  checkModelFits,
  compileAttack,
  compileLogits,
  floatRows,
  importOnnx,
  importedModel,
  rng,
  softmaxRow,
} from '../../src/browser.js';
import { $ } from './dom.js';
import { type Series, lineChart, probabilityChart, setProbabilities, setSeries } from './charts.js';
import { digitOf, drawingPad, paint } from './draw.js';

/** The models shipped with the site: trained by `a3t train --regime NAME` with the defaults. */
export const SHIPPED_MODELS = [
  { name: 'plain', label: 'plain' },
  { name: 'at', label: 'AT' },
  { name: 'a3t', label: 'A3T' },
] as const;

export const LAB_ATTACKS: Record<string, keyof typeof ATTACKS> = { fgsm: 'fgsm', 'pgd-40': 'pgd-40', 'apgd-ce': 'apgd-ce' };

interface LabModel {
  name: string;
  label: string;
  model: Model;
  logits: LogitsProgram;
  attacks: Map<string, Promise<AttackProgram>>;
  /** What the import changed, e.g. a final Softmax stripped. */
  warnings: string[];
}

const argmax = (p: number[]) => argmaxRow(p, 0, p.length);

/** Each model's class on the clean input and, once attacked, on the adversarial one (`y`: the attack's label). */
function showPredictions(models: LabModel[], clean: number[][], attacked: number[][] | null, y: number): void {
  $('predictions').replaceChildren(
    ...models.map((m, i) => {
      const li = document.createElement('li');
      li.dataset.model = m.name;
      const c = argmax(clean[i]);
      li.dataset.clean = String(c);
      li.textContent = `${m.label}: ${c} (${(clean[i][c] * 100).toFixed(0)}%)`;
      if (!attacked) return li;
      const a = argmax(attacked[i]);
      li.dataset.adversarial = String(a);
      li.className = a === y ? 'held' : 'flipped';
      li.textContent += ` → ${a} (${(attacked[i][a] * 100).toFixed(0)}%)${a === y ? '' : ' — fooled'}`;
      return li;
    }),
  );
}

/** Each model's probabilities for one image. */
const probabilities = (models: LabModel[], image: Float32Array): Promise<number[][]> => Promise.all(models.map(async (m) => softmaxRow(await m.logits.run(m.model, image, 1), 0, m.model.arch.classes)));

/** `file` names the model in errors; `data` is what it must classify. */
async function labModel(name: string, label: string, bytes: Uint8Array, file: string, data: Dataset): Promise<LabModel> {
  const imported = importOnnx(bytes, file, { image: [1, ...data.shape] });
  checkModelFits(file, { inputs: imported.features, classes: imported.classes }, { features: data.test.features, classes: data.classes, source: data.source });
  const model = importedModel(imported, file);
  return { name, label, model, logits: await compileLogits(model.arch, { rows: 1 }), attacks: new Map(), warnings: imported.warnings };
}

export async function startLab(base: string, data: Dataset, onFirstPrediction: () => void): Promise<void> {
  const models: LabModel[] = [];
  for (const m of SHIPPED_MODELS) {
    const r = await fetch(new URL(`models/${m.name}.onnx`, base));
    if (!r.ok) throw new Error(`models/${m.name}.onnx: ${r.status} (rebuild the site with npm run build:web)`);
    models.push(await labModel(m.name, m.label, new Uint8Array(await r.arrayBuffer()), `models/${m.name}.onnx`, data));
  }
  const target = $<HTMLSelectElement>('target');
  const fillTargets = () => {
    target.replaceChildren(...models.map((m) => new Option(m.label, m.name)));
  };
  fillTargets();
  const probs = probabilityChart($<HTMLCanvasElement>('prob-chart'), 10);
  let image: Float32Array = new Float32Array(784);
  let label: number | null = null; // known for test images; a drawing is attacked against the target's own prediction
  let firstPredicted = false;
  let running = false;
  let again = false;

  const eps = $<HTMLInputElement>('eps');
  const attack = $<HTMLSelectElement>('attack');
  const status = $('lab-status');

  async function update(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await attackOnce();
      } while (again);
    } catch (e) {
      status.textContent = `Error: ${(e as Error).message}`;
    } finally {
      running = false;
    }
  }

  async function attackOnce(): Promise<void> {
    const e = Number(eps.value);
    $('eps-value').textContent = e.toFixed(2);
    const victim = models.find((m) => m.name === target.value) ?? models[0];
    const clean = await probabilities(models, image);
    const y = label ?? argmax(clean[models.indexOf(victim)]);
    if (!firstPredicted) {
      // The clean predictions first: the attack's program may take a while to compile.
      showPredictions(models, clean, null, y);
      firstPredicted = true;
      onFirstPrediction();
    }
    const spec = ATTACKS[LAB_ATTACKS[attack.value]];
    let prog = victim.attacks.get(spec.name);
    if (!prog) victim.attacks.set(spec.name, (prog = compileAttack(victim.model.arch, spec, { rows: 1 })));
    const t0 = performance.now();
    status.textContent = `${spec.name} at ε ${e.toFixed(2)} against ${victim.label}…`;
    // Pixels as bytes, as every dataset holds them (a drawing loses nothing visible).
    const one: Split = { pixels: Uint8Array.from(image, (v) => Math.round(v * 255)), labels: Uint8Array.of(y), count: 1, features: 784 };
    const res = await (await prog).run(victim.model, one, e, rng.keyFromSeed(0));
    const adv = res.adversarial;
    const attacked = await probabilities(models, adv);
    const x = floatRows(one, 0, 1);
    paint($<HTMLCanvasElement>('canvas-clean'), x);
    paint($<HTMLCanvasElement>('canvas-adv'), adv);
    paint($<HTMLCanvasElement>('canvas-delta'), adv.map((v, i) => v - x[i]), { range: Math.max(e, 1e-6) });
    showPredictions(models, clean, attacked, y);
    setProbabilities(probs, models.map((m, i) => ({ label: `${m.label}, attacked`, probs: attacked[i] })));
    status.textContent = `${spec.name} at ε ${e.toFixed(2)} against ${victim.label}: ${res.robust[0] ? 'held' : 'fooled it'} (label ${y}${label === null ? `, ${victim.label}'s prediction of the drawing` : ''}; ${(performance.now() - t0).toFixed(0)} ms)`;
  }

  const testIndex = $<HTMLInputElement>('test-index');
  testIndex.max = String(data.test.count - 1);
  const showTest = (i: number) => {
    const n = Math.min(Math.max(0, Math.floor(i) || 0), data.test.count - 1);
    testIndex.value = String(n);
    image = floatRows(data.test, n, n + 1);
    label = data.test.labels[n];
    $('input-source').textContent = `test image ${n}, label ${label}`;
    return update();
  };
  testIndex.addEventListener('change', () => void showTest(Number(testIndex.value)));
  let pick = 0;
  $('random-test').addEventListener('click', () => void showTest((pick = (pick * 7919 + 104729) % data.test.count)));
  const padCanvas = $<HTMLCanvasElement>('pad');
  const pad = drawingPad(padCanvas, () => {
    const d = digitOf(padCanvas);
    if (!d) return;
    image = d;
    label = null;
    $('input-source').textContent = 'your drawing (attacked against the target model’s own prediction)';
    void update();
  });
  $('clear').addEventListener('click', () => pad.clear());
  for (const el of [eps, attack, target]) el.addEventListener('input', () => void update());

  $<HTMLInputElement>('model-file').addEventListener('change', async (ev) => {
    const input = ev.target as HTMLInputElement;
    const file = input.files?.[0];
    const err = $('model-error');
    err.textContent = '';
    if (!file) return;
    try {
      const m = await labModel('yours', file.name, new Uint8Array(await file.arrayBuffer()), file.name, data);
      const at = models.findIndex((x) => x.name === 'yours');
      if (at >= 0) models.splice(at, 1, m);
      else models.push(m);
      fillTargets();
      target.value = 'yours';
      err.textContent = [`Loaded ${file.name}: ${m.model.arch.classes} classes.`, ...m.warnings].join(' ');
      void update();
    } catch (e) {
      err.textContent = (e as Error).message;
    }
  });

  await showTest(0);
  await robustnessCurves(base);
}

/** Robust accuracy against ε of the shipped models, from their evaluation reports. */
async function robustnessCurves(base: string): Promise<void> {
  const chart = lineChart($<HTMLCanvasElement>('robust-chart'), { title: 'ε (L∞)', min: 0 }, { title: 'robust accuracy (%)', percent: true });
  const series: Series[] = [];
  for (const [i, m] of SHIPPED_MODELS.entries()) {
    const r = await fetch(new URL(`models/${m.name}.eval.json`, base));
    if (!r.ok) continue;
    // The site's copy leaves out the model's and the data's paths (web/build.ts).
    const rep: Omit<EvalJson, 'model' | 'data'> = await r.json();
    const pts = (acc: number[]) => rep.epsilons.map((x, j) => ({ x, y: acc[j] * 100 }));
    series.push({ label: `${m.label}, worst case`, points: pts(rep.worstCase), color: i });
    const fgsm = rep.attacks.find((a) => a.name === 'FGSM');
    if (fgsm) series.push({ label: `${m.label}, FGSM`, points: pts(fgsm.accuracy), dashed: true, color: i });
  }
  setSeries(chart, series);
}
