import { Hono } from 'hono';
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
import { answerError, errorResponse } from './http-error.ts';
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_UPLOAD_BYTES } from './body.ts';
import { requestId } from './middleware/request-id.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { hostCheck } from './middleware/host-check.ts';
import { corsFor, originCheck } from './middleware/origin-check.ts';

/** What the HTTP side enforces on hostile clients; the defaults suit an edge runtime. */
export interface HttpOptions {
  /** The address the server is bound to; on loopback only loopback Host names (and allowedHosts) are served. */
  bindHost?: string;
  allowedHosts: readonly string[];
  corsOrigins: readonly string[];
  maxBatchBytes: number;
  maxUploadBytes: number;
}

const DEFAULT_HTTP: HttpOptions = {
  allowedHosts: [],
  corsOrigins: [],
  maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
  maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
};

export interface AppDeps {
  db: Database;
  blob: BlobStore;
  log: Logger;
  getReport: (name: ReportName, year: number) => Promise<CachedReport>;
  /** Lets an in-process loader start a queued task at once instead of on its next tick. */
  onTaskQueued?: () => void;
  http: HttpOptions;
}

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
  app.get('/health', (c) => c.json({ status: 'ok', database: full.db.dialect, blob: full.blob.describe() }));
  app.route('/', legacyRoutes(full));
  app.route('/api/v1', batchRoutes(full));
  app.route('/api/v1', fileRoutes(full));
  app.route('/api/v1', taskRoutes(full));
  app.get('/api/v1/reports/:name', (c) => answerReport(c, full, c.req.param('name')));

  app.notFound((c) => errorResponse(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => answerError(err, c, full.log));
  return app;
}
