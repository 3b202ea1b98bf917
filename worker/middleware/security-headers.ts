import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** Every answer that is not a page: nothing may be loaded, run or framed on its behalf. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The dashboard and the docs (Swagger UI): their own scripts, styles, images (data: for the icons drawn
 * in CSS) and calls to this origin, nothing else; no inline script, style or eval. Both pages style
 * elements only through the CSSOM, which the policy does not restrict.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Security headers on every answer: nothing may be framed, sniffed or embedded by another site. The
 * content security policy is API_CSP unless the route answered a page with its own (PAGE_CSP).
 */
export const securityHeaders = (): MiddlewareHandler => {
  const others = secureHeaders({ crossOriginResourcePolicy: 'same-site', referrerPolicy: 'no-referrer', xFrameOptions: 'DENY' });
  return async (c, next) => {
    await others(c, next);
    if (!c.res.headers.has('content-security-policy')) c.res.headers.set('content-security-policy', API_CSP);
  };
};
