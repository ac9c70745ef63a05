// Report layer: statistics, Markdown tables, and SVG charts checked as well-formed XML with the right geometry.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { epochLine } from '../src/cli/commands/train.js';
import { DISCRIMINATOR_METRICS } from '../src/objectives/adversarial.js';
import { type EpochPoint, type Reproduction, reproductionReport } from '../src/report/reproduction.js';
import { meanStd, percent } from '../src/report/stats.js';
import { markdownTable } from '../src/report/table.js';
import { type ChartSpec, type Series, gridOfCharts, lineChart } from '../src/report/svg.js';

// ---- a tiny XML checker: tags balanced, attributes quoted and unique, `&` only in entities ------------

function assertWellFormed(xml: string): void {
  const doc = xml.replace(/^\s*<\?xml[^>]*\?>/, '');
  const stack: string[] = [];
  let roots = 0;
  const badAmp = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  for (const tok of doc.match(/<[^>]*>|[^<]+/g) ?? []) {
    if (!tok.startsWith('<')) {
      assert.ok(!badAmp.test(tok), `bare & in text: ${tok}`);
      assert.ok(stack.length > 0 || tok.trim() === '', `text outside the root element: ${tok}`);
      continue;
    }
    const m = /^<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+="[^"<]*")*)\s*(\/?)>$/.exec(tok);
    assert.ok(m, `malformed tag: ${tok}`);
    const [, close, name, attrs, selfClose] = m;
    const names = [...attrs.matchAll(/([\w.:-]+)="([^"]*)"/g)].map((a) => {
      assert.ok(!badAmp.test(a[2]), `bare & in attribute: ${tok}`);
      return a[1];
    });
    assert.equal(new Set(names).size, names.length, `repeated attribute in ${tok}`);
    if (close) {
      assert.equal(stack.pop(), name, `closing </${name}> does not match`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClose) stack.push(name);
    }
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'expected exactly one root element');
}

function elements(svg: string, name: string): Array<Record<string, string>> {
  return [...svg.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'g'))].map((m) =>
    Object.fromEntries([...m[1].matchAll(/([\w.:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  );
}

function texts(svg: string, cls: string): Array<{ text: string; x: number; y: number }> {
  return [...svg.matchAll(new RegExp(`<text class="${cls}" x="([^"]*)" y="([^"]*)"[^>]*>([^<]*)</text>`, 'g'))].map((m) => ({
    text: m[3],
    x: Number(m[1]),
    y: Number(m[2]),
  }));
}

const points = (p: Record<string, string>) => p.points.split(' ').map((s) => s.split(',').map(Number) as [number, number]);

const epochs = Array.from({ length: 20 }, (_, i) => i + 1);
const curve = (a: number, b: number) => epochs.map((e) => a - b * Math.exp(-e / 4));
function spec(series: Series[], extra: Partial<ChartSpec> = {}): ChartSpec {
  return { title: 'accuracy', xLabel: 'epoch', yLabel: 'accuracy', series, ...extra };
}

// ---- stats -----------------------------------------------------------------------------------------

test('meanStd matches hand-computed values', () => {
  // [1,2,3,4]: mean 2.5, squared deviations 2.25+0.25+0.25+2.25 = 5, std = √(5/3).
  assert.deepEqual(meanStd([1, 2, 3, 4]), { mean: 2.5, std: 1.2909944487358056, n: 4 });
  assert.deepEqual(meanStd([7]), { mean: 7, std: 0, n: 1 });
  // [2,4,4,4,5,5,7,9]: mean 5, Σ(x−5)² = 32, sample std √(32/7).
  const r = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(r.mean, 5);
  assert.ok(Math.abs(r.std - Math.sqrt(32 / 7)) < 1e-15);
  // Large common offset: the one-pass formula loses every digit here.
  const big = meanStd([1e9 + 1, 1e9 + 2, 1e9 + 3]);
  assert.ok(Math.abs(big.std - 1) < 1e-6, `std ${big.std}`);
});

test('meanStd rejects empty and non-finite input', () => {
  assert.throws(() => meanStd([]), RangeError);
  assert.throws(() => meanStd([1, NaN, 3]), (e: unknown) => e instanceof RangeError && /value 1 is NaN/.test(e.message));
  assert.throws(() => meanStd([Infinity]), RangeError);
});

test('percent formats fractions', () => {
  assert.equal(percent(0.9812), '98.12%');
  assert.equal(percent(0.5, 0), '50%');
  assert.equal(percent(1 / 3, 1), '33.3%');
  assert.equal(percent(1), '100.00%');
  assert.equal(percent(-1e-9), '0.00%');
  assert.throws(() => percent(NaN), RangeError);
  assert.throws(() => percent(0.5, -1), RangeError);
});

// ---- Markdown --------------------------------------------------------------------------------------

test('markdownTable output is exact, padded and aligned', () => {
  const t = markdownTable(
    ['method', 'clean', 'FGSM'],
    [
      ['A3T', '98.12%', '90.1%'],
      ['plain', '99.0%', '5%'],
    ],
    ['left', 'right', 'right'],
  );
  assert.equal(
    t,
    ['| method |  clean |  FGSM |', '| ------ | -----: | ----: |', '| A3T    | 98.12% | 90.1% |', '| plain  |  99.0% |    5% |', ''].join('\n'),
  );
  assert.equal(markdownTable(['a'], []), '| a   |\n| --- |\n');
});

test('markdownTable escapes pipes and line breaks', () => {
  const t = markdownTable(['x|y', 'z'], [['a|b', 'two\nlines']]);
  assert.match(t, /^\| x\\\|y \| z +\|$/m);
  assert.match(t, /\| a\\\|b +\| two lines \|/);
  // Every line has exactly header-many unescaped separators.
  for (const line of t.trimEnd().split('\n')) assert.equal(line.replace(/\\\|/g, '').split('|').length, 4, line);
});

test('markdownTable rejects ragged rows and bad align', () => {
  assert.throws(() => markdownTable(['a', 'b', 'c'], [['1', '2', '3'], ['1', '2']]), /row 1 has 2 cells, expected 3/);
  assert.throws(() => markdownTable(['a', 'b'], [], ['left']), /align has 1 entries, expected 2/);
  assert.throws(() => markdownTable([], []), /no columns/);
});

// ---- lineChart -------------------------------------------------------------------------------------

test('lineChart is a well-formed, self-contained SVG document with escaped text', () => {
  const svg = lineChart({
    title: 'Acc <clean> & "adv"',
    xLabel: "ε & 'step'",
    yLabel: 'y<1>',
    series: [{ label: 'A<B & C', x: epochs, y: curve(0.99, 0.5) }],
    width: 500,
    height: 320,
  });
  assertWellFormed(svg);
  const root = elements(svg, 'svg')[0];
  assert.equal(root.xmlns, 'http://www.w3.org/2000/svg');
  assert.equal(root.width, '500');
  assert.equal(root.height, '320');
  assert.equal(root.viewBox, '0 0 500 320');
  assert.ok(svg.includes('Acc &lt;clean&gt; &amp; &quot;adv&quot;'));
  assert.ok(svg.includes('ε &amp; &apos;step&apos;'));
  assert.ok(svg.includes('y&lt;1&gt;'));
  assert.ok(svg.includes('>A&lt;B &amp; C</text>'), 'legend text');
  assert.ok(!svg.includes('<clean>') && !svg.includes('A<B'));
  assert.ok(!/href|url\(|@import|<style|<image/.test(svg), 'no external references');
});

test('lineChart draws one polyline per series with distinct default colours', () => {
  const series: Series[] = [0, 1, 2].map((k) => ({ label: `s${k}`, x: epochs, y: curve(0.9 - 0.1 * k, 0.4) }));
  series[2] = { ...series[2], dashed: true, color: '#123456' };
  const svg = lineChart(spec(series));
  const lines = elements(svg, 'polyline');
  assert.deepEqual(lines.map((l) => l['data-series']), ['0', '1', '2']);
  assert.ok(lines.every((l) => points(l).length === 20));
  assert.equal(new Set(lines.map((l) => l.stroke)).size, 3);
  assert.equal(lines[2].stroke, '#123456');
  assert.ok(lines[2]['stroke-dasharray'] && !lines[0]['stroke-dasharray']);
  assert.equal(elements(svg, 'polygon').length, 0, 'no band without lo/hi');
  assert.equal(elements(svg, 'circle').length, 0, 'no markers unless asked');
});

test('lineChart draws a band polygon only for series with lo/hi, under the lines', () => {
  const y = curve(0.95, 0.5);
  const svg = lineChart(
    spec([
      { label: 'plain', x: epochs, y: curve(0.8, 0.5) },
      { label: 'A3T', x: epochs, y, lo: y.map((v) => v - 0.02), hi: y.map((v) => v + 0.02), markers: true },
    ]),
  );
  assertWellFormed(svg);
  const bands = elements(svg, 'polygon');
  assert.equal(bands.length, 1);
  assert.equal(bands[0]['data-series'], '1');
  assert.equal(bands[0].fill, elements(svg, 'polyline')[1].stroke, 'band in the series colour');
  assert.ok(Number(bands[0]['fill-opacity']) < 0.5);
  const pts = points(bands[0]);
  assert.equal(pts.length, 40, 'lo forward then hi backward');
  assert.ok(pts[0][1] > pts[39][1], 'lo edge below hi edge at the first x');
  assert.ok(svg.indexOf('<polygon') < svg.indexOf('<polyline'), 'band drawn before (under) the lines');
  assert.equal(elements(svg, 'circle').filter((c) => c['data-series'] === '1').length, 20, 'markers');
});

test('lineChart maps larger y higher up and larger x further right', () => {
  const x = [0, 1, 2, 3, 4];
  const y = [0.3, 0.9, 0.1, 0.5, 0.4];
  const [line] = elements(lineChart(spec([{ label: 's', x, y }])), 'polyline');
  const p = points(line);
  assert.ok(p[1][1] < p[2][1], `max y at svg y ${p[1][1]}, min y at ${p[2][1]}`);
  for (let i = 1; i < p.length; i++) assert.ok(p[i][0] > p[i - 1][0]);
  assert.ok(p[3][1] < p[4][1] && p[4][1] < p[0][1], 'order of y preserved');
});

test('lineChart breaks lines at non-finite values', () => {
  const x = [0, 1, 2, 3, 4];
  let lines = elements(lineChart(spec([{ label: 's', x, y: [1, 2, NaN, 4, 5] }])), 'polyline');
  assert.equal(lines.length, 2);
  assert.deepEqual(lines.map((l) => points(l).length), [2, 2]);
  // A non-finite x breaks it too, and an isolated point becomes a dot (a one-point polyline is invisible).
  const svg = lineChart(spec([{ label: 's', x: [0, 1, 2, Infinity, 4, 5], y: [1, NaN, 3, 4, 5, 6] }]));
  assertWellFormed(svg);
  lines = elements(svg, 'polyline');
  assert.equal(lines.length, 1);
  assert.equal(points(lines[0]).length, 2);
  assert.equal(elements(svg, 'circle').length, 2, 'points 0 and 2 are isolated');
  assert.ok(!svg.includes('NaN') && !svg.includes('Infinity'));
  // Bands split the same way.
  const bandSvg = lineChart(spec([{ label: 's', x, y: [1, 2, 3, 4, 5], lo: [0, 1, NaN, 3, 4], hi: [2, 3, 4, 5, 6] }]));
  assert.equal(elements(bandSvg, 'polygon').length, 2);
});

test('lineChart tick labels are evenly spaced 1-2-5 nice numbers', () => {
  const ranges: Array<[number, number]> = [
    [0.0031, 0.0047],
    [-3, 1234],
    [0.9, 0.99],
    [17, 17],
    [-2.5e-7, 1.5e-7],
  ];
  for (const [a, b] of ranges) {
    const svg = lineChart(spec([{ label: 's', x: [a * 3, b * 3 + 1], y: [a, b] }]));
    for (const cls of ['tick-y', 'tick-x']) {
      const vals = texts(svg, cls).map((t) => Number(t.text));
      assert.ok(vals.length >= 2, `${cls} for [${a}, ${b}]: ${vals}`);
      const d = vals[1] - vals[0];
      const mantissa = d / 10 ** Math.floor(Math.log10(d) + 1e-9);
      assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6), `${cls} step ${d} for [${a}, ${b}]`);
      for (let i = 1; i < vals.length; i++) assert.ok(Math.abs(vals[i] - vals[i - 1] - d) < d * 1e-6, `${cls}: ${vals}`);
      for (const v of vals) assert.ok(Math.abs(v / d - Math.round(v / d)) < 1e-6, `${v} is not a multiple of ${d}`);
    }
    // The y data range lies inside the drawn axis: the ticks cover its middle.
    const ys = texts(svg, 'tick-y').map((t) => Number(t.text));
    assert.ok(a === b || (Math.min(...ys) <= (a + b) / 2 && Math.max(...ys) >= (a + b) / 2), `${ys}`);
  }
});

test('lineChart honours yRange and yFormat', () => {
  const svg = lineChart(
    spec([{ label: 's', x: [0, 1, 2], y: [0.45, 0.5, 0.55] }], { yRange: [0, 1], yFormat: (v) => `${Math.round(v * 100)}%` }),
  );
  const ticks = texts(svg, 'tick-y');
  assert.equal(ticks[0].text, '0%');
  assert.equal(ticks[ticks.length - 1].text, '100%');
  const y0 = ticks[0].y;
  const y1 = ticks[ticks.length - 1].y;
  const p = points(elements(svg, 'polyline')[0]);
  assert.ok(Math.abs(p[1][1] - (y0 + y1) / 2) < 0.02, `0.5 drawn at ${p[1][1]}, midway is ${(y0 + y1) / 2}`);
  // Without yRange the axis hugs the data instead.
  const auto = texts(lineChart(spec([{ label: 's', x: [0, 1, 2], y: [0.45, 0.5, 0.55] }])), 'tick-y').map((t) => Number(t.text));
  assert.ok(Math.min(...auto) >= 0.4 && Math.max(...auto) <= 0.6, `${auto}`);
});

test('lineChart survives degenerate ranges (finite output, no hang)', () => {
  for (const y of [[1e15, 1e15 + 1e-3], [0, 1e-310], [-1e300, 1e300], [NaN, NaN]]) {
    const svg = lineChart(spec([{ label: 's', x: [0, 1], y }]));
    assertWellFormed(svg);
    assert.ok(!/NaN|Infinity/.test(svg), `y = ${y}`);
  }
});

test('lineChart default y range includes the bands', () => {
  const svg = lineChart(spec([{ label: 's', x: [0, 1, 2], y: [1, 1, 1], lo: [0, 0, 0], hi: [10, 10, 10] }]));
  const ys = texts(svg, 'tick-y').map((t) => Number(t.text));
  assert.ok(Math.min(...ys) <= 0 && Math.max(...ys) >= 10, `${ys}`);
});

test('lineChart validates its input, naming the series', () => {
  const ok = { label: 'clean', x: [0, 1, 2], y: [1, 2, 3] };
  assert.throws(() => lineChart(spec([ok, { label: 'adv', x: [0, 1, 2], y: [1, 2] }])), /series 'adv' has 3 x values but 2 y values/);
  assert.throws(() => lineChart(spec([{ ...ok, lo: [0, 1, 2], hi: [1, 2] }])), /series 'clean' has 3 x values but 2 hi values/);
  assert.throws(() => lineChart(spec([{ ...ok, lo: [0, 1, 2] }])), /'clean' has only one of lo\/hi/);
  assert.throws(() => lineChart(spec([])), /at least one series/);
  assert.throws(() => lineChart(spec([ok], { yRange: [1, 0] })), RangeError);
  assert.throws(() => lineChart(spec([ok], { width: 40, height: 40 })), /plot area/);
});

// ---- gridOfCharts ----------------------------------------------------------------------------------

test('gridOfCharts lays panels out row-major in one document', () => {
  const chart = (title: string) => lineChart(spec([{ label: 's', x: [0, 1], y: [0, 1] }], { title, width: 300, height: 200 }));
  const svg = gridOfCharts([chart('A'), chart('B'), chart('C')], 2);
  assertWellFormed(svg);
  const root = elements(svg, 'svg')[0];
  assert.deepEqual([root.width, root.height, root.viewBox], ['600', '400', '0 0 600 400']);
  const panels = elements(svg, 'svg').filter((s) => s.width === '300');
  assert.deepEqual(panels.map((p) => [p.x, p.y]), [['0', '0'], ['300', '0'], ['0', '200']]);
  assert.ok(svg.indexOf('>A</text>') < svg.indexOf('>B</text>') && svg.indexOf('>B</text>') < svg.indexOf('>C</text>'));
  // One column: stacked.
  const col = gridOfCharts([chart('A'), chart('B')], 1);
  assert.deepEqual(elements(col, 'svg').slice(1).filter((s) => s.width === '300').map((p) => p.y), ['0', '200']);
  assert.equal(elements(col, 'svg')[0].height, '400');
});

test('gridOfCharts rejects bad input', () => {
  assert.throws(() => gridOfCharts([], 2), /at least one chart/);
  assert.throws(() => gridOfCharts(['<svg width="1" height="1"></svg>'], 0), RangeError);
  assert.throws(() => gridOfCharts(['<g></g>'], 1), /chart 0 is not an <svg>/);
});

// ---- committed reports: the same data renders the same files -------------------------------------------

/** A validation record under the one naming scheme: each metric's former key renamed to its key. */
function currentKeys(v: EpochPoint['validation']): EpochPoint['validation'] {
  const renamed: Record<string, number> = { ...v };
  for (const m of DISCRIMINATOR_METRICS) {
    if (m.formerly === undefined || !(m.formerly in renamed)) continue;
    renamed[m.key] = renamed[m.formerly];
    delete renamed[m.formerly];
  }
  return renamed as EpochPoint['validation'];
}

test('committed reproduction reports render identically from their report.json, under former and current metric keys', () => {
  for (const dir of ['docs/reproduction', 'docs/reproduction-train-eps-0.25', 'docs/baselines']) {
    const committed = (f: string) => readFileSync(`${dir}/${f}`, 'utf8');
    const json = JSON.parse(committed('report.json')) as Reproduction['json'];
    assert.ok(json.runs.some((r) => r.history.some((p) => 'dClean' in p.validation)), `${dir} holds the former validation keys`);
    const input = { settings: json.settings, regimes: json.rows.map((r) => ({ name: r.method, label: r.label, alpha: r.alpha, beta: r.beta })), runs: json.runs, wallSeconds: json.wallSeconds };
    const runsNow = json.runs.map((r) => ({ ...r, history: r.history.map((p) => ({ ...p, validation: currentKeys(p.validation) })) }));
    for (const [keys, runs] of [['former', json.runs], ['current', runsNow]] as const) {
      const report = reproductionReport({ ...input, runs });
      assert.equal(report.markdown, committed('report.md'), `${dir}/report.md from the ${keys} keys`);
      assert.deepEqual(Object.keys(report.figures).sort(), readdirSync(dir).filter((f) => f.endsWith('.svg')).sort(), `${dir}: the figures`);
      for (const [f, svg] of Object.entries(report.figures)) assert.ok(svg === committed(f), `${dir}/${f} from the ${keys} keys`);
      if (keys === 'former') assert.equal(JSON.stringify(report.json, null, 2) + '\n', committed('report.json'), `${dir}/report.json`);
    }
  }
});

test("the CLI's epoch line shows the discriminator's accuracies from either key scheme", () => {
  const base = { epoch: 3, train: { 'acc.clean': 0.9, 'acc.adv': 0.8, 'dacc.clean': 0.7, 'dacc.adv': 0.6 }, seconds: 1, samplesPerSecond: 1234 };
  const line = epochLine({ ...base, validation: { clean: 0.95, fgsm: 0.85, 'dacc.clean': 0.55, 'dacc.adv': 0.45 } });
  assert.equal(line, 'epoch 3: train clean 90.00% adv 80.00% | val clean 95.00% fgsm 85.00% | D clean 70.00% adv 60.00% (val 55.00% / 45.00%) | 1234 samples/s');
  assert.equal(epochLine({ ...base, validation: { clean: 0.95, fgsm: 0.85, dClean: 0.55, dAdv: 0.45 } }), line);
});
