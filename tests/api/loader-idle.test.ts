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
import { enqueueFile } from '../../shared/service/enqueue-file.ts';

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

  it('a task queued while a claim is in flight is claimed by that round, not left for the next tick', async () => {
    const database = await openTestDatabase(kind);
    const dir = await mkdtemp(join(tmpdir(), 'hiredb-loader-'));
    const folder = await openLocalFolderStore(join(dir, 'blob'));
    let lists = 0;
    let tickListed!: () => void;
    const tickPolled = new Promise<void>((r) => (tickListed = r));
    const blob: BlobStore = {
      ...folder,
      list: async () => {
        const entries = await folder.list();
        if (++lists === 2) tickListed(); // the start-up poll lists first, then tick()'s
        return entries;
      },
    };
    let loader: Loader | null = null;
    cleanup = async () => {
      try {
        await loader?.stop();
      } finally {
        await database.cleanup();
        await rm(dir, { recursive: true, force: true });
      }
    };
    // The start-up round's first claim finds nothing and is held until a task has been queued and
    // tick() has asked for claims of its own.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let claims = 0;
    let firstClaimAsked!: () => void;
    const firstClaim = new Promise<void>((r) => (firstClaimAsked = r));
    const db: Database = {
      ...database.db,
      tasks: {
        ...database.db.tasks,
        claim: async (...args) => {
          const answer = await database.db.tasks.claim(...args);
          if (++claims === 1) {
            firstClaimAsked();
            await held;
          }
          return answer;
        },
      },
    };
    loader = startLoader(db, blob, { schedule: NO_TICKS, batchSize: 1000, concurrency: 1, leaseMs: 30_000, log: silentLogger });
    await firstClaim;
    await copyFile(SAMPLE_FILES.departments, join(dir, 'blob', 'departments.csv'));
    const { task } = await enqueueFile(db, (await blob.stat('departments.csv'))!);
    const ticked = loader.tick(); // asks for claims while the first round's claim is in flight
    await tickPolled;
    await new Promise((r) => setImmediate(r)); // the rest of tick()'s poll is promise callbacks, then it asks
    release();
    await ticked;
    // tick() resolves once its claims are made: the task was claimed then, not by a later round.
    expect((await db.tasks.get(task.id))?.status).not.toBe('queued');
    await loader.idle();
    expect((await db.tasks.get(task.id))?.status).toBe('done');
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
