import { Hono } from 'hono';
import { HireDbError } from '../../shared/domain/errors.ts';
import type { ApiKeyRepository } from '../../shared/ports/api-key.port.ts';
import { apiKeyView, createApiKey, revokeApiKey } from '../../shared/service/api-keys.ts';
import { readBodyBytes } from '../body.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';
import { noteWrite } from './context.ts';

const MAX_BODY_BYTES = 4096;

/** A small JSON body, refused past `max` bytes without reading the rest. */
async function smallJson(req: Request, max: number): Promise<unknown> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HireDbError('UNSUPPORTED_MEDIA_TYPE', `send application/json, not ${quoteInput(type || 'nothing')}`);
  const bytes = await readBodyBytes(req, max, { what: 'a key request' });
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new HireDbError('BAD_JSON', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** `GET /api/v1/keys`, `POST /api/v1/keys` ({name, role}: the key, shown this once), `DELETE /api/v1/keys/:name`. */
export function keyRoutes(keys: ApiKeyRepository) {
  const app = new Hono();

  app.get('/keys', async (c) => c.json({ keys: (await keys.list()).map(apiKeyView) }));

  app.post('/keys', async (c) => {
    const body = await smallJson(c.req.raw, MAX_BODY_BYTES);
    const { name, role } = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : ({} as Record<string, unknown>);
    const { key, record } = await createApiKey(keys, { name, role }, Date.now());
    noteWrite(c, { key_name: record.name, role: record.role });
    c.header('cache-control', 'no-store');
    return c.json({ ...apiKeyView(record), key }, 201);
  });

  app.delete('/keys/:name', async (c) => {
    const name = c.req.param('name');
    const record = await revokeApiKey(keys, name, Date.now());
    noteWrite(c, { key_name: record.name });
    return c.json(apiKeyView(record));
  });
  return app;
}
