import { Hono } from 'hono';
import { createReportCache } from './report-cache.ts';
import type { AppDeps, HttpOptions } from './deps.ts';
import { batchRoutes } from './routes/batch.ts';
import { fileRoutes } from './routes/files.ts';
import { taskRoutes } from './routes/tasks.ts';
import { legacyRoutes } from './routes/legacy.ts';
import { homeRoutes } from './routes/home.ts';
import { assetRoutes } from './routes/assets.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { answerReport } from './routes/reports.ts';
import { allowedMethods } from './allowed-methods.ts';
import { TransientError } from '../shared/domain/errors.ts';
import { checkHealth } from './health.ts';
import { answerError, errorResponse } from './http-error.ts';
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_UPLOAD_BYTES } from './body.ts';
import { requestId } from './middleware/request-id.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { hostCheck } from './middleware/host-check.ts';
import { corsFor, originCheck } from './middleware/origin-check.ts';
import { accessControl } from './auth/access-control.ts';
import { keyRoutes } from './auth/key-routes.ts';
import { writeLog } from './auth/write-log.ts';

/** Seconds a client is asked to wait after a transient failure (503 Retry-After). */
const RETRY_AFTER_SECONDS = 5;

const DEFAULT_HTTP: HttpOptions = {
  allowedHosts: [],
  corsOrigins: [],
  maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
  maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
};

/**
 * The HTTP side of HireDB, written against Web-standard APIs only, so the same app runs on Node,
 * Deno and edge runtimes; each runtime's entry point passes its adapters in.
 */
export function createApp(
  deps: Omit<AppDeps, 'getReport' | 'http'> & { getReport?: AppDeps['getReport']; http?: Partial<HttpOptions> },
) {
  const full: AppDeps = { ...deps, getReport: deps.getReport ?? createReportCache(deps.db), http: { ...DEFAULT_HTTP, ...deps.http } };
  const app = new Hono();
  app.use(requestId());
  app.use(securityHeaders());
  app.use(hostCheck(full.http));
  app.use(originCheck({ allowedOrigins: full.http.corsOrigins }));
  app.use(corsFor(full.http.corsOrigins));
  app.use('*', writeLog(full.log));
  app.use('*', accessControl(full.db.keys, full.access ?? { keysRequired: false, publicReports: false }, full.log));
  app.get('/health', async (c) => {
    const health = await checkHealth(full.db, full.blob);
    return c.json(health, health.status === 'ok' ? 200 : 503);
  });
  app.route('/', homeRoutes());
  app.route('/', assetRoutes());
  app.route('/', openApiRoutes());
  app.route('/', legacyRoutes(full));
  app.route('/api/v1', batchRoutes(full));
  app.route('/api/v1', fileRoutes(full));
  app.route('/api/v1', taskRoutes(full));
  app.get('/api/v1/reports/:name', (c) => answerReport(c, full, c.req.param('name')));
  app.route('/api/v1', keyRoutes(full.db.keys));

  app.notFound((c) => {
    const allow = allowedMethods(app, c.req.path);
    if (allow.length === 0) return errorResponse(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`);
    c.header('allow', allow.join(', '));
    return errorResponse(c, 405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(', ')}`);
  });
  app.onError((err, c) => {
    if (err instanceof TransientError) {
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      return errorResponse(c, 503, 'TRANSIENT', `the database or the Blob store is unavailable right now; nothing was written, try again in ${RETRY_AFTER_SECONDS} s`);
    }
    return answerError(err, c, full.log);
  });
  return app;
}
