import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { BlobStore } from '../shared/ports/blob-store.port.ts';
import type { Database } from '../shared/ports/database.port.ts';
import type { Logger } from '../shared/platform/logger.ts';
import { createReportCache, type CachedReport } from './report-cache.ts';
import type { ReportName } from '../shared/domain/reports.ts';
import { batchRoutes } from './routes/batch.ts';
import { fileRoutes } from './routes/files.ts';
import { taskRoutes } from './routes/tasks.ts';
import { legacyRoutes } from './routes/legacy.ts';
import { homeRoutes } from './routes/home.ts';
import { allowedMethods } from './allowed-methods.ts';
import { answerReport } from './routes/reports.ts';

export interface AppDeps {
  db: Database;
  blob: BlobStore;
  log: Logger;
  getReport: (name: ReportName, year: number) => Promise<CachedReport>;
  /** Lets an in-process loader start a queued task at once instead of on its next tick. */
  onTaskQueued?: () => void;
  /** How long an original-API load waits for its task before answering 202 (LEGACY_WAIT_MS). */
  legacyWaitMs?: number;
}

/**
 * The HTTP side of HireDB, written against Web-standard APIs only, so the same app runs on Node,
 * Deno and edge runtimes; each runtime's entry point passes its adapters in.
 */
export function createApp(deps: Omit<AppDeps, 'getReport'> & { getReport?: AppDeps['getReport'] }) {
  const full: AppDeps = { ...deps, getReport: deps.getReport ?? createReportCache(deps.db) };
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok', database: full.db.dialect, blob: full.blob.describe() }));
  app.route('/', homeRoutes());
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
