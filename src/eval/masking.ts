// Checks that catch gradient masking (Athalye et al. 2018; Carlini et al. 2019, "On evaluating
// adversarial robustness"): each is pass/fail with the numbers behind it.
import { ATTACKS, type AttackSpec } from '../attacks/spec.js';
import { crossEntropyRows } from '../attacks/losses.js';
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import { compile } from '../engine/runtime.js';
import type { Split } from '../data/dataset.js';
import { floatRows, int64Labels, range } from '../data/selection.js';
import { percent } from '../format.js';
import type { Model } from './model.js';
import { compileLogits, correctness, mean } from './predict.js';
import type { AttackBench, RobustnessReport } from './robustness.js';

export interface MaskingCheck {
  id: 'large-eps' | 'monotone' | 'iterative-vs-single-step' | 'score-based' | 'transfer' | 'gradients';
  title: string;
  /** null when the check could not run (e.g. no surrogate model). */
  passed: boolean | null;
  detail: string;
  values: Record<string, number>;
}

export interface MaskingReport {
  /** True when every check that ran passed. */
  passed: boolean;
  checks: MaskingCheck[];
}

export interface MaskingOptions {
  /** ε of the single-step vs iterative and transfer comparisons (the table's ε). */
  eps: number;
  /** ε at which robust accuracy must be about zero (L∞ on [0, 1] images: 0.5 can turn any image gray). */
  largeEps?: number;
  /** A separately trained model of the same data, the source of the transfer attack. */
  surrogate?: Model;
  /** Slack for comparisons between accuracies (fractions). */
  tolerance?: number;
  /** The strongest-attack threshold: robust accuracy at largeEps must be at most this. */
  nearZero?: number;
  /** Queries of the Square attack the score-based check runs (default 1,000; AutoAttack's Square uses 5,000). */
  squareQueries?: number;
  /** More curves (e.g. the suite's) that the monotonicity check also inspects. */
  curves?: RobustnessReport;
}

const pct = (v: number) => percent(v, 1);

/** Per example: is the input gradient of the cross-entropy all zeros, and does it hold a NaN or infinity. */
async function gradientStats(model: Model, data: Split, threads?: number): Promise<{ zero: number; nonFinite: number }> {
  const arch = model.arch;
  const x = o.input('x', ['batch', arch.inputs]);
  const y = o.input('y', ['batch'], 'int64');
  const g = grad(o.reduceSum(crossEntropyRows(arch.trace()(x), o.oneHot(y, arch.classes))), [x])[0];
  const count = (b: ReturnType<typeof o.greater>) => o.reduceSum(o.cast(b, 'float32'));
  const zero = count(o.equal(o.reduceMax(o.abs(g), 1), 0));
  // g − g is 0 exactly where g is finite: a row with fewer zeros than entries holds a NaN or infinity.
  const bad = count(o.less(o.reduceSum(o.cast(o.equal(o.sub(g, g), 0), 'float32'), 1), arch.inputs));
  const p = await compile({ outputs: { zero, bad }, threads, optimization: 'basic' });
  const rows = 2000;
  let z = 0;
  let b = 0;
  const ys = new BigInt64Array(rows);
  const xs = new Float32Array(Math.min(rows, data.count) * arch.inputs);
  for (let at = 0; at < data.count; at += rows) {
    const n = Math.min(rows, data.count - at);
    int64Labels(data.labels, range(at, at + n), ys);
    const r = await p.run({ x: floatRows(data, at, at + n, xs).subarray(0, n * arch.inputs), y: ys.subarray(0, n), ...model.params });
    z += r.zero[0] as number;
    b += r.bad[0] as number;
  }
  await p.release();
  return { zero: z / data.count, nonFinite: b / data.count };
}

export async function maskingChecks(model: Model, bench: AttackBench, opts: MaskingOptions): Promise<MaskingReport> {
  const { eps, largeEps = 0.5, tolerance = 0.01, nearZero = 0.02 } = opts;
  const data = bench.data;
  const pgd: AttackSpec = ATTACKS['pgd-40'];
  const checks: MaskingCheck[] = [];

  const large = (await bench.result(model, pgd, largeEps)).accuracy;
  checks.push({
    id: 'large-eps',
    title: `accuracy falls to about zero at ε = ${largeEps}`,
    passed: large <= nearZero,
    detail: `PGD-40 accuracy at ε = ${largeEps} is ${pct(large)} (pass: ≤ ${pct(nearZero)})`,
    values: { eps: largeEps, accuracy: large },
  });

  // Accuracy that rises with ε means the attack is misled by the local gradient (Carlini et al. 2019, §5):
  // FGSM-trained models often show it for FGSM, which then overstates their robustness.
  const grid = [...new Set([0, eps, 0.3, largeEps])].filter((e) => e <= largeEps).sort((a, b) => a - b);
  const clean = await bench.clean(model);
  const curves: Array<{ name: string; eps: number[]; accuracy: number[] }> = [];
  for (const spec of [ATTACKS.fgsm, pgd]) {
    const accuracy: number[] = [];
    for (const e of grid) accuracy.push(e === 0 ? mean(clean) : (await bench.result(model, spec, e)).accuracy);
    curves.push({ name: spec.name, eps: grid, accuracy });
  }
  for (const a of opts.curves?.attacks ?? []) curves.push({ name: `${a.name} (suite)`, eps: opts.curves!.epsilons, accuracy: a.accuracy });
  const rises = curves.flatMap((c) => c.accuracy.slice(1).flatMap((v, i) => (v > c.accuracy[i] + tolerance ? [`${c.name} ${pct(c.accuracy[i])} at ε = ${c.eps[i]} → ${pct(v)} at ε = ${c.eps[i + 1]}`] : [])));
  checks.push({
    id: 'monotone',
    title: 'accuracy never rises as ε grows',
    passed: rises.length === 0,
    detail: rises.length
      ? `rises: ${rises.join('; ')} (pass: no rise above ${pct(tolerance)})`
      : `${curves.slice(0, 2).map((c) => `${c.name} ${c.accuracy.map(pct).join(' → ')}`).join(', ')} over ε = ${grid.join(', ')}${opts.curves ? ", and the suite's curves" : ''}`,
    values: Object.fromEntries(curves.flatMap((c) => c.accuracy.map((v, i) => [`${c.name}@${c.eps[i]}`, v]))),
  });

  const single = (await bench.result(model, ATTACKS.fgsm, eps)).accuracy;
  const iterative = { 'PGD-40': (await bench.result(model, pgd, eps)).accuracy, 'APGD-CE': (await bench.result(model, ATTACKS['apgd-ce'], eps)).accuracy };
  const weaker = Object.entries(iterative).filter(([, a]) => a > single + tolerance);
  checks.push({
    id: 'iterative-vs-single-step',
    title: `iterative attacks are at least as strong as FGSM at ε = ${eps}`,
    passed: weaker.length === 0,
    detail: `FGSM ${pct(single)}, ${Object.entries(iterative).map(([n, a]) => `${n} ${pct(a)}`).join(', ')} (pass: each ≤ FGSM + ${pct(tolerance)})`,
    values: { eps, fgsm: single, ...iterative },
  });

  // A score-based attack needs no gradient: when it beats the gradient attacks, their gradients misled them.
  const queries = opts.squareQueries ?? 1000;
  const square: AttackSpec = { ...ATTACKS.square, queries, rescale: true, name: `Square-${queries}` };
  const scoreBased = (await bench.result(model, square, eps)).accuracy;
  const bestGradient = Math.min(...Object.values(iterative));
  checks.push({
    id: 'score-based',
    title: `a gradient-free attack is not stronger than the gradient attacks at ε = ${eps}`,
    passed: scoreBased >= bestGradient - tolerance,
    detail: `${square.name} ${pct(scoreBased)}, best of PGD-40 and APGD-CE ${pct(bestGradient)} (pass: ${square.name} ≥ that − ${pct(tolerance)})`,
    values: { eps, square: scoreBased, gradient: bestGradient, queries },
  });

  const whiteBox = iterative['PGD-40'];
  if (opts.surrogate) {
    const adv = (await bench.result(opts.surrogate, pgd, eps)).adversarial;
    const p = await compileLogits(model.arch, { threads: bench.threads });
    const hit = correctness(await p.run(model, adv, data.count), data.labels, model.arch.classes);
    await p.release();
    const transfer = mean(hit.map((h, i) => h & clean[i]));
    checks.push({
      id: 'transfer',
      title: `a transfer attack from a separately trained model is not stronger than the white-box attack at ε = ${eps}`,
      passed: transfer >= whiteBox - tolerance,
      detail: `transfer PGD-40 ${pct(transfer)}, white-box PGD-40 ${pct(whiteBox)} (pass: transfer ≥ white-box − ${pct(tolerance)})`,
      values: { eps, transfer, whiteBox },
    });
  } else checks.push({ id: 'transfer', title: 'transfer attack', passed: null, detail: 'skipped: no surrogate model given', values: {} });

  const g = await gradientStats(model, data, bench.threads);
  checks.push({
    id: 'gradients',
    title: 'input gradients are non-zero and finite',
    passed: g.zero + g.nonFinite <= tolerance,
    detail: `${pct(g.zero)} of examples have an all-zero input gradient, ${pct(g.nonFinite)} a non-finite one (pass: together ≤ ${pct(tolerance)})`,
    values: g,
  });
  return { passed: checks.every((c) => c.passed !== false), checks };
}
