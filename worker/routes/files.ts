import { Hono } from 'hono';
import { assertPlainFileName } from '../../shared/ports/blob-store.port.ts';
import { tableForFile } from '../../shared/domain/tables.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import type { AppDeps } from '../app.ts';
import { httpError } from '../http-error.ts';
import { noteWrite } from '../auth/context.ts';
import { taskView } from '../../shared/domain/task-view.ts';

/** `PUT /api/v1/files/:name`: streams a CSV body into the Blob container and queues its load. */
export function fileRoutes(deps: AppDeps) {
  const app = new Hono();
  app.put('/files/:name', async (c) => {
    const name = c.req.param('name'); // already decoded by the router
    try {
      assertPlainFileName(name);
    } catch (e) {
      throw httpError(400, 'BAD_FILE_NAME', (e as Error).message);
    }
    if (!tableForFile(name)) {
      throw httpError(400, 'BAD_FILE_NAME', `"${name}" matches no table: names start with departments, jobs or hired_employees and end in .csv`);
    }
    const body = c.req.raw.body;
    if (!body) throw httpError(400, 'EMPTY_BODY', 'send the CSV file as the request body');
    const entry = await deps.blob.write(name, body);
    const { task, created } = await enqueueFile(deps.db, entry);
    noteWrite(c, { task_ids: [task.id] });
    deps.onTaskQueued?.();
    return c.json({ file: entry, created, task: taskView(task) }, 202);
  });
  return app;
}
