/**
 * In-process HTTP harness for the API tests: a fresh database of the given kind per harness (a temporary
 * SQLite file or a uniquely named PostgreSQL schema, from tests/helpers/databases.ts), a fresh temporary Blob
 * folder, the real Hono app (called with app.request) and, on demand, the real loader on a fast schedule.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../worker/app.ts';
import type { HttpOptions } from '../../worker/deps.ts';
import { openLocalFolderStore } from '../../shared/adapters/blob/local-folder.store.ts';
import { silentLogger, type Logger } from '../../shared/platform/logger.ts';
import type { AccessPolicy } from '../../worker/auth/access-policy.ts';
import { startLoader, type Loader } from '../../loader/loader.ts';
import type { BlobStore } from '../../shared/ports/blob-store.port.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { SAMPLE_FILES } from '../helpers/sample.ts';
import { openTestDatabase, type TestDatabaseKind } from '../helpers/databases.ts';

export { TEST_DATABASES, type TestDatabaseKind } from '../helpers/databases.ts';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface Harness {
  kind: TestDatabaseKind;
  dir: string;
  blobDir: string;
  db: Database;
  blob: BlobStore;
  app: ReturnType<typeof createApp>;
  /** Raw read behind the port, in the database's own dialect (see openTestDatabase). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  request(path: string, init?: RequestInit): Promise<Answer>;
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  postJson(path: string, body: unknown): Promise<Answer>;
  postCsv(path: string, csv: string): Promise<Answer>;
  /** Starts the real loader (1 s cron); `pollBlob: false` hides the container from its poll, so only queued tasks run. */
  startLoader(opts?: { pollBlob?: boolean }): Loader;
  /** Waits until at least `minTasks` tasks exist and every task is done or failed (15 s at most). */
  settle(minTasks?: number): Promise<void>;
  copySampleIntoBlob(): Promise<void>;
  close(): Promise<void>;
}

export async function openHarness(
  kind: TestDatabaseKind,
  opts: { access?: AccessPolicy; log?: Logger; legacyWaitMs?: number; http?: Partial<HttpOptions> } = {},
): Promise<Harness> {
  const database = await openTestDatabase(kind);
  const { db } = database;
  let tmp: string | undefined;
  let blob: BlobStore;
  try {
    tmp = await mkdtemp(join(tmpdir(), 'hiredb-api-'));
    blob = await openLocalFolderStore(join(tmp, 'blob'));
  } catch (err) {
    await database.cleanup().catch(() => {});
    if (tmp) await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const dir = tmp;
  const blobDir = join(dir, 'blob');
  let loader: Loader | null = null;
  const app = createApp({
    db,
    blob,
    log: opts.log ?? silentLogger,
    access: opts.access,
    legacyWaitMs: opts.legacyWaitMs,
    http: opts.http,
    onTaskQueued: () => void loader?.tick(),
  });

  const request = async (path: string, init?: RequestInit): Promise<Answer> => {
    const res = await app.request(path, init);
    const text = await res.text();
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('application/json')) body = JSON.parse(text);
    return { status: res.status, headers: res.headers, text, body };
  };

  const h: Harness = {
    kind,
    dir,
    blobDir,
    db,
    blob,
    app,
    query: database.query,
    request,
    get: (path, headers) => request(path, { headers }),
    postJson: (path, body) =>
      request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    postCsv: (path, csv) => request(path, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv }),
    startLoader(opts = {}) {
      const source: BlobStore = opts.pollBlob === false ? { ...blob, list: async () => [] } : blob;
      loader = startLoader(db, source, {
        schedule: '*/1 * * * * *',
        batchSize: 1000,
        // More slots than the tests ever have tasks: a fill() that finds every slot busy stalls the loader
        // for good (see tests/api/loader-idle.test.ts), which these tests must not trip over by chance.
        concurrency: 8,
        leaseMs: 30_000,
        log: silentLogger,
      });
      return loader;
    },
    async settle(minTasks = 1) {
      if (!loader) throw new Error('start the loader first');
      const deadline = Date.now() + 15_000;
      await loader.tick();
      for (;;) {
        await loader.idle();
        const { tasks } = await db.tasks.list({ limit: 1000, offset: 0 });
        if (tasks.length >= minTasks && tasks.every((t) => t.status === 'done' || t.status === 'failed')) return;
        if (Date.now() > deadline) {
          throw new Error(`tasks not finished after 15 s: ${tasks.map((t) => `${t.id} ${t.file_name} ${t.status}`).join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async copySampleIntoBlob() {
      for (const file of Object.values(SAMPLE_FILES)) await copyFile(file, join(blobDir, file.split('/').pop()!));
    },
    async close() {
      try {
        await loader?.stop();
      } finally {
        try {
          await database.cleanup();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    },
  };
  return h;
}

/** Asserts the invariant every load and batch answers with. */
export function sums(body: { processed: number; inserted: number; already_exists: number; rejected: number }): boolean {
  return body.processed === body.inserted + body.already_exists + body.rejected;
}
