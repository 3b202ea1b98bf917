import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { HireDbError } from '../../shared/domain/errors.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses cross-site writes whatever the credential: a POST/PUT/PATCH/DELETE whose `Origin` is neither
 * this server's own origin nor one of `allowedOrigins`, or that the browser marks
 * `Sec-Fetch-Site: cross-site`, answers 403. Clients that are not browsers send neither header.
 */
export function originCheck(opts: { allowedOrigins: readonly string[] }): MiddlewareHandler {
  const allowed = new Set(opts.allowedOrigins);
  return async (c, next) => {
    if (!STATE_CHANGING.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    const own = new URL(c.req.url).origin;
    const originAllowed = origin === undefined || origin === own || allowed.has(origin);
    if (!originAllowed) {
      throw new HireDbError('FORBIDDEN', `cross-site ${c.req.method} refused: origin ${quoteInput(origin, 100)} is not allowed (HIREDB_CORS_ORIGINS)`);
    }
    if (c.req.header('sec-fetch-site') === 'cross-site' && !(origin !== undefined && allowed.has(origin))) {
      throw new HireDbError('FORBIDDEN', `cross-site ${c.req.method} refused (Sec-Fetch-Site: cross-site)`);
    }
    return next();
  };
}

/** CORS for the origins of `HIREDB_CORS_ORIGINS` only (none by default): preflights answered, `Vary: Origin`. */
export function corsFor(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  const handler = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS'],
    allowHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-Request-Id', 'If-None-Match'],
    exposeHeaders: ['X-Request-Id', 'ETag', 'Content-Disposition'],
    maxAge: 600,
  });
  return async (c, next) => (allowed.size === 0 ? next() : handler(c, next));
}
