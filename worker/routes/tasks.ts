import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { intParam, rawParam } from '../http-error.ts';
import { HireDbError } from '../../shared/domain/errors.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';
import { noteWrite } from '../auth/context.ts';
import { taskView } from '../../shared/domain/task-view.ts';
import { rejectsCsv } from '../../shared/service/reject-pages.ts';

/** `GET /api/v1/tasks`, `/tasks/:id`, `/tasks/:id/rejects`, `POST /tasks/:id/retry`. */
export function taskRoutes(deps: AppDeps) {
  const app = new Hono();
  const taskOr404 = async (id: string) => {
    const task = await deps.db.tasks.get(intParam('task id', id, { min: 1, max: Number.MAX_SAFE_INTEGER }));
    if (!task) throw new HireDbError('NOT_FOUND', `no task ${id}`);
    return task;
  };

  app.get('/tasks', async (c) => {
    const limit = intParam('limit', c.req.query('limit'), { min: 1, max: 1000, fallback: 100 });
    const offset = intParam('offset', c.req.query('offset'), { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 });
    const { tasks, total } = await deps.db.tasks.list({ limit, offset });
    return c.json({ total, limit, offset, tasks: tasks.map(taskView) });
  });

  app.get('/tasks/:id', async (c) => c.json(taskView(await taskOr404(c.req.param('id')))));

  app.get('/tasks/:id/rejects', async (c) => {
    const task = await taskOr404(c.req.param('id'));
    const format = c.req.query('format') ?? ((c.req.header('accept') ?? '').includes('text/csv') ? 'csv' : 'json');
    if (format !== 'json' && format !== 'csv') throw new HireDbError('BAD_PARAMETER', `format must be json or csv, got ${quoteInput(format)}`);
    if (format === 'csv') {
      return c.body(rejectsCsv(deps.db, task.id, { raw: rawParam(c.req.query('raw')) }), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="task-${task.id}-rejects.csv"`,
      });
    }
    const limit = intParam('limit', c.req.query('limit'), { min: 1, max: 1000, fallback: 100 });
    const offset = intParam('offset', c.req.query('offset'), { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 });
    const { rejects, total } = await deps.db.tasks.rejects(task.id, { limit, offset });
    return c.json({ task_id: task.id, total, limit, offset, rejects });
  });

  app.post('/tasks/:id/retry', async (c) => {
    const task = await taskOr404(c.req.param('id'));
    const retried = await deps.db.tasks.retry(task.id, Date.now());
    if (!retried) throw new HireDbError('CONFLICT', `task ${task.id} is ${task.status}: only a failed task can be retried`);
    noteWrite(c, { task_ids: [retried.id] });
    deps.onTaskQueued?.();
    return c.json(taskView(retried), 202);
  });
  return app;
}
