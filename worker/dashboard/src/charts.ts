// The report charts, drawn with uPlot. Each chart's data is also on its figure as `data-chart` (JSON).
import uPlot from 'uplot';
import type { HiredByQuarterRow, HiringAboveAverageRow } from './types.ts';

const PALETTE = ['#1f5fa8', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#4d7c0f', '#4338ca', '#57534e', '#0f766e'];
const QUARTERS = ['Q1', 'Q2', 'Q3', 'Q4'] as const;

/** Hires per quarter per department, summed over jobs, departments in the report's order. */
export function hiresPerQuarter(rows: HiredByQuarterRow[]): { department: string; values: number[] }[] {
  const byDepartment = new Map<string, number[]>();
  for (const r of rows) {
    const values = byDepartment.get(r.department) ?? [0, 0, 0, 0];
    QUARTERS.forEach((q, i) => {
      values[i] += r[q];
    });
    byDepartment.set(r.department, values);
  }
  return [...byDepartment].map(([department, values]) => ({ department, values }));
}

const charts = new Map<string, uPlot>();

function place(figure: HTMLElement, opts: uPlot.Options, data: uPlot.AlignedData) {
  charts.get(figure.id)?.destroy();
  figure.querySelector('.uplot')?.remove();
  const chart = new uPlot(opts, data, (u, init) => {
    figure.insertBefore(u.root, figure.querySelector('figcaption'));
    init();
  });
  charts.set(figure.id, chart);
}

const width = (figure: HTMLElement) => Math.max(280, Math.min(figure.clientWidth || 600, 960));

export function drawHiredByQuarter(figure: HTMLElement, rows: HiredByQuarterRow[]) {
  const series = hiresPerQuarter(rows);
  figure.dataset.chart = JSON.stringify({ x: QUARTERS, series: series.map((s) => ({ label: s.department, values: s.values })) });
  // Stacked: department k's bar reaches the sum of departments k..n, drawn first so later ones overlay it.
  const stacked = series.map((_, k) => QUARTERS.map((__, q) => series.slice(k).reduce((sum, s) => sum + s.values[q], 0)));
  const bars = uPlot.paths.bars!({ size: [0.6, 120] });
  place(
    figure,
    {
      width: width(figure),
      height: 320,
      scales: { x: { time: false, range: [0.4, 4.6] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] } },
      axes: [{ values: (_u, splits) => splits.map((v) => (Number.isInteger(v) && v >= 1 && v <= 4 ? QUARTERS[v - 1] : '')), splits: () => [1, 2, 3, 4] }, { label: 'hires' }],
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      series: [
        { label: 'Quarter', value: (_u, v) => (v === null ? '' : QUARTERS[v - 1] ?? '') },
        ...series.map((s, k) => ({
          label: s.department,
          fill: PALETTE[k % PALETTE.length],
          stroke: PALETTE[k % PALETTE.length],
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx === null ? '' : String(s.values[idx])),
        })),
      ],
    },
    [[1, 2, 3, 4], ...stacked],
  );
}

export function drawAboveAverage(figure: HTMLElement, rows: HiringAboveAverageRow[], mean: number | null) {
  figure.dataset.chart = JSON.stringify({ labels: rows.map((r) => r.department), hired: rows.map((r) => r.hired), mean });
  const xs = rows.map((_, i) => i);
  const series: uPlot.Series[] = [
    { label: 'Department', value: (_u, v) => (v === null ? '' : rows[v]?.department ?? '') },
    { label: 'hired', fill: PALETTE[0], stroke: PALETTE[0], paths: uPlot.paths.bars!({ size: [0.6, 100] }), points: { show: false } },
  ];
  const data: (number | null)[][] = [xs, rows.map((r) => r.hired)];
  if (mean !== null) {
    series.push({ label: 'mean', stroke: '#b91c1c', width: 2, dash: [6, 4], points: { show: false } });
    data.push(rows.map(() => mean));
  }
  place(
    figure,
    {
      width: width(figure),
      height: 360,
      scales: {
        x: { time: false, range: [-0.6, Math.max(0, rows.length - 1) + 0.6] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [{ splits: () => xs, values: (_u, splits) => splits.map((v) => rows[v]?.department ?? ''), rotate: -40, size: 120 }, { label: 'hires' }],
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      series,
    },
    data as uPlot.AlignedData,
  );
}

export function resizeCharts() {
  for (const [id, chart] of charts) {
    const figure = document.getElementById(id);
    if (figure) chart.setSize({ width: width(figure), height: chart.height });
  }
}
