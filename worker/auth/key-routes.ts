import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HireDbError } from '../../shared/domain/errors.ts';
import type { ApiKeyRepository } from '../../shared/ports/api-key.port.ts';
import { apiKeyView, createApiKey, revokeApiKey } from '../../shared/service/api-keys.ts';
import { httpError } from '../http-error.ts';
import { noteWrite } from './context.ts';

const MAX_BODY_BYTES = 4096;
const STATUS: Partial<Record<HireDbError['code'], ContentfulStatusCode>> = { BAD_PARAMETER: 400, CONFLICT: 409, NOT_FOUND: 404 };

async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const status = e instanceof HireDbError ? STATUS[e.code] : undefined;
    if (status) throw httpError(status, e instanceof HireDbError ? e.code : 'INTERNAL', (e as Error).message);
    throw e;
  }
}

/** A small JSON body, read as it streams: refused past `max` bytes without reading the rest. */
async function smallJson(req: Request, max: number): Promise<unknown> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw httpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send application/json, not "${type || 'nothing'}"`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel();
        throw httpError(413, 'BODY_TOO_LARGE', `this body is at most ${max} bytes`);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw httpError(400, 'BAD_JSON', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** `GET /api/v1/keys`, `POST /api/v1/keys` ({name, role}: the key, shown this once), `DELETE /api/v1/keys/:name`. */
export function keyRoutes(keys: ApiKeyRepository) {
  const app = new Hono();

  app.get('/keys', async (c) => c.json({ keys: (await keys.list()).map(apiKeyView) }));

  app.post('/keys', async (c) => {
    const body = await smallJson(c.req.raw, MAX_BODY_BYTES);
    const { name, role } = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : ({} as Record<string, unknown>);
    const { key, record } = await answering(() => createApiKey(keys, { name, role }, Date.now()));
    noteWrite(c, { key_name: record.name, role: record.role });
    c.header('cache-control', 'no-store');
    return c.json({ ...apiKeyView(record), key }, 201);
  });

  app.delete('/keys/:name', async (c) => {
    const name = c.req.param('name');
    const record = await answering(() => revokeApiKey(keys, name, Date.now()));
    noteWrite(c, { key_name: record.name });
    return c.json(apiKeyView(record));
  });
  return app;
}
