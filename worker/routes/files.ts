import { Hono } from 'hono';
import { assertPlainFileName } from '../../shared/ports/blob-store.port.ts';
import { tableForFile } from '../../shared/domain/tables.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import type { AppDeps } from '../app.ts';
import { HireDbError } from '../../shared/domain/errors.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';
import { findBodyTooLarge, limitedBody } from '../body.ts';
import { taskView } from '../../shared/domain/task-view.ts';

/** `PUT /api/v1/files/:name`: streams a CSV body into the Blob container and queues its load. */
export function fileRoutes(deps: AppDeps) {
  const app = new Hono();
  app.put('/files/:name', async (c) => {
    const name = c.req.param('name'); // already decoded by the router
    assertPlainFileName(name);
    if (!tableForFile(name)) {
      throw new HireDbError('INVALID_NAME', `${quoteInput(name)} matches no table: names start with departments, jobs or hired_employees and end in .csv`);
    }
    const body = limitedBody(c.req.raw, deps.http.maxUploadBytes, { what: 'an uploaded file', setting: 'HIREDB_MAX_UPLOAD_BYTES' });
    if (!body) throw new HireDbError('EMPTY_BODY', 'send the CSV file as the request body');
    const entry = await deps.blob.write(name, body).catch((e: unknown) => {
      throw findBodyTooLarge(e) ?? e; // the store removed the partial file
    });
    const { task, created } = await enqueueFile(deps.db, entry);
    deps.onTaskQueued?.();
    return c.json({ file: entry, created, task: taskView(task) }, 202);
  });
  return app;
}
