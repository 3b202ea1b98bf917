import { copyFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Config } from '../../shared/config/config.ts';
import { openBlobStore, openDatabase } from '../../shared/adapters/open.ts';
import type { Logger } from '../../shared/platform/logger.ts';
import { createApp } from '../../worker/app.ts';
import type { Listen, Listening } from '../../worker/entry/listener.ts';
import { accessAtStart } from '../../worker/auth/access-policy.ts';
import { ConfigError } from '../../shared/config/config.ts';
import { startLoader, type Loader } from '../loader.ts';

/** Past this, a stopping process exits anyway (with code 1): requests get 10 s, a batch in flight seconds. */
const STOP_DEADLINE_MS = 14_000;

const SAMPLE_DIR = fileURLToPath(new URL('../../data/sample/', import.meta.url));

/** Copies the sample CSV files into an empty local Blob folder, so a fresh clone has data to load. */
export async function seedSample(blobDir: string, log: Logger): Promise<void> {
  const existing = (await readdir(blobDir).catch(() => [])).filter((n) => n.toLowerCase().endsWith('.csv'));
  if (existing.length > 0) return;
  for (const name of (await readdir(SAMPLE_DIR)).filter((n) => n.endsWith('.csv'))) {
    await copyFile(join(SAMPLE_DIR, name), join(blobDir, name));
  }
  log.info('seeded the Blob folder with the sample data', { files: (await readdir(SAMPLE_DIR)).filter((n) => n.endsWith('.csv')) });
}

/**
 * `hiredb serve` / `hiredb loader`: the HTTP worker and/or the loader in this process, until a signal.
 * `listen` is the runtime's HTTP server (Node's by default; worker/entry/deno.ts passes Deno.serve's).
 */
export async function runServer(config: Config, log: Logger, opts: { http: boolean; loader: boolean; sample: boolean; listen?: Listen }) {
  const db = await openDatabase(config.databaseUrl, { timeouts: config.databaseTimeouts });
  const start = opts.http
    ? accessAtStart({ host: config.host, auth: config.auth, publicReports: config.publicReports, keysExist: await db.keys.any() })
    : null;
  if (start && !start.ok) {
    await db.close();
    throw new ConfigError(start.message);
  }
  if (start?.ok && start.notice) log.info(start.notice.warning ? `WARNING: ${start.notice.message}` : start.notice.message);
  const blob = await openBlobStore(config);
  if (opts.sample && !config.azureStorageConnectionString) await seedSample(config.blobDir, log);

  let loader: Loader | null = null;
  let server: Listening | null = null;
  if (opts.http) {
    const app = createApp({
      db,
      blob,
      log,
      access: start?.ok ? start.policy : undefined,
      legacyWaitMs: config.legacyWaitMs,
      retry: { attempts: config.retryAttempts },
      onTaskQueued: () => void loader?.tick(),
      http: {
        bindHost: config.host,
        allowedHosts: config.allowedHosts,
        corsOrigins: config.corsOrigins,
        maxBatchBytes: config.maxBatchBytes,
        maxUploadBytes: config.maxUploadBytes,
      },
    });
    // Listening first: a port in use ends start-up before any task is claimed.
    const listen = opts.listen ?? (await import('../../worker/entry/node.ts')).serveOnNode;
    const listening = listen(app, {
      port: config.port,
      host: config.host,
      log,
      headersTimeoutMs: config.headersTimeoutMs,
      bodyMinBytesPerSecond: config.bodyMinBytesPerSecond,
      bodyRateWindowMs: config.bodyRateWindowMs,
    });
    server = await listening.catch(async (e) => {
      await db.close();
      throw e;
    });
    log.info(`HireDB listening on ${server.url}`, { database: db.dialect });
  }

  if (opts.loader) {
    loader = startLoader(db, blob, {
      schedule: config.loadSchedule,
      batchSize: config.batchSize,
      commit: config.commit,
      concurrency: config.loadConcurrency,
      leaseMs: config.leaseMs,
      retry: { attempts: config.retryAttempts },
      text: { encoding: config.loadEncoding, maxRecordBytes: config.maxRecordBytes },
      log,
    });
    log.info('loader started', { owner: loader.owner, schedule: config.loadSchedule, blob: blob.describe() });
  }

  // SIGTERM / SIGINT: stop claiming and accepting; running tasks go back to the queue after the batches in
  // flight commit, requests in flight get CLOSE_GRACE_MS; then exit 0. A second signal exits at once.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.error('stopping now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('stopping', { signal });
    setTimeout(() => {
      log.error('did not stop in time; exiting', { signal });
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    const results = await Promise.allSettled([server?.close(), loader?.stop()]);
    for (const r of results) if (r.status === 'rejected') log.error('stopping failed', { error: String(r.reason) });
    await db.close().catch((e) => log.error('closing the database failed', { error: String(e) }));
    log.info('stopped', { signal });
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
