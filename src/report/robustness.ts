// The report of `a3t eval`: robust accuracy per attack over ε, the worst case over the suite, and
// the gradient-masking checks, as Markdown and an SVG plot (pure functions of the results).
import { reportRecord } from '../attacks/spec.js';
import type { MaskingReport } from '../eval/masking.js';
import type { MinNormReport } from '../eval/min-norm.js';
import type { AttackCurve, AttackRun, RobustnessReport } from '../eval/robustness.js';
import { percent } from './stats.js';
import { PALETTE, type Series, lineChart } from './svg.js';
import { markdownTable } from './table.js';

export interface EvalReportInput {
  model: string;
  data: string;
  /** Notes about the model, e.g. what an ONNX import changed. */
  notes?: string[];
  robustness: RobustnessReport;
  masking?: MaskingReport;
  minNorm?: MinNormReport;
  /** What the transfer check's surrogate was, in words. */
  surrogate?: string;
  seconds: number;
}

const normName = (n: string) => (n === 'linf' ? 'L∞' : 'L2');

export function robustnessFigure(r: RobustnessReport, title: string, minNorm?: MinNormReport): string {
  // The palette's last colour (black) is kept for the worst case, drawn first so the attacks lie over it.
  const series: Series[] = [{ label: 'worst case', x: r.epsilons, y: r.worstCase, color: PALETTE[PALETTE.length - 1], markers: true, dashed: true }];
  r.attacks.forEach((a, i) => series.push({ label: a.name, x: r.epsilons, y: a.accuracy, color: PALETTE[i % (PALETTE.length - 1)], markers: true }));
  if (minNorm) series.push({ label: 'from each smallest ε', x: minNorm.curve.eps, y: minNorm.curve.accuracy, color: PALETTE[PALETTE.length - 1], markers: false });
  return lineChart({ title, xLabel: `ε (${normName(r.norm)})`, yLabel: 'robust accuracy', series, yRange: [0, 1], yFormat: (v) => `${Math.round(100 * v)}%` });
}

export function evalMarkdown(input: EvalReportInput, figureFile: string): string {
  const r = input.robustness;
  const header = ['attack', ...r.epsilons.map((e) => `ε=${e}`), 'seconds'];
  const rows = r.attacks.map((a) => [a.name, ...a.accuracy.map((v) => percent(v)), a.seconds.toFixed(1)]);
  rows.push(['**worst case**', ...r.worstCase.map((v) => `**${percent(v)}**`), '']);
  const lines = [
    `# Robustness of ${input.model}`,
    '',
    `${r.examples} test images of ${input.data}; clean accuracy ${percent(r.clean)}. Robust accuracy under each attack (${normName(r.norm)} ball of radius ε,`,
    'inputs kept in [0, 1]); an example counts as robust only if the clean input and every point an attack reached are',
    'classified correctly. The worst case counts an example as robust only if every attack failed on it.',
    '',
    ...(input.notes?.length ? [...input.notes.map((n) => `Note: ${n}.`), ''] : []),
    markdownTable(header, rows, ['left', ...r.epsilons.map(() => 'right' as const), 'right']),
    ...ensembleLines(r),
    `![robust accuracy against ε](${figureFile})`,
    '',
  ];
  if (input.minNorm) {
    const m = input.minNorm;
    const none = m.norms.filter((v) => v === Infinity).length;
    const fmt = (v: number) => (Number.isFinite(v) ? +v.toPrecision(3) : `> ${r.epsilons[r.epsilons.length - 1]}`);
    lines.push(
      '## Smallest ε per example',
      '',
      `For each example the smallest ε at which an attack above found a misclassified point: ${[
        m.bisected.length ? `bisection (${m.steps} steps from the grid's bracket) with ${m.bisected.join(', ')}` : '',
        m.minimumNorm.length ? `the minimal norms ${m.minimumNorm.join(', ')} found` : '',
      ].filter(Boolean).join(', and ')}. Median **${fmt(m.median)}**; ${none} of ${m.norms.length} examples withstood every attack up to the largest ε.`,
      `The curve "from each smallest ε" in the figure is the robust accuracy these give at every ε; at the grid's ε it is at most the worst case.`,
      '',
      markdownTable(['fraction of examples', ...QUANTILES.map((q) => `${q * 100}%`)], [['broken at an ε up to', ...QUANTILES.map((q) => `${fmt(quantile(m.norms, q))}`)]], ['left', ...QUANTILES.map(() => 'right' as const)]),
      '',
    );
  }
  if (input.masking) {
    const m = input.masking;
    const failed = m.checks.filter((c) => c.passed === false).map((c) => c.id);
    lines.push(`## Gradient-masking checks: ${m.passed ? 'passed' : `**FAILED** (${failed.join(', ')})`}`, '');
    if (!m.passed) lines.push('At least one attack above was misled by the model\'s gradients (the failed checks say how), so its numbers overstate robustness; the worst case over the strongest attacks is the better estimate, and still only an upper bound.', '');
    for (const c of m.checks) lines.push(`- ${c.passed === null ? 'skipped' : c.passed ? 'pass' : '**FAIL**'}: ${c.title} — ${c.detail}`);
    if (input.surrogate) lines.push('', `Transfer surrogate: ${input.surrogate}.`);
    lines.push('');
  }
  lines.push(`Evaluation took ${input.seconds.toFixed(0)} s.`, '');
  return lines.join('\n');
}

/** An ensemble's members at each ε: time, examples run on, examples left standing. */
function ensembleLines(r: RobustnessReport): string[] {
  const lines: string[] = [];
  for (const a of r.attacks)
    a.runs?.forEach((run, e) => {
      if (!run.members?.length) return;
      const parts = run.members.map((m) => `${m.name} ${m.seconds.toFixed(1)} s on ${m.examples} (${m.standing} left)`);
      lines.push(`- ${a.name} at ε = ${r.epsilons[e]}: ${parts.join(', ')}.`);
    });
  return lines.length ? ['', ...lines, ''] : [];
}

/** eval.json's minimum norms: JSON has no Infinity, so examples no attack broke are null. */
export interface MinNormJson {
  median: number | null;
  steps: number;
  bisected: string[];
  minimumNorm: string[];
  curve: { eps: number[]; accuracy: number[] };
  perExample: Array<number | null>;
}

/** What `a3t eval` writes to eval.json (and the site ships beside each model). */
export interface EvalJson {
  model: string;
  data: string;
  notes?: string[];
  examples: number;
  clean: number;
  norm: RobustnessReport['norm'];
  epsilons: number[];
  /** Each attack; `spec` is its settings as reportRecord writes them (the flat record of earlier reports). */
  attacks: Array<Pick<AttackCurve, 'name' | 'accuracy' | 'seconds'> & { spec: Record<string, unknown>; runs?: Array<{ eps: number } & AttackRun> }>;
  /** Fraction of examples no attack broke, at each ε. */
  worstCase: number[];
  masking?: MaskingReport;
  minNorm?: MinNormJson;
  surrogate?: string;
  seconds: number;
}

export function evalJson(input: EvalReportInput): EvalJson {
  const r = input.robustness;
  return {
    model: input.model,
    data: input.data,
    ...(input.notes?.length ? { notes: input.notes } : {}),
    examples: r.examples,
    clean: r.clean,
    norm: r.norm,
    epsilons: r.epsilons,
    attacks: r.attacks.map((a) => ({ name: a.name, spec: reportRecord(a.spec), accuracy: a.accuracy, seconds: a.seconds, ...(a.runs ? { runs: a.runs.map((run, e) => ({ eps: r.epsilons[e], ...run })) } : {}) })),
    worstCase: r.worstCase,
    masking: input.masking,
    ...(input.minNorm ? { minNorm: minNormJson(input.minNorm) } : {}),
    surrogate: input.surrogate,
    seconds: input.seconds,
  };
}

const QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9];

/** The q-quantile of v (the lower one: sorted[⌊q·(n − 1)⌋]). */
function quantile(v: Float64Array, q: number): number {
  const s = Float64Array.from(v).sort();
  return s[Math.floor(q * (s.length - 1))];
}

/** JSON has no Infinity: examples no attack broke are null. */
function minNormJson(m: MinNormReport): MinNormJson {
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return { median: finite(m.median), steps: m.steps, bisected: m.bisected, minimumNorm: m.minimumNorm, curve: m.curve, perExample: Array.from(m.norms, finite) };
}
