// The reproduction report: Table 1 (mean ± std over seeds, the paper's numbers beside ours) and
// Figure 2 (curves over epochs, mean with a ±1 std band), as Markdown, JSON and SVG.
import { DISCRIMINATOR_METRICS } from '../objectives/adversarial.js';
import { metricValue } from '../objectives/objective.js';
import { PALETTE, type Series, gridOfCharts, lineChart } from './svg.js';
import { meanAndStd as ms, meanStd, percent, plusMinus as pm } from './stats.js';
import { markdownTable } from './table.js';

/** The paper's Table 1: test accuracy on real and FGSM (ε = 0.1) inputs, 10 runs. */
export const PAPER_TABLE1: Readonly<Record<string, { label: string; clean: number; fgsm: number }>> = {
  plain: { label: 'Simple training', clean: 0.9818, fgsm: 0.2537 },
  at: { label: 'AT (α = ½, β = 0)', clean: 0.9889, fgsm: 0.9445 },
  a2t: { label: 'A2T (α = β = 1)', clean: 0.9777, fgsm: 0.8974 },
  a3t: { label: 'A3T (α = ½, β = 1)', clean: 0.9872, fgsm: 0.961 },
};

export interface EpochPoint {
  epoch: number;
  train: Record<string, number>;
  /** Classifier accuracies and the objective's (its `metrics` keys; older files: their `formerly` keys). */
  validation: { clean: number; fgsm: number } & Record<string, number>;
}

export interface RunResult {
  regime: string;
  seed: number;
  /** Test accuracy, clean and under FGSM at the test ε. */
  test: { clean: number; fgsm: number };
  history: EpochPoint[];
  seconds: number;
  /** Strong attacks on the first `images` test images: robust accuracy of each at each ε. */
  strong?: { images: number; attacks: Array<{ name: string; eps: number; accuracy: number }> };
  /** The gradient-masking verdict: did every check pass, and which failed. */
  masking?: { passed: boolean; failed: string[]; details: string[] };
}

export interface ReproductionInput {
  settings: Record<string, unknown>;
  regimes: Array<{ name: string; label: string; alpha: number; beta: number }>;
  runs: RunResult[];
  wallSeconds: number;
}

export interface Row {
  method: string;
  label: string;
  alpha: number;
  beta: number;
  clean: { mean: number; std: number };
  fgsm: { mean: number; std: number };
  seeds: number[];
  paper: { clean: number; fgsm: number } | null;
  /** Mean ± std over seeds of each strong attack at each ε, keyed `NAME@ε`. */
  strong: Record<string, { mean: number; std: number }>;
  /** Seeds whose masking checks all passed, of those checked; ids of the checks that failed anywhere. */
  masking: { passed: number; checked: number; failed: string[] };
}

export interface Reproduction {
  json: { settings: Record<string, unknown>; rows: Row[]; runs: RunResult[]; wallSeconds: number };
  markdown: string;
  /** File name → SVG document. */
  figures: Record<string, string>;
}


/** Mean and band over seeds of one metric per epoch. */
function curve(runs: RunResult[], label: string, color: string, pick: (p: EpochPoint) => number | undefined, dashed = false): Series | null {
  const epochs = Math.min(...runs.map((r) => r.history.length));
  const x: number[] = [];
  const y: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const vals = runs.map((r) => pick(r.history[e])).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (vals.length === 0) return null;
    const { mean, std } = meanStd(vals);
    x.push(runs[0].history[e].epoch);
    y.push(mean);
    lo.push(mean - std);
    hi.push(mean + std);
  }
  return { label, x, y, lo, hi, dashed, color };
}

/** Figure 2 for one regime: classifier and (when trained) discriminator accuracies over epochs. */
export function curvesFigure(regimeLabel: string, runs: RunResult[]): string {
  const seeds = runs.length;
  // Fixed colours per quantity, so the same curve looks the same in every regime's figure.
  const [trainColor, valColor] = [PALETTE[0], PALETTE[1]];
  const classifier = [
    curve(runs, 'train, clean', trainColor, (p) => p.train['acc.clean']),
    curve(runs, 'train, FGSM', trainColor, (p) => p.train['acc.adv'], true),
    curve(runs, 'validation, clean', valColor, (p) => p.validation.clean),
    curve(runs, 'validation, FGSM', valColor, (p) => p.validation.fgsm, true),
  ].filter((s): s is Series => s !== null);
  const chart = (title: string, series: Series[]) => lineChart({ title, xLabel: 'epoch', yLabel: 'accuracy', series, yRange: [0, 1], xIntegers: true });
  const charts = [chart(`${regimeLabel}: classifier (mean ± std, ${seeds} seeds)`, classifier)];
  const disc = (['train', 'validation'] as const)
    .flatMap((where, i) => DISCRIMINATOR_METRICS.map((m) => curve(runs, `${where}, ${m.label}`, PALETTE[2 + i], (p) => metricValue(p[where], m), m.attacked)))
    .filter((s): s is Series => s !== null);
  if (disc.length) charts.push(chart(`${regimeLabel}: discriminator (mean ± std, ${seeds} seeds)`, disc));
  return gridOfCharts(charts, charts.length);
}

function strongColumns(runs: RunResult[]): Record<string, { mean: number; std: number }> {
  const by: Record<string, number[]> = {};
  for (const r of runs) for (const a of r.strong?.attacks ?? []) (by[`${a.name}@${a.eps}`] ??= []).push(a.accuracy);
  return Object.fromEntries(Object.entries(by).map(([k, v]) => [k, ms(v)]));
}

/** Table 1 under strong attacks, with each method's masking verdict; empty when no run was attacked. */
function strongMarkdown(rows: Row[], runs: RunResult[]): string[] {
  const withStrong = runs.find((r) => r.strong);
  if (!withStrong) return [];
  const columns = withStrong.strong!.attacks.map((a) => `${a.name}@${a.eps}`);
  const verdict = (r: Row) => (r.masking.checked === 0 ? '—' : r.masking.passed === r.masking.checked ? `pass (${r.masking.passed}/${r.masking.checked})` : `FAIL (${r.masking.checked - r.masking.passed}/${r.masking.checked}: ${r.masking.failed.join(', ')})`);
  const table = markdownTable(
    ['method', ...columns.map((c) => c.replace('@', ' ε=')), 'masking checks'],
    rows.map((r) => [r.label, ...columns.map((c) => (r.strong[c] ? pm(r.strong[c]) : '—')), verdict(r)]),
    ['left', ...columns.map(() => 'right' as const), 'left'],
  );
  return [
    `### Under strong attacks (first ${withStrong.strong!.images} test images)`,
    '',
    'Robust accuracy: an example counts only if the clean input and every point the attack reached are classified',
    'correctly. Masking checks per run: PGD-40 accuracy at ε = 0.5 about zero; FGSM and PGD-40 accuracy never rising',
    'with ε; PGD-40 and APGD-CE at least as strong as FGSM; a transfer attack from a separately trained plain model',
    'not stronger than white-box PGD-40; input gradients non-zero and finite (details per run in report.json).',
    '',
    table,
    '',
  ];
}

export function reproductionReport(input: ReproductionInput): Reproduction {
  const rows: Row[] = input.regimes.map((g) => {
    const runs = input.runs.filter((r) => r.regime === g.name);
    const paper = PAPER_TABLE1[g.name];
    return {
      method: g.name,
      label: g.label,
      alpha: g.alpha,
      beta: g.beta,
      clean: ms(runs.map((r) => r.test.clean)),
      fgsm: ms(runs.map((r) => r.test.fgsm)),
      seeds: runs.map((r) => r.seed),
      paper: paper ? { clean: paper.clean, fgsm: paper.fgsm } : null,
      strong: strongColumns(runs),
      masking: {
        passed: runs.filter((r) => r.masking?.passed).length,
        checked: runs.filter((r) => r.masking).length,
        failed: [...new Set(runs.flatMap((r) => r.masking?.failed ?? []))],
      },
    };
  });
  const s = input.settings;
  const table = markdownTable(
    ['method', 'clean (ours)', 'clean (paper)', `FGSM ε=${s.testEps} (ours)`, 'FGSM (paper)', 'seeds'],
    rows.map((r) => [r.label, pm(r.clean), r.paper ? percent(r.paper.clean) : '—', pm(r.fgsm), r.paper ? percent(r.paper.fgsm) : '—', String(r.seeds.length)]),
    ['left', 'right', 'right', 'right', 'right', 'right'],
  );
  const strongTable = strongMarkdown(rows, input.runs);
  const figures: Record<string, string> = {};
  // Figure 2 is A3T's; the other regimes' curves follow it.
  for (const g of [...input.regimes].sort((a, b) => +(b.name === 'a3t') - +(a.name === 'a3t'))) {
    const runs = input.runs.filter((r) => r.regime === g.name);
    if (runs.length) figures[g.name === 'a3t' ? 'figure2.svg' : `curves-${g.name}.svg`] = curvesFigure(g.label, runs);
  }
  const settingLines = Object.entries(s).map(([k, v]) => `| ${k} | ${Array.isArray(v) ? v.join(', ') : String(v)} |`);
  const markdown = [
    '# Reproduction of A3T (Erraqabi et al.), Table 1 and Figure 2',
    '',
    `Test accuracy on the ${s.testImages} MNIST test images, clean and under FGSM at ε = ${s.testEps}, mean ± standard deviation over seeds.`,
    `Training examples were generated by FGSM at ε = ${s.trainEps}. The paper's numbers (10 runs) are beside ours.`,
    '',
    table,
    '',
    ...strongTable,
    `Wall time: ${(input.wallSeconds / 60).toFixed(1)} min for ${input.runs.length} runs.`,
    '',
    '## Figure 2',
    '',
    Object.keys(figures)
      .map((f) => `![${f}](${f})`)
      .join('\n\n'),
    '',
    '## Settings',
    '',
    '| setting | value |',
    '| --- | --- |',
    ...settingLines,
    '',
  ].join('\n');
  return { json: { settings: s, rows, runs: input.runs, wallSeconds: input.wallSeconds }, markdown, figures };
}
