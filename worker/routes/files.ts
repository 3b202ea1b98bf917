import { Hono } from 'hono';
import { assertPlainFileName } from '../../shared/ports/blob-store.port.ts';
import { tableForFile } from '../../shared/domain/tables.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import type { AppDeps } from '../deps.ts';
import { noteWrite } from '../auth/context.ts';
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
    const limited = limitedBody(c.req.raw, deps.http.maxUploadBytes, { what: 'an uploaded file', setting: 'HIREDB_MAX_UPLOAD_BYTES' });
    const body = await nonEmpty(limited);
    if (!body) throw new HireDbError('EMPTY_BODY', 'send the CSV file as the request body; it was empty, nothing was stored');
    let entry;
    try {
      // The body ends in an error when the request is aborted, so the store drops what it was writing.
      entry = await deps.blob.write(name, body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>(), { signal: c.req.raw.signal }));
    } catch (e) {
      const tooLarge = findBodyTooLarge(e);
      if (tooLarge) throw tooLarge; // the store removed the partial file
      // A connection cut mid-body (a client gone, a server stopping): the store kept nothing, so no task.
      if (c.req.raw.signal.aborted || isCutOff(e)) {
        throw new HireDbError('UPLOAD_ABORTED', `the upload of ${quoteInput(name)} was cut off before its end; nothing was stored`);
      }
      throw e;
    }
    const { task, created } = await enqueueFile(deps.db, entry);
    noteWrite(c, { task_ids: [task.id] });
    deps.onTaskQueued?.();
    return c.json({ file: entry, created, task: taskView(task) }, 202);
  });
  return app;
}

/** The body, or null when it has no bytes at all (read up to its first chunk, which is then put back). */
async function nonEmpty(body: ReadableStream<Uint8Array> | null): Promise<ReadableStream<Uint8Array> | null> {
  if (!body) return null;
  const reader = body.getReader();
  let first = await reader.read();
  while (!first.done && first.value.byteLength === 0) first = await reader.read();
  if (first.done) return null;
  let head: Uint8Array | null = first.value;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (head) {
        controller.enqueue(head);
        head = null;
        return;
      }
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function isCutOff(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e instanceof Error && /aborted/i.test(e.message));
}
