import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createReportCache } from './report-cache.ts';
import type { AppDeps } from './deps.ts';
import { batchRoutes } from './routes/batch.ts';
import { fileRoutes } from './routes/files.ts';
import { taskRoutes } from './routes/tasks.ts';
import { legacyRoutes } from './routes/legacy.ts';
import { homeRoutes } from './routes/home.ts';
import { assetRoutes } from './routes/assets.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { allowedMethods } from './allowed-methods.ts';
import { answerReport } from './routes/reports.ts';

/**
 * The HTTP side of HireDB, written against Web-standard APIs only, so the same app runs on Node,
 * Deno and edge runtimes; each runtime's entry point passes its adapters in.
 */
export function createApp(deps: Omit<AppDeps, 'getReport'> & { getReport?: AppDeps['getReport'] }) {
  const full: AppDeps = { ...deps, getReport: deps.getReport ?? createReportCache(deps.db) };
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok', database: full.db.dialect, blob: full.blob.describe() }));
  app.route('/', homeRoutes());
  app.route('/', assetRoutes());
  app.route('/', openApiRoutes());
  app.route('/', legacyRoutes(full));
  app.route('/api/v1', batchRoutes(full));
  app.route('/api/v1', fileRoutes(full));
  app.route('/api/v1', taskRoutes(full));
  app.get('/api/v1/reports/:name', (c) => answerReport(c, full, c.req.param('name')));

  app.notFound((c) => {
    const allow = allowedMethods(app, c.req.path);
    if (allow.length > 0) {
      c.header('allow', allow.join(', '));
      return c.json({ error: { code: 'METHOD_NOT_ALLOWED', message: `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(', ')}` } }, 405);
    }
    return c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404);
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    full.log.error('request failed', { method: c.req.method, path: c.req.path, error: String(err) });
    return c.json({ error: { code: 'INTERNAL', message: err.message } }, 500);
  });
  return app;
}
