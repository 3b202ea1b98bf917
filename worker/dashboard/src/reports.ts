// The Reports view: a year picker, hired-by-quarter (chart, sortable and filterable table) and
// hiring-above-average (bars with the mean as a line), each with its CSV download.
import { api, keyedDownload } from './api.ts';
import { byId, h, notice } from './dom.ts';
import { count } from './format.ts';
import { drawAboveAverage, drawHiredByQuarter } from './charts.ts';
import type { HiredByQuarterRow, HiringAboveAverageRow } from './types.ts';

type Column = keyof HiredByQuarterRow;
const COLUMNS: Column[] = ['department', 'job', 'Q1', 'Q2', 'Q3', 'Q4'];

let rows: HiredByQuarterRow[] = [];
let sort: { column: Column; descending: boolean } | null = null;

export function setUpReports() {
  byId('year-form').addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/reports/${byId<HTMLInputElement>('year').value}`;
  });
  byId<HTMLSelectElement>('hbq-filter').addEventListener('change', renderTable);
}

export async function showReports(year: number) {
  byId<HTMLInputElement>('year').value = String(year);
  keyedDownload(byId<HTMLAnchorElement>('hbq-csv'), `/api/v1/reports/hired-by-quarter?year=${year}&format=csv`, `hired-by-quarter-${year}.csv`);
  keyedDownload(byId<HTMLAnchorElement>('haa-csv'), `/api/v1/reports/hiring-above-average?year=${year}&format=csv`, `hiring-above-average-${year}.csv`);
  let above: HiringAboveAverageRow[];
  try {
    [rows, above] = await Promise.all([
      api<HiredByQuarterRow[]>(`/api/v1/reports/hired-by-quarter?year=${year}`),
      api<HiringAboveAverageRow[]>(`/api/v1/reports/hiring-above-average?year=${year}`),
    ]);
  } catch (e) {
    notice(`Could not read the reports for ${year}: ${(e as Error).message}`, 'error');
    return;
  }
  const departments = [...new Set(rows.map((r) => r.department))];
  const filter = byId<HTMLSelectElement>('hbq-filter');
  const kept = departments.includes(filter.value) ? filter.value : '';
  filter.replaceChildren(h('option', { value: '' }, 'All departments'), ...departments.map((d) => h('option', { value: d }, d)));
  filter.value = kept;
  renderTable();
  drawHiredByQuarter(byId('hbq-chart'), rows);

  // The mean over the departments that hired this year, from hired-by-quarter's totals.
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.department, (totals.get(r.department) ?? 0) + r.Q1 + r.Q2 + r.Q3 + r.Q4);
  const mean = totals.size > 0 ? Math.round(([...totals.values()].reduce((a, b) => a + b, 0) / totals.size) * 10) / 10 : null;
  byId('haa-caption').textContent =
    above.length === 0
      ? `No department hired above the mean in ${year}.`
      : `Hires per department in ${year}; the dashed line is the mean, ${mean === null ? '–' : count(mean)} hires, over the ${totals.size} departments that hired.`;
  drawAboveAverage(byId('haa-chart'), above, mean);
  byId<HTMLTableElement>('haa').tBodies[0].replaceChildren(
    ...above.map((r) => h('tr', {}, h('td', {}, String(r.id)), h('td', {}, r.department), h('td', { class: 'num' }, String(r.hired)))),
  );
}

function renderTable() {
  const table = byId<HTMLTableElement>('hbq');
  const head = table.tHead!.rows[0];
  head.replaceChildren(
    ...COLUMNS.map((column) => {
      const state = sort?.column === column ? (sort.descending ? 'descending' : 'ascending') : 'none';
      const button = h('button', { type: 'button', class: 'sort' }, column);
      button.addEventListener('click', () => {
        sort = { column, descending: sort?.column === column ? !sort.descending : typeof rows[0]?.[column] === 'number' };
        renderTable();
        table.tHead!.querySelectorAll('button')[COLUMNS.indexOf(column)]?.focus();
      });
      return h('th', { scope: 'col', 'aria-sort': state }, button);
    }),
  );
  const department = byId<HTMLSelectElement>('hbq-filter').value;
  const shown = rows.filter((r) => !department || r.department === department);
  if (sort) {
    const { column, descending } = sort;
    shown.sort((a, b) => {
      const x = a[column];
      const y = b[column];
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return descending ? -order : order;
    });
  }
  table.tBodies[0].replaceChildren(
    ...shown.map((r) => h('tr', {}, h('td', {}, r.department), h('td', {}, r.job), ...(['Q1', 'Q2', 'Q3', 'Q4'] as const).map((q) => h('td', { class: 'num' }, String(r[q]))))),
  );
}
