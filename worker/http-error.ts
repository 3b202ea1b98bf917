import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HireDbError, type ErrorCode } from '../shared/domain/errors.ts';
import { quoteInput } from '../shared/domain/quote-input.ts';
import type { Logger } from '../shared/platform/logger.ts';

/** The one table from error code to HTTP status. */
export const STATUS_OF: Record<ErrorCode, ContentfulStatusCode> = {
  BAD_PARAMETER: 400,
  BAD_JSON: 400,
  BAD_BATCH_SIZE: 400,
  INVALID_NAME: 400,
  EMPTY_BODY: 400,
  UPLOAD_ABORTED: 400,
  LOAD_FAILED: 422,
  AUTH_REQUIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MISDIRECTED_REQUEST: 421,
  INTERNAL: 500,
  TRANSIENT: 503,
};

/** Codes for the statuses Hono's own middleware may throw as HTTPException. */
const CODE_OF_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_PARAMETER',
  401: 'AUTH_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** The request id the request-id middleware gave this request (or a fresh one when it did not run). */
export function requestIdOf(c: Context): string {
  return (c.get('requestId' as never) as string | undefined) ?? crypto.randomUUID();
}

/** Every error answer has this shape: `{ error: { code, message, request_id } }`. */
export function errorResponse(c: Context, status: ContentfulStatusCode, code: ErrorCode, message: string): Response {
  return c.json({ error: { code, message, request_id: requestIdOf(c) } }, status);
}

/**
 * Turns anything thrown by a route into its answer. Expected errors (HireDbError) answer their code and
 * message; anything else answers only INTERNAL and the request id, and its details go to the log.
 */
export function answerError(
  err: Error,
  c: Context,
  log: Pick<Logger, 'error'>,
): Response {
  const requestId = requestIdOf(c);
  if (err instanceof HireDbError && err.code !== 'INTERNAL') {
    const status = STATUS_OF[err.code];
    if (status >= 500) log.error('request failed', { request_id: requestId, method: c.req.method, path: c.req.path, code: err.code, error: describeError(err) });
    // TRANSIENT answers 503 (its Retry-After is set where transient errors are handled).
    return errorResponse(c, status, err.code, err.message);
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = CODE_OF_STATUS[err.status] ?? 'BAD_PARAMETER';
    return errorResponse(c, err.status as ContentfulStatusCode, code, err.message || code.toLowerCase().replaceAll('_', ' '));
  }
  log.error('request failed', { request_id: requestId, method: c.req.method, path: c.req.path, error: describeError(err) });
  return errorResponse(c, 500, 'INTERNAL', `internal error; the log has the details under request id ${requestId}`);
}

function describeError(err: Error): string {
  return err.stack ?? `${err.name}: ${err.message}`;
}

/** Parses a non-negative whole number query/path parameter, or answers 400 naming it. */
export function intParam(name: string, value: string | undefined, opts: { min: number; max: number; fallback?: number }): number {
  if (value === undefined || value === '') {
    if (opts.fallback !== undefined) return opts.fallback;
    throw new HireDbError('BAD_PARAMETER', `${name} is required`);
  }
  if (!/^\d+$/.test(value) || Number(value) < opts.min || Number(value) > opts.max) {
    throw new HireDbError('BAD_PARAMETER', `${name} must be a whole number in ${opts.min}..${opts.max}, got ${quoteInput(value)}`);
  }
  return Number(value);
}

/** `?raw=true` turns off formula neutralisation in CSV exports. */
export function rawParam(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new HireDbError('BAD_PARAMETER', `raw must be true or false, got ${quoteInput(value)}`);
}
