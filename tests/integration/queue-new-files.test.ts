// A Blob poll of a local folder with many files: the first poll that sees them settled queues one task each;
// a poll that finds nothing new asks the database once which versions have tasks and enqueues none, as the
// edge's cron poll (a new connection and no `seen` each tick) does every five minutes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openLocalFolderStore } from '../../shared/adapters/blob/local-folder.store.ts';
import type { BlobStore } from '../../shared/ports/blob-store.port.ts';
import type { Database, TaskRepository } from '../../shared/ports/database.port.ts';
import type { Logger } from '../../shared/platform/logger.ts';
import { queueNewFiles } from '../../shared/service/queue-new-files.ts';
import { openTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';

const FILES = 2000;
const FEW = 300;
const TABLES = ['departments', 'jobs', 'hired_employees'];

/** The database with every TaskRepository call counted by method name, each delegated to the real one. */
function counted(db: Database) {
  const calls: Record<string, number> = {};
  const tasks = new Proxy(db.tasks, {
    get(target, name: string) {
      const method = target[name as keyof TaskRepository] as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return method.apply(target, args);
      };
    },
  });
  const reset = () => {
    for (const name of Object.keys(calls)) delete calls[name];
  };
  return { db: { ...db, tasks }, calls, reset };
}

/** Log lines as `msg file`. */
function recordingLogger() {
  const lines: string[] = [];
  const log: Logger = { info: (msg, f) => void lines.push(`${msg} ${f?.file}`), warn() {}, error() {} };
  return { log, lines };
}

describe.each(TEST_DATABASES)('Blob poll on %s', (kind) => {
  let t: TestDatabase;
  let dir: string;
  let blob: BlobStore;
  beforeEach(async () => {
    t = await openTestDatabase(kind);
    dir = await mkdtemp(join(tmpdir(), 'hiredb-poll-'));
    blob = await openLocalFolderStore(dir);
  });
  /** `n` CSV files of the three tables, and one no table takes. */
  const writeFiles = async (n: number) => {
    const names = Array.from({ length: n }, (_, i) => `${TABLES[i % 3]}_${String(i).padStart(4, '0')}.csv`).concat('notes.csv');
    await Promise.all(names.map((name) => writeFile(join(dir, name), 'id\n')));
  };
  afterEach(async () => {
    vi.restoreAllMocks();
    await t.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('a poll with nothing new enqueues nothing and asks once; a new file is queued once settled', async () => {
    await writeFiles(FILES);
    const { db, calls, reset } = counted(t.db);
    const { log, lines } = recordingLogger();

    expect(await queueNewFiles(db, blob, { log })).toBe(0); // all seen for the first time: settling
    expect(lines.filter((l) => l.startsWith('file not settled yet'))).toHaveLength(FILES + 1);
    expect(await queueNewFiles(db, blob, { log })).toBe(FILES + 1);
    expect(calls).toEqual({ queuedVersions: 1, enqueue: FILES + 1 }); // nothing to ask on the first poll
    expect(lines.filter((l) => l.startsWith('task queued'))).toHaveLength(FILES + 1);
    expect((await t.db.tasks.list({ limit: 1, offset: 0 })).total).toBe(FILES + 1);
    expect((await t.db.tasks.list({ limit: 1_000_000, offset: 0 })).tasks.find((task) => task.file_name === 'notes.csv')?.status).toBe('failed');

    reset();
    lines.length = 0;
    const statements = kind === 'postgres' ? vi.spyOn(pg.Client.prototype, 'query') : null;
    expect(await queueNewFiles(db, blob, { log })).toBe(0);
    expect(calls).toEqual({ queuedVersions: 1 });
    if (statements) expect(statements.mock.calls, 'statements sent to PostgreSQL').toHaveLength(1);
    expect(lines).toEqual([]);

    await writeFile(join(dir, 'jobs_new.csv'), 'id\n');
    reset();
    expect(await queueNewFiles(db, blob, { log })).toBe(0);
    expect(lines).toEqual(['file not settled yet; queued once unchanged for one poll jobs_new.csv']);
    expect(await queueNewFiles(db, blob, { log })).toBe(1);
    expect(lines.slice(1)).toEqual(['task queued jobs_new.csv']);
    expect(calls).toEqual({ queuedVersions: 2, enqueue: 1 });
  });

  it('a poller that keeps `seen` asks nothing about the versions it has handled', async () => {
    await writeFiles(FEW);
    const { db, calls, reset } = counted(t.db);
    const seen = new Set<string>();
    await queueNewFiles(db, blob, { log: recordingLogger().log, seen });
    expect(await queueNewFiles(db, blob, { log: recordingLogger().log, seen })).toBe(FEW + 1);
    reset();
    expect(await queueNewFiles(db, blob, { log: recordingLogger().log, seen })).toBe(0);
    expect(calls).toEqual({});

    await writeFile(join(dir, 'jobs_new.csv'), 'id\n');
    await queueNewFiles(db, blob, { log: recordingLogger().log, seen });
    const asked = vi.spyOn(t.db.tasks, 'queuedVersions');
    expect(await queueNewFiles(db, blob, { log: recordingLogger().log, seen })).toBe(1);
    expect(asked.mock.calls).toEqual([[[{ file_name: 'jobs_new.csv', file_version: expect.any(String) }]]]);
  });

  it('two pollers at once still create one task per version', async () => {
    await writeFiles(FEW);
    const other = await t.openAnother();
    const blobs = [blob, await openLocalFolderStore(dir)];
    await Promise.all(blobs.map((b) => b.list())); // both have seen the files once: settled on the next poll
    const created = await Promise.all([queueNewFiles(t.db, blobs[0], { log: recordingLogger().log }), queueNewFiles(other, blobs[1], { log: recordingLogger().log })]);
    expect(created[0] + created[1]).toBe(FEW + 1);
    expect((await t.db.tasks.list({ limit: 1, offset: 0 })).total).toBe(FEW + 1);
  });
});
