// The report of a sweep: one row per grid point, test accuracy (clean, FGSM, the strong attacks) as
// mean ± std over its seeds, as Markdown and JSON.
import type { RunResult } from './reproduction.js';
import { meanAndStd as ms, plusMinus as pm } from './stats.js';
import { markdownTable } from './table.js';

export interface SweepRow {
  group: string;
  seeds: number[];
  clean: { mean: number; std: number };
  fgsm: { mean: number; std: number };
  /** Mean ± std over seeds of each strong attack at each ε, keyed `NAME@ε`. */
  strong: Record<string, { mean: number; std: number }>;
}

export interface SweepReport {
  json: { settings: Record<string, unknown>; rows: SweepRow[]; runs: RunResult[]; wallSeconds: number };
  markdown: string;
}


/** `runs` in the sweep's order; groups keep the order of their first run. */
export function sweepReport(settings: Record<string, unknown>, runs: RunResult[], wallSeconds: number, testEps: number): SweepReport {
  const groups = [...new Set(runs.map((r) => r.regime))];
  const rows: SweepRow[] = groups.map((g) => {
    const rs = runs.filter((r) => r.regime === g);
    const names = [...new Set(rs.flatMap((r) => (r.strong?.attacks ?? []).map((a) => `${a.name}@${a.eps}`)))];
    const strong = Object.fromEntries(names.map((n) => [n, ms(rs.flatMap((r) => (r.strong?.attacks ?? []).filter((a) => `${a.name}@${a.eps}` === n).map((a) => a.accuracy)))]));
    return { group: g, seeds: rs.map((r) => r.seed), clean: ms(rs.map((r) => r.test.clean)), fgsm: ms(rs.map((r) => r.test.fgsm)), strong };
  });
  const strongCols = [...new Set(rows.flatMap((r) => Object.keys(r.strong)))];
  const table = markdownTable(
    ['run', 'seeds', 'clean', `FGSM ε=${testEps}`, ...strongCols.map((c) => c.replace('@', ' ε='))],
    rows.map((r) => [r.group, String(r.seeds.length), pm(r.clean), pm(r.fgsm), ...strongCols.map((c) => (r.strong[c] ? pm(r.strong[c]) : '—'))]),
    ['left', 'right', 'right', 'right', ...strongCols.map(() => 'right' as const)],
  );
  const markdown = `# Sweep\n\nTest accuracy (%), mean ± std over seeds.\n\n${table}\nWall time ${(wallSeconds / 60).toFixed(1)} min.\n`;
  return { json: { settings, rows, runs, wallSeconds }, markdown };
}
