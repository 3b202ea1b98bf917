// The loader the worker relies on: startLoader(...), tick() and idle() as the API tests use them.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLocalFolderStore } from '../../shared/adapters/blob/local-folder.store.ts';
import { silentLogger } from '../../shared/platform/logger.ts';
import { startLoader, type Loader } from '../../loader/loader.ts';
import type { BlobStore } from '../../shared/ports/blob-store.port.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { expectedSample, SAMPLE_FILES } from '../helpers/sample.ts';
import { openTestDatabase, TEST_DATABASES, type TestDatabaseKind } from '../helpers/databases.ts';
import { waitFor } from '../helpers/processes.ts';

/** A cron schedule that does not fire while a test runs (midnight on 1 January). */
const NO_TICKS = '0 0 0 1 1 *';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function setup(
  kind: TestDatabaseKind,
  opts: { slowOpenMs?: number } = {},
): Promise<{ db: Database; query: (sql: string) => Promise<Record<string, unknown>[]>; start(concurrency: number, schedule?: string): Loader }> {
  const database = await openTestDatabase(kind);
  const { db } = database;
  const dir = await mkdtemp(join(tmpdir(), 'hiredb-loader-'));
  cleanup = async () => {
    await database.cleanup();
    await rm(dir, { recursive: true, force: true });
  };
  const real = await openLocalFolderStore(join(dir, 'blob'));
  for (const file of Object.values(SAMPLE_FILES)) await copyFile(file, join(dir, 'blob', file.split('/').pop()!));
  await real.list(); // the store has seen each file once, so the loader's first poll finds them settled
  // A slow Blob container: each file takes a moment to open, so tasks are surely running when we look.
  const blob: BlobStore = opts.slowOpenMs
    ? { ...real, open: async (name, start) => (await new Promise((r) => setTimeout(r, opts.slowOpenMs)), real.open(name, start)) }
    : real;
  let loader: Loader | null = null;
  cleanup = async () => {
    try {
      await loader?.stop();
    } finally {
      try {
        await database.cleanup();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  };
  const start = (concurrency: number, schedule = '*/1 * * * * *') =>
    (loader = startLoader(db, blob, { schedule, batchSize: 1000, concurrency, leaseMs: 30_000, log: silentLogger }));
  return { db, query: database.query, start };
}

const statuses = async (db: Database) =>
  Object.fromEntries((await db.tasks.list({ limit: 100, offset: 0 })).tasks.map((t) => [t.file_name, t.status]));

describe.each(TEST_DATABASES)('%s', (kind) => {
  it('tick() then idle() leaves every sample task done with the expected summaries', async () => {
    const env = await setup(kind);
    const loader = env.start(8);
    await loader.tick();
    await loader.idle();
    const { tasks } = await env.db.tasks.list({ limit: 100, offset: 0 });
    const expected = expectedSample();
    expect(tasks).toHaveLength(3);
    for (const t of tasks) {
      expect(t.status).toBe('done');
      const e = expected.files[t.table_name!];
      expect(t.summary).toEqual({ processed: e.processed, inserted: e.inserted, already_exists: e.already_exists, rejected: e.rejected });
    }
  });

  it('brings the reports up to date after a load, so the first report request finds nothing left to fold', async () => {
    const env = await setup(kind);
    const loader = env.start(8);
    await loader.tick();
    await loader.idle();
    const hires = Number((await env.query('SELECT COUNT(*) AS n FROM hired_employees'))[0].n);
    expect(hires).toBe(expectedSample().files.hired_employees.inserted);
    expect(Number((await env.query('SELECT COUNT(*) AS n FROM hires_pending'))[0].n)).toBe(0);
    expect(Number((await env.query('SELECT SUM(hires) AS n FROM hires_by_quarter'))[0].n)).toBe(hires);
  });

  it('a tick while every slot is busy does not stop the loader from claiming later tasks', async () => {
    const env = await setup(kind, { slowOpenMs: 300 });
    const loader = env.start(2);
    // Wait until the first tick has claimed departments and jobs (both slots busy opening their files).
    for (let i = 0; i < 100; i++) {
      const s = await statuses(env.db);
      if (s['departments.csv'] === 'running' && s['jobs.csv'] === 'running') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await statuses(env.db)).toMatchObject({ 'departments.csv': 'running', 'jobs.csv': 'running' });
    await loader.tick(); // finds both slots busy
    await loader.idle();
    expect(await statuses(env.db)).toEqual({ 'departments.csv': 'done', 'jobs.csv': 'done', 'hired_employees.csv': 'done' });
  });

  it('a finished task frees its slot and the next task is claimed at once, with no tick and no idle()', async () => {
    const env = await setup(kind);
    // One slot and no cron ticks: only the start-up poll claims, so the later tasks can start only
    // because each finishing task claims the next.
    env.start(1, NO_TICKS);
    const all = await waitFor(
      'every sample task done',
      async () => {
        const s = await statuses(env.db);
        return Object.keys(s).length === 3 && Object.values(s).every((v) => v === 'done') ? s : undefined;
      },
      15_000,
      50,
    );
    expect(all).toEqual({ 'departments.csv': 'done', 'jobs.csv': 'done', 'hired_employees.csv': 'done' });
  });
});
