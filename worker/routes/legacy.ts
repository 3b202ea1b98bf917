import { Hono } from 'hono';
import type { Task } from '../../shared/domain/task.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import { MAX_BATCH_ROWS } from '../../shared/service/ingest-batch.ts';
import { waitForTask } from '../../shared/service/wait-for-task.ts';
import type { AppDeps } from '../deps.ts';
import { intParam } from '../http-error.ts';
import { HireDbError } from '../../shared/domain/errors.ts';
import { noteWrite } from '../auth/context.ts';
import { taskView } from '../../shared/domain/task-view.ts';
import { answerReport } from './reports.ts';

/** Rejects listed in a legacy summary; the rest are at `rejects_url`. */
const ERRORS_SHOWN = 100;

/**
 * The original API, answering in the original service's statuses and shapes so existing clients and
 * Postman collections work unchanged: file loads are synchronous (200 with the summary once loaded), the
 * slice upload is accepted as a background task, the task list is Celery-style. A load still running after
 * `legacyWaitMs` answers 202 with its task instead.
 */
export function legacyRoutes(deps: AppDeps) {
  const app = new Hono();
  const waitMs = deps.legacyWaitMs ?? 60_000;

  const queue = async (name: string, slice?: { start: number; limit: number }) => {
    const entry = await deps.blob.stat(name);
    if (!entry) throw new HireDbError('NOT_FOUND', `"${name}" is not in the Blob container`);
    const { task } = await enqueueFile(deps.db, entry, slice);
    deps.onTaskQueued?.();
    return task;
  };

  /** The original's summary of one load, with what HireDB knows besides: rejects, their reasons, the task. */
  const summary = async (task: Task) => {
    if (task.status === 'failed') throw new HireDbError('LOAD_FAILED', `task ${task.id} (${task.file_name}) failed: ${task.error}`);
    const { rejects } = await deps.db.tasks.rejects(task.id, { limit: ERRORS_SHOWN, offset: 0 });
    return {
      ...task.summary,
      errors: rejects.map((r) => ({ line: r.line, id: r.id, reasons: r.reasons })),
      task_id: task.id,
      rejects_url: `/api/v1/tasks/${task.id}/rejects`,
    };
  };

  const accepted = (tasks: Task[]) => ({
    status: 'accepted',
    message: `still loading after ${waitMs} ms; follow the tasks at /api/v1/tasks/:id`,
    task_ids: tasks.map((t) => t.id),
    tasks: tasks.map(taskView),
  });

  for (const table of ['departments', 'jobs'] as const) {
    app.post(`/${table}`, async (c) => {
      const task = await queue(`${table}.csv`);
      noteWrite(c, { task_ids: [task.id] });
      const done = await waitForTask(deps.db, task.id, waitMs);
      return done ? c.json(await summary(done), 200) : c.json(accepted([task]), 202);
    });
  }

  // Departments, jobs, then hired_employees page by page (`limit` rows each, from row `start`) until a page
  // comes back short, as the original did. When time runs out, whatever is left is queued to load in the
  // background (the rest of hired_employees as one task) and the answer is 202 with the tasks.
  app.post('/upload-files', async (c) => {
    const { start, limit } = sliceParams(c.req.query('start'), c.req.query('limit'));
    const deadline = Date.now() + waitMs;
    const left = () => Math.max(0, deadline - Date.now());
    const queued: Task[] = [];
    const inBackground = async (dimensionsLeft: string[]) => {
      for (const name of dimensionsLeft) queued.push(await queue(name));
      queued.push(await queue('hired_employees.csv'));
      noteWrite(c, { task_ids: queued.map((t) => t.id) });
      return c.json(accepted(queued), 202);
    };
    const loaded: Record<string, unknown> = {};
    const dimensions = ['departments', 'jobs'] as const;
    for (const [i, table] of dimensions.entries()) {
      const task = await queue(`${table}.csv`);
      queued.push(task);
      const done = await waitForTask(deps.db, task.id, left());
      if (!done) return inBackground(dimensions.slice(i + 1).map((t) => `${t}.csv`));
      loaded[table] = await summary(done);
    }
    const pages = [];
    for (let first = start; ; first += limit) {
      const task = await queue('hired_employees.csv', { start: first, limit });
      queued.push(task);
      const done = await waitForTask(deps.db, task.id, left());
      if (!done) return inBackground([]);
      const page = await summary(done);
      pages.push(page);
      if (page.processed < limit) break;
    }
    noteWrite(c, { task_ids: queued.map((t) => t.id) });
    return c.json({ ...loaded, hired_employees: pages }, 200);
  });

  app.post('/upload-hired-employees', async (c) => {
    const { start, limit } = sliceParams(c.req.query('start'), c.req.query('limit'));
    const task = await queue('hired_employees.csv', { start, limit });
    noteWrite(c, { task_ids: [task.id] });
    return c.json({ task_id: String(task.id), status: 'accepted', task: taskView(task) }, 202);
  });

  app.get('/task-list', async (c) => {
    const { tasks } = await deps.db.tasks.list({ limit: 1000, offset: 0 });
    const finished = tasks.filter((t) => t.status === 'done' || t.status === 'failed');
    return c.json(
      finished.map((t) => ({
        id: String(t.id),
        status: t.status === 'done' ? 'SUCCESS' : 'FAILURE',
        result: t.status === 'done' ? t.summary : t.error,
        file: t.file_name,
        table: t.table_name,
      })),
    );
  });

  app.get('/task-status/:id', async (c) => {
    const id = intParam('task id', c.req.param('id'), { min: 1, max: Number.MAX_SAFE_INTEGER });
    const task = await deps.db.tasks.get(id);
    if (!task) throw new HireDbError('NOT_FOUND', `no task ${id}`);
    return c.json(taskView(task));
  });

  app.get('/report/:name', (c) => answerReport(c, deps, c.req.param('name')));
  return app;
}

function sliceParams(start: string | undefined, limit: string | undefined) {
  return {
    start: intParam('start', start, { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 }),
    limit: intParam('limit', limit, { min: 1, max: MAX_BATCH_ROWS, fallback: MAX_BATCH_ROWS }),
  };
}
