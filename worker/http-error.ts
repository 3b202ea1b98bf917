import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Every error answer has this shape: `{ error: { code, message } }`. */
export function httpError(status: ContentfulStatusCode, code: string, message: string): HTTPException {
  return new HTTPException(status, {
    res: new Response(JSON.stringify({ error: { code, message } }), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    }),
  });
}

/** Parses a non-negative whole number query/path parameter, or answers 400 naming it. */
export function intParam(name: string, value: string | undefined, opts: { min: number; max: number; fallback?: number }): number {
  if (value === undefined || value === '') {
    if (opts.fallback !== undefined) return opts.fallback;
    throw httpError(400, 'BAD_PARAMETER', `${name} is required`);
  }
  if (!/^\d+$/.test(value) || Number(value) < opts.min || Number(value) > opts.max) {
    throw httpError(400, 'BAD_PARAMETER', `${name} must be a whole number in ${opts.min}..${opts.max}, got "${value}"`);
  }
  return Number(value);
}
