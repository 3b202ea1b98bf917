import type { BlobStore } from '../shared/ports/blob-store.port.ts';
import type { Database } from '../shared/ports/database.port.ts';
import type { Logger } from '../shared/platform/logger.ts';
import type { ReportName } from '../shared/domain/reports.ts';
import type { ReportAnswer } from './report-cache.ts';
import type { RetryOptions } from '../shared/service/retry.ts';
import type { AccessPolicy } from './auth/access-policy.ts';

/** What the HTTP side enforces on hostile clients; the defaults suit an edge runtime. */
export interface HttpOptions {
  /** The address the server is bound to; on loopback only loopback Host names (and allowedHosts) are served. */
  bindHost?: string;
  allowedHosts: readonly string[];
  corsOrigins: readonly string[];
  maxBatchBytes: number;
  maxUploadBytes: number;
}

/** What the HTTP app is built from; each runtime's entry point passes its own adapters in. */
export interface AppDeps {
  db: Database;
  blob: BlobStore;
  log: Logger;
  getReport: (name: ReportName, year: number) => Promise<ReportAnswer>;
  /** Lets an in-process loader start a queued task at once instead of on its next tick. */
  onTaskQueued?: () => void;
  /** How long an original-API load waits for its task before answering 202 (LEGACY_WAIT_MS). */
  legacyWaitMs?: number;
  /** How database calls that failed transiently are retried (attempts: HIREDB_RETRY_ATTEMPTS). */
  retry?: RetryOptions;
  /** Who may do what (see worker/auth). Default: served without a key while the database holds none. */
  access?: AccessPolicy;
  http: HttpOptions;
}
