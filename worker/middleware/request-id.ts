import type { MiddlewareHandler } from 'hono';
import { requestId as honoRequestId } from 'hono/request-id';

/**
 * Every request gets an id, answered in `X-Request-Id` and written with every log line about it. A sane
 * incoming id (a proxy's) is kept: up to 128 characters of letters, digits, `-`, `_` and `=`.
 */
export const requestId = (): MiddlewareHandler => honoRequestId({ headerName: 'X-Request-Id', limitLength: 128 });
