import { Hono } from 'hono';
import { ASSETS, DOCS_HTML } from '../dashboard/assets.generated.ts';
import { HireDbError } from '../../shared/domain/errors.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';
import { PAGE_CSP } from '../middleware/security-headers.ts';

/** `GET /assets/:name` (the dashboard's and the docs' files, content-hashed, cached for a year) and `GET /docs`. */
export function assetRoutes() {
  const app = new Hono();
  app.get('/assets/:name', (c) => {
    const asset = ASSETS[c.req.param('name')];
    if (!asset) throw new HireDbError('NOT_FOUND', `no asset ${quoteInput(c.req.param('name'))}`);
    return c.body(asset.body, 200, {
      'content-type': asset.type,
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
  });
  app.get('/docs', (c) => c.html(DOCS_HTML, 200, { 'cache-control': 'no-cache', 'content-security-policy': PAGE_CSP }));
  return app;
}
