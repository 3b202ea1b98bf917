import { copyFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Config } from '../shared/config/config.ts';
import { openBlobStore, openDatabase } from '../shared/adapters/open.ts';
import type { Logger } from '../shared/platform/logger.ts';
import { createApp } from '../worker/app.ts';
import { serveOnNode } from '../worker/entry/node.ts';
import { startLoader, type Loader } from './loader.ts';

const SAMPLE_DIR = fileURLToPath(new URL('../data/sample/', import.meta.url));

/** Copies the sample CSV files into an empty local Blob folder, so a fresh clone has data to load. */
export async function seedSample(blobDir: string, log: Logger): Promise<void> {
  const existing = (await readdir(blobDir).catch(() => [])).filter((n) => n.toLowerCase().endsWith('.csv'));
  if (existing.length > 0) return;
  for (const name of (await readdir(SAMPLE_DIR)).filter((n) => n.endsWith('.csv'))) {
    await copyFile(join(SAMPLE_DIR, name), join(blobDir, name));
  }
  log.info('seeded the Blob folder with the sample data', { files: (await readdir(SAMPLE_DIR)).filter((n) => n.endsWith('.csv')) });
}

/** `hiredb serve` / `hiredb loader`: the HTTP worker and/or the loader in this process, until a signal. */
export async function runServer(config: Config, log: Logger, opts: { http: boolean; loader: boolean; sample: boolean }) {
  const db = await openDatabase(config.databaseUrl);
  const blob = await openBlobStore(config);
  if (opts.sample && !config.azureStorageConnectionString) await seedSample(config.blobDir, log);

  let loader: Loader | null = null;
  if (opts.loader) {
    loader = startLoader(db, blob, {
      schedule: config.loadSchedule,
      batchSize: config.batchSize,
      concurrency: config.loadConcurrency,
      leaseMs: config.leaseMs,
      log,
    });
    log.info('loader started', { owner: loader.owner, schedule: config.loadSchedule, blob: blob.describe() });
  }
  let server: { url: string; close(): Promise<void> } | null = null;
  if (opts.http) {
    const app = createApp({
      db,
      blob,
      log,
      onTaskQueued: () => void loader?.tick(),
      http: {
        bindHost: config.host,
        allowedHosts: config.allowedHosts,
        corsOrigins: config.corsOrigins,
        maxBatchBytes: config.maxBatchBytes,
        maxUploadBytes: config.maxUploadBytes,
      },
    });
    server = await serveOnNode(app, {
      port: config.port,
      host: config.host,
      log,
      headersTimeoutMs: config.headersTimeoutMs,
      bodyMinBytesPerSecond: config.bodyMinBytesPerSecond,
      bodyRateWindowMs: config.bodyRateWindowMs,
    });
    log.info(`HireDB listening on ${server.url}`, { database: db.dialect });
  }

  const shutdown = async (signal: string) => {
    log.info('stopping', { signal });
    await server?.close();
    await loader?.stop();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
