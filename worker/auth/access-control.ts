import { errorResponse } from '../http-error.ts';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { roleGrants, type Role } from '../../shared/domain/roles.ts';
import type { ApiKeyRepository } from '../../shared/ports/api-key.port.ts';
import type { Logger } from '../../shared/platform/logger.ts';
import { accessOf, type Access } from './access-rules.ts';
import type { AccessPolicy } from './access-policy.ts';
import { keyVerifier } from './key-verifier.ts';
import './context.ts';

/** Query parameters that look like a key: refused, because URLs end up in logs, histories and proxies. */
const KEY_QUERY_PARAMETERS = ['api_key', 'apikey', 'api-key', 'key', 'access_token', 'token'];

type Presented = { key: string } | { problem: string } | null;

/** The key of `Authorization: Bearer <key>` or `X-API-Key: <key>`; a problem when they disagree or are malformed. */
export function presentedKey(headers: Headers): Presented {
  const authorization = headers.get('authorization');
  const apiKey = headers.get('x-api-key')?.trim() || null;
  let bearer: string | null = null;
  if (authorization !== null) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization.trim());
    if (!m) return { problem: 'the Authorization header must be "Bearer <key>"' };
    bearer = m[1];
  }
  if (bearer !== null && apiKey !== null && bearer !== apiKey) return { problem: 'Authorization and X-API-Key carry different keys' };
  const key = bearer ?? apiKey;
  return key === null ? null : { key };
}

/**
 * The one access check of the HTTP API: finds the route's rule (access-rules.ts), authenticates the
 * key, and answers 401 (no key, unknown or revoked key) or 403 (the key's role is not enough).
 */
export function accessControl(keys: ApiKeyRepository, policy: AccessPolicy, log: Logger): MiddlewareHandler {
  const verifier = keyVerifier(keys, {
    cacheMs: policy.cacheMs ?? 5_000,
    touchEveryMs: policy.touchEveryMs ?? 60_000,
    now: policy.now ?? Date.now,
    log,
  });

  return async (c, next) => {
    c.set('apiKey', null);
    if (c.req.method === 'OPTIONS') return next(); // CORS preflights never carry credentials
    const url = new URL(c.req.url);
    if (KEY_QUERY_PARAMETERS.some((p) => url.searchParams.has(p))) {
      return refuse(c, 400, 'BAD_PARAMETER', 'API keys are not accepted in the query string: send "Authorization: Bearer <key>" or "X-API-Key: <key>"');
    }
    const route = matchedRoutes(c).find((r) => r.method !== 'ALL');
    // A path no route serves needs a key like any read, so that only a client with a key learns it is missing.
    const access: Access | undefined = route ? accessOf(route.method, route.path) : 'read';
    if (access === 'open' || (access === 'report' && policy.publicReports)) return next();

    const presented = presentedKey(c.req.raw.headers);
    if (presented === null && !policy.keysRequired && !(await verifier.anyKeyExists())) return next();
    if (presented === null) return unauthorized(c, 'this request needs an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"', false);
    if ('problem' in presented) return unauthorized(c, presented.problem, true);

    const verdict = await verifier.verify(presented.key);
    if (!verdict.ok) return unauthorized(c, verdict.reason === 'revoked' ? 'this API key is revoked' : 'unknown API key', true);
    c.set('apiKey', { name: verdict.key.name, role: verdict.key.role });

    if (access === undefined) {
      log.error('route without an access rule refused', { method: c.req.method, route: route!.path });
      return refuse(c, 403, 'FORBIDDEN', `${route!.method} ${route!.path} has no access rule`);
    }
    const needs: Role = access === 'report' ? 'read' : access;
    if (!roleGrants(verdict.key.role, needs)) {
      return refuse(c, 403, 'FORBIDDEN', `key "${verdict.key.name}" has role ${verdict.key.role}; ${route!.method} ${route!.path} needs ${needs}`);
    }
    return next();
  };
}

function unauthorized(c: Context, message: string, invalid: boolean) {
  c.header('WWW-Authenticate', `Bearer realm="hiredb"${invalid ? ', error="invalid_token"' : ''}`);
  return refuse(c, 401, 'AUTH_REQUIRED', message);
}

function refuse(c: Context, status: 400 | 401 | 403, code: 'BAD_PARAMETER' | 'AUTH_REQUIRED' | 'FORBIDDEN', message: string) {
  return errorResponse(c, status, code, message);
}
