// The report of `a3t eval`: robust accuracy per attack over ε, the worst case over the suite, and
// the gradient-masking checks, as Markdown and an SVG plot (pure functions of the results).
import type { MaskingReport } from '../eval/masking.js';
import type { RobustnessReport } from '../eval/robustness.js';
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
  /** What the transfer check's surrogate was, in words. */
  surrogate?: string;
  seconds: number;
}

const normName = (n: string) => (n === 'linf' ? 'L∞' : 'L2');

export function robustnessFigure(r: RobustnessReport, title: string): string {
  // The palette's last colour (black) is kept for the worst case, drawn first so the attacks lie over it.
  const series: Series[] = [{ label: 'worst case', x: r.epsilons, y: r.worstCase, color: PALETTE[PALETTE.length - 1], markers: true, dashed: true }];
  r.attacks.forEach((a, i) => series.push({ label: a.name, x: r.epsilons, y: a.accuracy, color: PALETTE[i % (PALETTE.length - 1)], markers: true }));
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
    `![robust accuracy against ε](${figureFile})`,
    '',
  ];
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

export function evalJson(input: EvalReportInput): unknown {
  const r = input.robustness;
  return {
    model: input.model,
    data: input.data,
    ...(input.notes?.length ? { notes: input.notes } : {}),
    examples: r.examples,
    clean: r.clean,
    norm: r.norm,
    epsilons: r.epsilons,
    attacks: r.attacks.map((a) => ({ name: a.name, spec: a.spec, accuracy: a.accuracy, seconds: a.seconds })),
    worstCase: r.worstCase,
    masking: input.masking,
    surrogate: input.surrogate,
    seconds: input.seconds,
  };
}
