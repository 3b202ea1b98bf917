// The Loads view: the task list, newest first, refreshed by polling while it is on screen.
import { api, writeRefusal } from './api.ts';
import { byId, h, notice } from './dom.ts';
import { count, duration, seconds } from './format.ts';
import type { TaskView } from './types.ts';

const POLL_MS = 1500;
const rendered = new Map<number, { json: string; row: HTMLTableRowElement }>();
let timer: ReturnType<typeof setTimeout> | null = null;
let active = false;

export function showLoads() {
  active = true;
  void refreshTasks();
}

export function hideLoads() {
  active = false;
  if (timer) clearTimeout(timer);
  timer = null;
}

export async function refreshTasks() {
  if (timer) clearTimeout(timer);
  timer = null;
  try {
    const { tasks } = await api<{ tasks: TaskView[] }>('/api/v1/tasks?limit=100');
    renderTasks(tasks);
    byId('tasks-updated').textContent = `(updated ${new Date().toLocaleTimeString('en-GB')})`;
  } catch (e) {
    notice(`Could not read the tasks: ${(e as Error).message}`, 'error');
  }
  if (active) timer = setTimeout(refreshTasks, POLL_MS);
}

function renderTasks(tasks: TaskView[]) {
  const body = byId<HTMLTableElement>('tasks').tBodies[0];
  byId('tasks-empty').hidden = tasks.length > 0;
  const seen = new Set<number>();
  let previous: HTMLTableRowElement | null = null;
  for (const task of tasks) {
    seen.add(task.id);
    const json = JSON.stringify(task);
    let entry = rendered.get(task.id);
    if (!entry || entry.json !== json) {
      const row = taskRow(task);
      if (entry) entry.row.replaceWith(row);
      entry = { json, row };
      rendered.set(task.id, entry);
    }
    // Keep the order newest first, moving only rows that are out of place.
    const want: ChildNode | null = previous ? previous.nextSibling : body.firstChild;
    if (want !== entry.row) body.insertBefore(entry.row, want);
    previous = entry.row;
  }
  for (const [id, entry] of rendered) {
    if (!seen.has(id)) {
      entry.row.remove();
      rendered.delete(id);
    }
  }
}

function taskRow(t: TaskView): HTMLTableRowElement {
  const s = t.summary;
  const progress =
    t.status === 'running' || t.status === 'queued'
      ? h(
          'div',
          { class: 'progress' },
          h('progress', { max: 100, value: t.progress.percent, 'aria-label': `task ${t.id} progress` }),
          h('span', {}, `${t.progress.percent}%`),
          t.rate_rows_per_s !== null ? h('span', { class: 'hint' }, `${count(t.rate_rows_per_s)} rows/s`) : null,
          t.eta_s !== null ? h('span', { class: 'hint' }, `${seconds(t.eta_s)} left`) : null,
        )
      : t.status === 'done'
        ? '100%'
        : `stopped at line ${count(t.progress.line)}`;
  const counts =
    t.status === 'done' || s.processed > 0
      ? h(
          'dl',
          { class: 'counts' },
          h('dt', {}, 'processed'),
          h('dd', { 'data-field': 'processed' }, count(s.processed)),
          h('dt', {}, 'inserted'),
          h('dd', { 'data-field': 'inserted' }, count(s.inserted)),
          h('dt', {}, 'already there'),
          h('dd', { 'data-field': 'already_exists' }, count(s.already_exists)),
          h('dt', {}, 'rejected'),
          h('dd', { 'data-field': 'rejected' }, s.rejected > 0 ? h('a', { href: `#/rejects/${t.id}` }, count(s.rejected)) : '0'),
        )
      : '';
  let action: Node | string = '';
  if (t.status === 'failed') {
    const button = h('button', { type: 'button', class: 'retry' }, 'Retry');
    button.addEventListener('click', () => retry(t.id, button));
    action = button;
  }
  return h(
    'tr',
    { 'data-task-id': t.id, 'data-status': t.status },
    h('th', { scope: 'row' }, String(t.id)),
    h('td', { class: 'file' }, t.file),
    h('td', {}, t.table),
    h('td', {}, h('span', { class: `status status-${t.status}` }, t.status), t.error ? h('p', { class: 'error-text' }, t.error) : null),
    h('td', {}, progress),
    h('td', {}, counts),
    h('td', {}, duration(t.timings.duration_ms)),
    h('td', {}, action),
  );
}

async function retry(id: number, button: HTMLButtonElement) {
  button.disabled = true;
  try {
    await api(`/api/v1/tasks/${id}/retry`, { method: 'POST' });
    notice(`Task ${id} is queued again; it resumes from its checkpoint.`);
  } catch (e) {
    notice(writeRefusal(e, `Retrying task ${id}`), 'error');
    button.disabled = false;
  }
  void refreshTasks();
}
