// SVG line charts (series, shaded bands, nice 1-2-5 ticks, legend) and multi-panel grids, as pure text.

export interface Series {
  label: string;
  x: number[];
  y: number[];
  /** Lower and upper edge of a shaded band (e.g. mean ± std over seeds); both or neither. */
  lo?: number[];
  hi?: number[];
  dashed?: boolean;
  color?: string;
  /** A dot at every point; isolated points (neighbours non-finite) get one regardless. */
  markers?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  yRange?: [number, number];
  width?: number;
  height?: number;
  yFormat?: (v: number) => string;
  /** x is a count (epochs): ticks only at whole numbers. */
  xIntegers?: boolean;
}

/** Okabe–Ito colours, distinguishable under the common colour-vision deficiencies (its yellow is left out: too pale on white). */
export const PALETTE: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

const FONT = { title: 15, label: 12.5, tick: 11, legend: 12 };
// No font metrics without a renderer: estimate widths generously (DejaVu Sans digits are 0.64 em).
const textWidth = (s: string, size: number) => s.length * size * 0.62;
// Coordinates far outside the plot are clamped: renderers misbehave at ±1e300, and within ±1e5 px a
// segment's visible slope is unchanged to a fraction of a pixel.
const FAR = 1e5;

export function escapeXml(s: string): string {
  // Control characters other than tab/newline/CR are illegal in XML 1.0 even when escaped: drop them.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const num = (v: number) => String(Math.round(Math.max(-FAR, Math.min(FAR, v)) * 100) / 100 + 0);

/** The 1-2-5 × 10^k step nearest to `raw` on a log scale (cut points √2, √10, √50, as in d3). */
function niceStep(raw: number): number {
  const e = Math.floor(Math.log10(raw));
  const m = raw / 10 ** e;
  return (m < Math.SQRT2 ? 1 : m < Math.sqrt(10) ? 2 : m < Math.sqrt(50) ? 5 : 10) * 10 ** e;
}

const decimalsOf = (step: number) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

/** Tick values: multiples of a 1-2-5 step inside [lo, hi], about `target` of them, rounded to the step's decimals. */
export function niceTicks(lo: number, hi: number, target: number): { step: number; values: number[]; decimals: number } {
  const step = niceStep((hi - lo) / Math.max(1, target));
  const decimals = decimalsOf(step);
  const values: number[] = [];
  // Integer multiples, not repeated addition: 0.1 + 0.1 + 0.1 drifts to 0.30000000000000004.
  const k0 = Math.ceil(lo / step - 1e-9);
  const k1 = Math.floor(hi / step + 1e-9);
  // A span tiny against its magnitude (1e15 ± 1e-3) puts k beyond 2^53, where k++ stops moving: no ticks.
  if (!Number.isSafeInteger(k0) || !Number.isSafeInteger(k1) || k1 - k0 > 1000) return { step, values, decimals };
  for (let k = k0; k <= k1; k++) values.push(Number((k * step).toFixed(Math.min(decimals, 100))) + 0);
  return { step, values, decimals };
}

function defaultFormat(decimals: number): (v: number) => string {
  return (v) => (decimals <= 6 && Math.abs(v) < 1e9 ? v.toFixed(decimals) : String(Number(v.toPrecision(4))));
}

function validate(spec: ChartSpec): void {
  if (spec.series.length === 0) throw new Error(`lineChart '${spec.title}': expected at least one series`);
  for (const s of spec.series) {
    const n = s.x.length;
    for (const k of ['y', 'lo', 'hi'] as const) {
      const a = s[k];
      if (a !== undefined && a.length !== n) {
        throw new Error(`lineChart '${spec.title}': series '${s.label}' has ${n} x values but ${a.length} ${k} values`);
      }
    }
    if ((s.lo === undefined) !== (s.hi === undefined)) {
      throw new Error(`lineChart '${spec.title}': series '${s.label}' has only one of lo/hi; a band needs both`);
    }
  }
  if (spec.yRange !== undefined) {
    const [a, b] = spec.yRange;
    if (!Number.isFinite(a) || !Number.isFinite(b) || !(a < b)) {
      throw new RangeError(`lineChart '${spec.title}': yRange is [${a}, ${b}], expected finite min < max`);
    }
  }
  for (const [k, v] of [['width', spec.width], ['height', spec.height]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new RangeError(`lineChart '${spec.title}': ${k} is ${v}, expected a positive number`);
    }
  }
}

function extent(values: Iterable<number>): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

function* finiteY(series: Series[]): Generator<number> {
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i])) continue;
      yield s.y[i];
      if (s.lo && s.hi) yield* [s.lo[i], s.hi[i]];
    }
  }
}

/** Runs of consecutive indices where every given array is finite: a non-finite value breaks the line. */
function runs(n: number, arrays: number[][]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < n; i++) {
    if (arrays.every((a) => Number.isFinite(a[i]))) cur.push(i);
    else if (cur.length > 0) (out.push(cur), (cur = []));
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

interface LegendItem {
  s: Series;
  color: string;
  x: number;
  y: number;
}

function layoutLegend(series: Series[], colors: string[], width: number, top: number): { items: LegendItem[]; bottom: number } {
  const rowH = 18;
  const items: LegendItem[] = [];
  let x = 16;
  let y = top;
  series.forEach((s, i) => {
    const w = 24 + 6 + textWidth(s.label, FONT.legend);
    if (x > 16 && x + w > width - 16) (x = 16), (y += rowH);
    items.push({ s, color: colors[i], x, y });
    x += w + 20;
  });
  return { items, bottom: y + rowH / 2 };
}

/** A standalone SVG document: title, legend above the plot, axes with labels, grid, bands under lines. */
export function lineChart(spec: ChartSpec): string {
  validate(spec);
  const width = spec.width ?? 640;
  const height = spec.height ?? 400;
  const colors = spec.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);

  const legend = layoutLegend(spec.series, colors, width, 44);
  const top = legend.bottom + 14;
  const bottom = 50;
  const ph = height - top - bottom;

  let yDom = spec.yRange;
  if (yDom === undefined) {
    const [a, b] = extent(finiteY(spec.series)) ?? [0, 1];
    // 5% margins and ticks inside, not a domain widened to whole steps: that can leave a fifth of the
    // plot empty (accuracies near 1 on a 0.2 step get an axis up to 1.2).
    const pad = a === b ? Math.abs(a) * 0.1 || 1 : 0.05 * (b - a);
    yDom = [a - pad, b + pad];
  }
  const yTicks = niceTicks(yDom[0], yDom[1], Math.max(2, ph / 45));
  const yFmt = spec.yFormat ?? defaultFormat(yTicks.decimals);
  const yLabels = yTicks.values.map(yFmt);
  const left = 22 + 10 + Math.max(0, ...yLabels.map((l) => textWidth(l, FONT.tick))) + 8;

  let xDom = extent(spec.series.flatMap((s) => s.x.filter((_, i) => Number.isFinite(s.y[i])))) ?? [0, 1];
  if (xDom[0] === xDom[1]) xDom = [xDom[0] - (Math.abs(xDom[0]) * 0.1 || 1), xDom[1] + (Math.abs(xDom[0]) * 0.1 || 1)];
  let pw = width - left - 16;
  let xTicks = niceTicks(xDom[0], xDom[1], Math.max(2, pw / 80));
  let xFmt = defaultFormat(xTicks.decimals);
  // Fewer ticks until the widest label fits between neighbours, so labels never overlap.
  for (let target = pw / 80; target > 2; target *= 0.7) {
    xTicks = niceTicks(xDom[0], xDom[1], target);
    xFmt = defaultFormat(xTicks.decimals);
    const widest = Math.max(...xTicks.values.map((v) => textWidth(xFmt(v), FONT.tick)));
    if (widest + 12 <= (xTicks.step / (xDom[1] - xDom[0])) * pw) break;
  }
  if (spec.xIntegers && xTicks.step < 1) {
    const values: number[] = [];
    for (let v = Math.ceil(xDom[0]); v <= xDom[1]; v++) values.push(v);
    xTicks = { step: 1, values, decimals: 0 };
    xFmt = defaultFormat(0);
  }
  const lastLabel = xTicks.values.length > 0 ? xFmt(xTicks.values[xTicks.values.length - 1]) : '';
  const right = Math.max(16, textWidth(lastLabel, FONT.tick) / 2 + 4);
  pw = width - left - right;
  if (pw < 20 || ph < 20) {
    throw new RangeError(`lineChart '${spec.title}': ${width}×${height} leaves a ${Math.round(pw)}×${Math.round(ph)} plot area; make the chart larger`);
  }

  const [x0, x1] = xDom;
  const [y0, y1] = yDom;
  const sx = (v: number) => left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => top + ph - ((v - y0) / (y1 - y0)) * ph;
  // Shrink a long title to fit rather than clip it (bold glyphs run about 0.68 em).
  const titleSize = Math.min(FONT.title, (width - 16) / (0.68 * Math.max(1, spec.title.length)));
  const e = escapeXml;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${e(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="${num(width / 2)}" y="24" text-anchor="middle" font-size="${num(titleSize)}" font-weight="bold" fill="#222222">${e(spec.title)}</text>`,
  );

  // Grid and ticks.
  out.push('<g class="grid" stroke="#e4e4e4" stroke-width="1">');
  for (const v of yTicks.values) out.push(`<line x1="${num(left)}" x2="${num(left + pw)}" y1="${num(sy(v))}" y2="${num(sy(v))}"/>`);
  for (const v of xTicks.values) out.push(`<line x1="${num(sx(v))}" x2="${num(sx(v))}" y1="${num(top)}" y2="${num(top + ph)}"/>`);
  out.push('</g>');
  out.push(`<g class="y-ticks" font-size="${FONT.tick}" fill="#444444" text-anchor="end">`);
  yTicks.values.forEach((v, i) => {
    out.push(`<text class="tick-y" x="${num(left - 8)}" y="${num(sy(v))}" dy="0.32em">${e(yLabels[i])}</text>`);
  });
  out.push('</g>');
  out.push(`<g class="x-ticks" font-size="${FONT.tick}" fill="#444444" text-anchor="middle">`);
  for (const v of xTicks.values) {
    out.push(`<text class="tick-x" x="${num(sx(v))}" y="${num(top + ph + 8)}" dy="0.71em">${e(xFmt(v))}</text>`);
  }
  out.push('</g>');
  out.push(
    `<path class="axes" d="M${num(left)},${num(top)}V${num(top + ph)}H${num(left + pw)}" fill="none" stroke="#666666" stroke-width="1"/>`,
    `<text class="x-label" x="${num(left + pw / 2)}" y="${num(height - 12)}" text-anchor="middle" font-size="${FONT.label}" fill="#222222">${e(spec.xLabel)}</text>`,
    `<text class="y-label" transform="translate(18,${num(top + ph / 2)}) rotate(-90)" text-anchor="middle" font-size="${FONT.label}" fill="#222222">${e(spec.yLabel)}</text>`,
  );

  // Data, clipped by a nested <svg> (no clipPath id to collide when charts are combined by gridOfCharts);
  // its viewBox equals its placement, so coordinates inside stay absolute. The 3 px outset keeps a line
  // lying exactly on the plot edge from being cut in half.
  const o = 3;
  out.push(
    `<svg class="plot" x="${num(left - o)}" y="${num(top - o)}" width="${num(pw + 2 * o)}" height="${num(ph + 2 * o)}" viewBox="${num(left - o)} ${num(top - o)} ${num(pw + 2 * o)} ${num(ph + 2 * o)}">`,
  );
  // All bands first, so no band covers another series' line.
  spec.series.forEach((s, si) => {
    if (!s.lo || !s.hi) return;
    const { lo, hi } = s;
    for (const r of runs(s.x.length, [s.x, lo, hi])) {
      const pts = [...r.map((i) => `${num(sx(s.x[i]))},${num(sy(lo[i]))}`), ...[...r].reverse().map((i) => `${num(sx(s.x[i]))},${num(sy(hi[i]))}`)];
      out.push(`<polygon class="band" data-series="${si}" points="${pts.join(' ')}" fill="${e(colors[si])}" fill-opacity="0.18" stroke="none"/>`);
    }
  });
  spec.series.forEach((s, si) => {
    const c = e(colors[si]);
    const dash = s.dashed ? ' stroke-dasharray="7 4"' : '';
    for (const r of runs(s.x.length, [s.x, s.y])) {
      // A one-point polyline draws nothing: an isolated point is shown as a dot instead.
      if (r.length > 1) {
        const pts = r.map((i) => `${num(sx(s.x[i]))},${num(sy(s.y[i]))}`).join(' ');
        out.push(`<polyline class="line" data-series="${si}" points="${pts}" fill="none" stroke="${c}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dash}/>`);
      }
      if (s.markers || r.length === 1) {
        for (const i of r) out.push(`<circle class="marker" data-series="${si}" cx="${num(sx(s.x[i]))}" cy="${num(sy(s.y[i]))}" r="3" fill="${c}"/>`);
      }
    }
  });
  out.push('</svg>');

  out.push(`<g class="legend" font-size="${FONT.legend}" fill="#222222">`);
  for (const { s, color, x, y } of legend.items) {
    const c = e(color);
    if (s.lo && s.hi) out.push(`<rect x="${num(x)}" y="${num(y - 6)}" width="24" height="12" fill="${c}" fill-opacity="0.18"/>`);
    out.push(`<line x1="${num(x)}" x2="${num(x + 24)}" y1="${num(y)}" y2="${num(y)}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`);
    if (s.markers) out.push(`<circle cx="${num(x + 12)}" cy="${num(y)}" r="3" fill="${c}"/>`);
    out.push(`<text x="${num(x + 30)}" y="${num(y)}" dy="0.32em">${e(s.label)}</text>`);
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * Several chart documents as panels of one SVG, row-major, each cell as large as the largest chart.
 * Panels keep their own ids: charts from lineChart have none, other SVGs with ids may collide.
 */
export function gridOfCharts(charts: string[], columns: number): string {
  if (charts.length === 0) throw new Error('gridOfCharts: expected at least one chart');
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`gridOfCharts: columns is ${columns}, expected a positive integer`);
  const panels = charts.map((svg, i) => {
    const body = svg.replace(/^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?/, '');
    const open = /^<svg\b[^>]*>/.exec(body);
    const get = (name: string) => {
      const m = open && new RegExp(`\\s${name}="([0-9.]+)"`).exec(open[0]);
      return m ? Number(m[1]) : NaN;
    };
    const w = get('width');
    const h = get('height');
    if (!open || !(w > 0) || !(h > 0)) {
      throw new Error(`gridOfCharts: chart ${i} is not an <svg> document with numeric width and height attributes`);
    }
    return { body, open: open[0], w, h };
  });
  const cw = Math.max(...panels.map((p) => p.w));
  const ch = Math.max(...panels.map((p) => p.h));
  const cols = Math.min(columns, panels.length);
  const rows = Math.ceil(panels.length / columns);
  const W = cols * cw;
  const H = rows * ch;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
  ];
  panels.forEach((p, i) => {
    const x = (i % columns) * cw + (cw - p.w) / 2;
    const y = Math.floor(i / columns) * ch + (ch - p.h) / 2;
    // Drop x/y already on the panel's root: a repeated attribute makes the document ill-formed.
    const open = p.open.replace(/\s[xy]="[^"]*"/g, '').replace(/^<svg/, `<svg x="${num(x)}" y="${num(y)}"`);
    out.push(open + p.body.slice(p.open.length).trimEnd());
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
