// The Rejects view of one task: counts per reason, a filter by reason and a paged table.
import { api, keyedDownload } from './api.ts';
import { byId, h, notice } from './dom.ts';
import { count, reasonLabel } from './format.ts';
import type { RejectView, TaskView } from './types.ts';

const PAGE_ROWS = 50;
const FETCH_ROWS = 1000;
/** Rejects read into the page at most; counts say so when a task has more. */
const MAX_REJECTS = 100_000;

let all: RejectView[] = [];
let total = 0;
let page = 0;

export function setUpRejects() {
  byId<HTMLSelectElement>('reason-filter').addEventListener('change', () => {
    page = 0;
    renderTable();
  });
  byId('rejects-prev').addEventListener('click', () => {
    page = Math.max(0, page - 1);
    renderTable();
  });
  byId('rejects-next').addEventListener('click', () => {
    page += 1;
    renderTable();
  });
}

export async function showRejects(taskId: number) {
  byId('rejects-title').textContent = `Rejects of task ${taskId}`;
  byId('rejects-summary').textContent = 'Reading…';
  keyedDownload(byId<HTMLAnchorElement>('rejects-csv'), `/api/v1/tasks/${taskId}/rejects?format=csv`, `task-${taskId}-rejects.csv`);
  all = [];
  page = 0;
  try {
    const task = await api<TaskView>(`/api/v1/tasks/${taskId}`);
    byId('rejects-title').textContent = `Rejects of task ${taskId}: ${task.file}`;
    for (let offset = 0; offset < MAX_REJECTS; offset += FETCH_ROWS) {
      const res = await api<{ total: number; rejects: RejectView[] }>(`/api/v1/tasks/${taskId}/rejects?limit=${FETCH_ROWS}&offset=${offset}`);
      total = res.total;
      all.push(...res.rejects);
      if (res.rejects.length < FETCH_ROWS || all.length >= total) break;
    }
  } catch (e) {
    byId('rejects-summary').textContent = '';
    notice(`Could not read the rejects of task ${taskId}: ${(e as Error).message}`, 'error');
    return;
  }
  const partial = all.length < total ? ` (counts below are over the first ${count(all.length)})` : '';
  byId('rejects-summary').textContent = `${count(total)} rejected records${partial}.`;
  byId('rejects-summary').dataset.total = String(total);
  renderReasons();
  renderTable();
}

/** Records per reason, most frequent first (a record with two reasons counts for both). */
export function reasonCounts(rejects: RejectView[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of rejects) for (const reason of r.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

function renderReasons() {
  const counts = reasonCounts(all);
  const max = Math.max(1, ...counts.map(([, n]) => n));
  const chart = byId('reason-chart');
  chart.dataset.counts = JSON.stringify(Object.fromEntries(counts));
  chart.replaceChildren(
    ...counts.map(([reason, n]) => {
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${(n / max) * 100}%`;
      return h(
        'li',
        { 'data-reason': reason, 'data-count': n },
        h('span', { class: 'label' }, reasonLabel(reason)),
        h('span', { class: 'track', 'aria-hidden': 'true' }, bar),
        h('span', { class: 'value' }, count(n)),
      );
    }),
  );
  const select = byId<HTMLSelectElement>('reason-filter');
  select.replaceChildren(h('option', { value: '' }, 'All reasons'), ...counts.map(([reason, n]) => h('option', { value: reason }, `${reasonLabel(reason)} (${n})`)));
}

function renderTable() {
  const reason = byId<HTMLSelectElement>('reason-filter').value;
  const rows = reason ? all.filter((r) => r.reasons.includes(reason)) : all;
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  page = Math.min(page, pages - 1);
  const shown = rows.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS);
  byId<HTMLTableElement>('rejects').tBodies[0].replaceChildren(
    ...shown.map((r) =>
      h(
        'tr',
        { 'data-line': r.line },
        h('td', {}, String(r.line)),
        h('td', {}, r.id ?? ''),
        h('td', {}, h('ul', { class: 'reasons' }, ...r.reasons.map((code) => h('li', { title: code }, reasonLabel(code))))),
        h('td', {}, h('code', { class: 'raw' }, r.raw)),
      ),
    ),
  );
  byId('rejects-page').textContent = `Page ${page + 1} of ${pages} · ${count(rows.length)} records`;
  byId<HTMLButtonElement>('rejects-prev').disabled = page === 0;
  byId<HTMLButtonElement>('rejects-next').disabled = page >= pages - 1;
}
