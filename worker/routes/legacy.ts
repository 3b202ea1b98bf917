import { Hono } from 'hono';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import { MAX_BATCH_ROWS } from '../../shared/service/ingest-batch.ts';
import type { AppDeps } from '../app.ts';
import { intParam } from '../http-error.ts';
import { HireDbError } from '../../shared/domain/errors.ts';
import { taskView } from '../../shared/domain/task-view.ts';
import { answerReport } from './reports.ts';

const STANDARD_FILES = ['departments.csv', 'jobs.csv', 'hired_employees.csv'];

/** The original API, kept so existing Postman collections go on working. */
export function legacyRoutes(deps: AppDeps) {
  const app = new Hono();

  const queue = async (name: string, slice?: { start: number; limit: number }) => {
    const entry = await deps.blob.stat(name);
    if (!entry) throw new HireDbError('NOT_FOUND', `"${name}" is not in the Blob container (${deps.blob.describe()})`);
    const { task } = await enqueueFile(deps.db, entry, slice);
    deps.onTaskQueued?.();
    return task;
  };

  app.post('/upload-files', async (c) => {
    const present = (await Promise.all(STANDARD_FILES.map((n) => deps.blob.stat(n)))).filter((e) => e !== null);
    if (present.length === 0) {
      throw new HireDbError('NOT_FOUND', `none of ${STANDARD_FILES.join(', ')} is in the Blob container (${deps.blob.describe()})`);
    }
    const tasks = [];
    for (const entry of present) tasks.push(await queue(entry.name));
    return c.json({ task_ids: tasks.map((t) => t.id), tasks: tasks.map(taskView) }, 202);
  });

  for (const table of ['departments', 'jobs'] as const) {
    app.post(`/${table}`, async (c) => {
      const task = await queue(`${table}.csv`);
      return c.json({ task_ids: [task.id], tasks: [taskView(task)] }, 202);
    });
  }

  app.post('/upload-hired-employees', async (c) => {
    const start = intParam('start', c.req.query('start'), { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 });
    const limit = intParam('limit', c.req.query('limit'), { min: 1, max: MAX_BATCH_ROWS, fallback: MAX_BATCH_ROWS });
    const task = await queue('hired_employees.csv', { start, limit });
    return c.json({ task_ids: [task.id], tasks: [taskView(task)] }, 202);
  });

  app.get('/task-list', async (c) => {
    const { tasks, total } = await deps.db.tasks.list({ limit: 1000, offset: 0 });
    return c.json({ total, tasks: tasks.map(taskView) });
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
