// The page's plots, all Chart.js: probabilities per model, robust accuracy against ε, and training's Figure 2.
import { BarController, BarElement, CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LineController, LineElement, LinearScale, PointElement, Legend, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

/** One color per model or series, readable on white and distinct for common color blindness (Okabe–Ito). */
export const COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9'];

/** Bars: for each model, its probability of each class. */
export function probabilityChart(canvas: HTMLCanvasElement, classes: number): Chart<'bar'> {
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: Array.from({ length: classes }, (_, i) => String(i)), datasets: [] },
    options: {
      scales: { y: { min: 0, max: 1, title: { display: true, text: 'probability' } }, x: { title: { display: true, text: 'class' } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}

export function setProbabilities(chart: Chart<'bar'>, rows: { label: string; probs: number[] }[]): void {
  chart.data.datasets = rows.map((r, i) => ({ label: r.label, data: r.probs, backgroundColor: COLORS[i % COLORS.length] }));
  chart.update();
}

/** Lines over x values: robust accuracy against ε, or metrics against epochs. */
export function lineChart(canvas: HTMLCanvasElement, x: { title: string; min?: number; step?: number }, y: { title: string; percent?: boolean }): Chart<'line'> {
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      parsing: false,
      scales: {
        x: { type: 'linear', min: x.min, ticks: { stepSize: x.step }, title: { display: true, text: x.title } },
        y: { min: 0, max: y.percent ? 100 : undefined, title: { display: true, text: y.title } },
      },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}

export interface Series {
  label: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
  color?: number;
}

export function setSeries(chart: Chart<'line'>, series: Series[]): void {
  chart.data.datasets = series.map((s, i) => {
    const color = COLORS[(s.color ?? i) % COLORS.length];
    return { label: s.label, data: s.points, borderColor: color, backgroundColor: color, borderDash: s.dashed ? [6, 4] : [], pointRadius: 3 };
  });
  chart.update();
}
