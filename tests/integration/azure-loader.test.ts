// The loader on Azure Blob Storage (Azurite) with the embedded SQLite database (issue 3): files uploaded to
// the container are loaded, PUT /api/v1/files/:name uploads into the container and queues the load, a blob
// overwritten with new content (new etag) is loaded again while an unchanged one is not, and a missing
// container is a clear start-up error naming AZURE_BLOB_CONTAINER.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openAzureBlobStore } from '../../shared/adapters/blob/azure-blob.store.ts';
import { openSqliteDatabase } from '../../shared/adapters/db/sqlite.database.ts';
import { openBlobStore } from '../../shared/adapters/open.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { silentLogger } from '../../shared/platform/logger.ts';
import { startLoader, type Loader } from '../../loader/loader.ts';
import { createApp } from '../../worker/app.ts';
import type { BlobStore } from '../../shared/ports/blob-store.port.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import type { Task } from '../../shared/domain/task.ts';
import { startAzurite, type Azurite } from '../helpers/azurite.ts';
import { runCli } from '../helpers/processes.ts';
import { expectedSample, normaliseRejects, SAMPLE_FILES, type Table } from '../helpers/sample.ts';

let azurite: Azurite;
let service: BlobServiceClient;

beforeAll(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
}, 30_000);

afterAll(async () => {
  await azurite?.stop();
});

interface Env {
  container: string;
  dbFile: string;
  db: Database;
  blob: BlobStore;
  app: ReturnType<typeof createApp>;
  /** Uploads straight to the container, as another system would (not through HireDB). */
  upload(name: string, text: string): Promise<string>;
  loader(): Loader;
  /** Ticks the loader until it has nothing left to claim, and answers every task, oldest first. */
  settle(): Promise<Task[]>;
  /**
   * Resolves when the loader's cron has started polling the container `n` more times. Cron ticks run one
   * after the other, so by then n - 1 of them have finished, queueing included.
   */
  cronPolls(n: number): Promise<void>;
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups = [];
});

/** A fresh container, a fresh SQLite file, the Azure BlobStore on them, the app and (on demand) the loader. */
async function setup(): Promise<Env> {
  const container = `hiredb-${randomUUID()}`;
  await service.createContainer(container);
  const dir = await mkdtemp(join(tmpdir(), 'hiredb-azure-'));
  const dbFile = join(dir, 'hiredb.sqlite');
  const db = openSqliteDatabase(dbFile);
  await db.migrate();
  const blob = await openAzureBlobStore({ connectionString: azurite.connectionString, container });
  // The loader's view of the container counts its polls, so tests wait for cron ticks instead of sleeping.
  let polls = 0;
  let pollWaiters: { at: number; resolve: () => void }[] = [];
  const counted: BlobStore = Object.create(blob, {
    list: {
      value: () => {
        polls++;
        pollWaiters = pollWaiters.filter((w) => (polls >= w.at ? (w.resolve(), false) : true));
        return blob.list();
      },
    },
  });
  let current: Loader | null = null;
  const app = createApp({ db, blob, log: silentLogger, onTaskQueued: () => void current?.tick() });
  cleanups.push(async () => {
    await current?.stop();
    await db.close();
    await rm(dir, { recursive: true, force: true });
    await service.deleteContainer(container);
  });
  const env: Env = {
    container,
    dbFile,
    db,
    blob,
    app,
    async upload(name, text) {
      const res = await service.getContainerClient(container).getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
      return res.etag!.replace(/^"|"$/g, '');
    },
    loader() {
      return (current = startLoader(db, counted, {
        schedule: '*/1 * * * * *',
        batchSize: 1000,
        concurrency: 8,
        leaseMs: 30_000,
        log: silentLogger,
      }));
    },
    async settle() {
      if (!current) throw new Error('start the loader first');
      await current.tick();
      await current.idle();
      return (await db.tasks.list({ limit: 1000, offset: 0 })).tasks.reverse();
    },
    cronPolls(n) {
      return new Promise((resolve) => pollWaiters.push({ at: polls + n, resolve }));
    },
  };
  return env;
}

const summary = (o: { processed: number; inserted: number; already_exists: number; rejected: number }) => ({
  processed: o.processed,
  inserted: o.inserted,
  already_exists: o.already_exists,
  rejected: o.rejected,
});

const etagOf = async (env: Env, name: string) =>
  (await service.getContainerClient(env.container).getBlobClient(name).getProperties()).etag!.replace(/^"|"$/g, '');

describe('the loader on Azure Blob', () => {
  it('loads the sample files uploaded to the container, with the expected summaries, rejects and reports', async () => {
    const env = await setup();
    const versions: Record<string, string> = {};
    for (const [table, path] of Object.entries(SAMPLE_FILES)) versions[`${table}.csv`] = await env.upload(`${table}.csv`, await readFile(path, 'utf8'));
    env.loader();
    const tasks = await env.settle();
    const expected = expectedSample();

    expect(tasks).toHaveLength(3);
    for (const t of tasks) {
      const table = t.table_name as Table;
      expect(t, `${t.file_name}: ${t.error}`).toMatchObject({ status: 'done', error: null, file_version: versions[t.file_name], attempts: 1 });
      expect(t.file_name).toBe(`${table}.csv`);
      expect(t.summary).toEqual(summary(expected.files[table]));
      expect(t.bytes_read).toBe(t.bytes_total);
      const { rejects } = await env.db.tasks.rejects(t.id, { limit: 100_000, offset: 0 });
      expect(normaliseRejects(rejects)).toEqual(expected.files[table].rejects);
    }
    // Departments and jobs went first: hired_employees was validated against them.
    const hired = tasks.find((t) => t.table_name === 'hired_employees')!;
    for (const t of tasks.filter((x) => x !== hired)) expect(t.finished_at!).toBeLessThanOrEqual(hired.started_at!);

    const report = async (name: string) => (await env.app.request(`/api/v1/reports/${name}?year=2021`)).json();
    expect(await report('hired-by-quarter')).toEqual(expected.hiredByQuarter2021);
    expect(await report('hiring-above-average')).toEqual(expected.hiringAboveAverage2021);
  });

  it('PUT /api/v1/files/:name streams the body into the container and queues a load that the loader runs', async () => {
    const env = await setup();
    env.loader();
    const expected = expectedSample();
    const ids: Record<string, number> = {};
    for (const [table, path] of Object.entries(SAMPLE_FILES)) {
      const body = await readFile(path);
      const res = await env.app.request(`/api/v1/files/${table}.csv`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body });
      expect(res.status).toBe(202);
      const answer = await res.json();
      // The file is in the container, byte for byte, and its version is the blob's etag.
      const stored = await service.getContainerClient(env.container).getBlobClient(`${table}.csv`).downloadToBuffer();
      expect(stored.equals(body)).toBe(true);
      expect(answer.file).toEqual({ name: `${table}.csv`, version: await etagOf(env, `${table}.csv`), size: body.length });
      expect(answer).toMatchObject({ created: true, task: { file: `${table}.csv`, table, version: answer.file.version } });
      expect(['queued', 'running', 'done']).toContain(answer.task.status);
      ids[table] = answer.task.id;
    }
    const tasks = await env.settle();
    // The loader's own poll found the same blob versions: one task per upload, no more.
    expect(tasks.map((t) => t.id).sort()).toEqual(Object.values(ids).sort());
    for (const [table, id] of Object.entries(ids)) {
      const res = await env.app.request(`/api/v1/tasks/${id}`);
      const t = await res.json();
      expect(t, JSON.stringify(t)).toMatchObject({ status: 'done', error: null, progress: { percent: 100 } });
      expect(t.summary).toEqual(summary(expected.files[table as Table]));
    }
    const report = await env.app.request('/api/v1/reports/hired-by-quarter?year=2021');
    expect(await report.json()).toEqual(expected.hiredByQuarter2021);
  });

  it('a blob overwritten with new content is loaded again as a new task; an unchanged one is not re-queued', async () => {
    const env = await setup();
    const first = '1,Engineer\n2,Analyst\n3,\n';
    const v1 = await env.upload('jobs.csv', first);
    const deps = await env.upload('departments.csv', '1,Sales\n');
    let loader = env.loader();
    let tasks = await env.settle();
    expect(tasks.map((t) => [t.file_name, t.file_version, t.status]).sort()).toEqual([
      ['departments.csv', deps, 'done'],
      ['jobs.csv', v1, 'done'],
    ]);
    expect(tasks.find((t) => t.file_name === 'jobs.csv')!.summary).toEqual({ processed: 3, inserted: 2, already_exists: 0, rejected: 1 });

    // Unchanged blobs: two whole cron ticks later, still the same two tasks.
    await env.cronPolls(3);
    await loader.tick();
    await loader.idle();
    expect((await env.db.tasks.list({ limit: 100, offset: 0 })).total).toBe(2);
    // Nor does a loader that starts afresh (nothing remembered in memory) queue them again.
    await loader.stop();
    loader = env.loader();
    tasks = await env.settle();
    expect(tasks).toHaveLength(2);

    // New content under the same name: a new etag, a new task, loaded on top of what is there.
    const second = '1,Engineer renamed\n2,Analyst\n4,Designer\n4,Designer again\n';
    const v2 = await env.upload('jobs.csv', second);
    expect(v2).not.toBe(v1);
    tasks = await env.settle();
    expect(tasks).toHaveLength(3);
    expect(tasks[2]).toMatchObject({ file_name: 'jobs.csv', file_version: v2, status: 'done', error: null });
    expect(tasks[2].summary).toEqual({ processed: 4, inserted: 1, already_exists: 2, rejected: 1 });
    const { rejects } = await env.db.tasks.rejects(tasks[2].id, { limit: 10, offset: 0 });
    expect(rejects).toEqual([{ line: 4, id: '4', raw: '4,Designer again', reasons: ['duplicate_id'] }]);
    // Already-present rows were not overwritten.
    const raw = new BetterSqlite3(env.dbFile, { readonly: true });
    try {
      expect(raw.prepare('SELECT id, job FROM jobs ORDER BY id').all()).toEqual([
        { id: 1, job: 'Engineer' },
        { id: 2, job: 'Analyst' },
        { id: 4, job: 'Designer' },
      ]);
    } finally {
      raw.close();
    }
    const res = await env.app.request('/api/v1/tasks?limit=10');
    expect((await res.json()).total).toBe(3);

    // And it is not queued again by the next cron tick either.
    await env.cronPolls(2);
    expect((await env.settle()).length).toBe(3);
  });

  it('a missing container is a clear start-up error naming AZURE_BLOB_CONTAINER', async () => {
    const config = loadConfig({ AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, AZURE_BLOB_CONTAINER: 'no-such-container' });
    await expect(openBlobStore(config)).rejects.toThrow('Azure Blob container "no-such-container" does not exist (AZURE_BLOB_CONTAINER)');

    // The real `hiredb loader` stops at start-up with that message instead of polling nothing.
    const dir = await mkdtemp(join(tmpdir(), 'hiredb-azure-cli-'));
    try {
      const result = await runCli(['loader'], {
        cwd: dir,
        env: {
          DATABASE_URL: `sqlite:${join(dir, 'hiredb.sqlite')}`,
          AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
          AZURE_BLOB_CONTAINER: 'no-such-container',
          LOAD_SCHEDULE: '*/1 * * * * *',
        },
        timeoutMs: 20_000,
      });
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stderr).toContain('Azure Blob container "no-such-container" does not exist (AZURE_BLOB_CONTAINER)');
      expect(result.stderr).not.toContain('AccountKey');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
