import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../../shared/platform/logger.ts';
import { keyNameOf } from './context.ts';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Control characters shown as \uXXXX, so a path cannot break or forge a log line. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * One log line per write request (batch, upload, load trigger, retry, key operation), refused ones
 * included: who (the key's name or "anonymous"), what (method, route, path), the outcome (status),
 * the request id and what the route noted (its task ids, the key it made or revoked).
 */
export function writeLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    c.set('writeFacts', {});
    await next();
    if (READS.has(c.req.method)) return;
    const route = matchedRoutes(c).find((r) => r.method !== 'ALL');
    if (!route) return; // no such route: nothing was written
    log.info('write', {
      key: keyNameOf(c),
      method: c.req.method,
      route: route.path,
      path: printable(c.req.path),
      status: c.res.status,
      request_id: (c.var as { requestId?: unknown }).requestId ?? null,
      ...c.get('writeFacts'),
    });
  };
}
