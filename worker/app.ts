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
import { answerReport } from './routes/reports.ts';
import { accessControl } from './auth/access-control.ts';
import type { AccessPolicy } from './auth/access-policy.ts';
import { keyRoutes } from './auth/key-routes.ts';
import { writeLog } from './auth/write-log.ts';

export interface AppDeps {
  db: Database;
  blob: BlobStore;
  log: Logger;
  getReport: (name: ReportName, year: number) => Promise<CachedReport>;
  /** Lets an in-process loader start a queued task at once instead of on its next tick. */
  onTaskQueued?: () => void;
  /** Who may do what (see worker/auth). Default: served without a key while the database holds none. */
  access?: AccessPolicy;
}

/**
 * The HTTP side of HireDB, written against Web-standard APIs only, so the same app runs on Node,
 * Deno and edge runtimes; each runtime's entry point passes its adapters in.
 */
export function createApp(deps: Omit<AppDeps, 'getReport'> & { getReport?: AppDeps['getReport'] }) {
  const full: AppDeps = { ...deps, getReport: deps.getReport ?? createReportCache(deps.db) };
  const app = new Hono();
  app.use('*', writeLog(full.log));
  app.use('*', accessControl(full.db.keys, full.access ?? { keysRequired: false, publicReports: false }, full.log));
  app.get('/health', (c) => c.json({ status: 'ok', database: full.db.dialect, blob: full.blob.describe() }));
  app.route('/', legacyRoutes(full));
  app.route('/api/v1', batchRoutes(full));
  app.route('/api/v1', fileRoutes(full));
  app.route('/api/v1', taskRoutes(full));
  app.get('/api/v1/reports/:name', (c) => answerReport(c, full, c.req.param('name')));
  app.route('/api/v1', keyRoutes(full.db.keys));

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    full.log.error('request failed', { method: c.req.method, path: c.req.path, error: String(err) });
    return c.json({ error: { code: 'INTERNAL', message: err.message } }, 500);
  });
  return app;
}
