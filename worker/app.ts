import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createReportCache } from './report-cache.ts';
import type { AppDeps } from './deps.ts';
import { batchRoutes } from './routes/batch.ts';
import { fileRoutes } from './routes/files.ts';
import { taskRoutes } from './routes/tasks.ts';
import { legacyRoutes } from './routes/legacy.ts';
import { homeRoutes } from './routes/home.ts';
import { allowedMethods } from './allowed-methods.ts';
import { answerReport } from './routes/reports.ts';
import { TransientError } from '../shared/domain/errors.ts';
import { checkHealth } from './health.ts';
import { accessControl } from './auth/access-control.ts';
import { keyRoutes } from './auth/key-routes.ts';
import { writeLog } from './auth/write-log.ts';

/** Seconds a client is asked to wait after a transient failure (503 Retry-After). */
const RETRY_AFTER_SECONDS = 5;

/**
 * The HTTP side of HireDB, written against Web-standard APIs only, so the same app runs on Node,
 * Deno and edge runtimes; each runtime's entry point passes its adapters in.
 */
export function createApp(deps: Omit<AppDeps, 'getReport'> & { getReport?: AppDeps['getReport'] }) {
  const full: AppDeps = { ...deps, getReport: deps.getReport ?? createReportCache(deps.db) };
  const app = new Hono();
  app.use('*', writeLog(full.log));
  app.use('*', accessControl(full.db.keys, full.access ?? { keysRequired: false, publicReports: false }, full.log));
  app.get('/health', async (c) => {
    const health = await checkHealth(full.db, full.blob);
    return c.json(health, health.status === 'ok' ? 200 : 503);
  });
  app.route('/', homeRoutes());
  app.route('/', legacyRoutes(full));
  app.route('/api/v1', batchRoutes(full));
  app.route('/api/v1', fileRoutes(full));
  app.route('/api/v1', taskRoutes(full));
  app.get('/api/v1/reports/:name', (c) => answerReport(c, full, c.req.param('name')));
  app.route('/api/v1', keyRoutes(full.db.keys));

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
    if (err instanceof TransientError) {
      full.log.error('request failed transiently', { method: c.req.method, path: c.req.path, error: String(err) });
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      const message = `the database or the Blob store is unavailable right now; nothing was written, try again in ${RETRY_AFTER_SECONDS} s`;
      return c.json({ error: { code: 'TRANSIENT', message } }, 503);
    }
    full.log.error('request failed', { method: c.req.method, path: c.req.path, error: String(err) });
    return c.json({ error: { code: 'INTERNAL', message: err.message } }, 500);
  });
  return app;
}
