// A lost database connection during a load (issue 3): retried with backoff; after the retries the task
// ends failed with the error, and POST /api/v1/tasks/:id/retry resumes it from its checkpoint. HireDB
// talks to PostgreSQL through a TCP proxy that the test cuts (every socket destroyed, new ones refused)
// and restores; results are compared with an uninterrupted load of the same files in another schema.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../shared/adapters/db/postgres.database.ts';
import { openLocalFolderStore } from '../../shared/adapters/blob/local-folder.store.ts';
import { silentLogger } from '../../shared/platform/logger.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import { runTask, type RunTaskOptions } from '../../shared/service/run-task.ts';
import { startLoader } from '../../loader/loader.ts';
import { createApp } from '../../worker/app.ts';
import type { BlobStore } from '../../shared/ports/blob-store.port.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import type { Task } from '../../shared/domain/task.ts';
import { PG_TEST_URL } from '../helpers/databases.ts';
import { HIREDB_BIN, waitFor } from '../helpers/processes.ts';
import { Model } from '../helpers/sample.ts';
import { startProxy, type Proxy } from '../helpers/tcp-proxy.ts';

// ---------------------------------------------------------------------------------------------------
// Files, schemas, loads

const DEPARTMENTS = 8;
const JOBS = 40;
const HIRES = 30_000;
const BATCH_SIZE = 500;
/** Commit units of four parse batches: many commits per load, each spanning several batches. */
const COMMIT = { rows: 4 * BATCH_SIZE, ms: 60_000 };

const FILES: Record<'departments' | 'jobs' | 'hired_employees', string> = {
  departments: ['id,department', ...Array.from({ length: DEPARTMENTS }, (_, i) => `${i + 1},Department ${i + 1}`), '9,', '1,Again'].join('\n') + '\n',
  jobs: [...Array.from({ length: JOBS }, (_, i) => `${i + 1},"Job, ${i + 1}"`), 'x,Bad'].join('\n') + '\n',
  hired_employees: hiredFile(),
};

/** Hires with a bad record about every 60: missing fields, unknown ids, bad datetimes, duplicates near and far. */
function hiredFile(): string {
  const lines: string[] = [];
  const pad = (n: number) => String(n).padStart(2, '0');
  for (let i = 1; i <= HIRES; i++) {
    const dt = `${2020 + (i % 3)}-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}T${pad(i % 24)}:${pad(i % 60)}:00${i % 4 === 0 ? '.25Z' : i % 4 === 1 ? '-03:00' : 'Z'}`;
    const d = 1 + (i % DEPARTMENTS);
    const j = 1 + ((i * 7) % JOBS);
    if (i % 211 === 0) lines.push(`${i},,${dt},${d},${j}`);
    else if (i % 307 === 0) lines.push(`${i},Person ${i},${dt},${DEPARTMENTS + 5},${j}`);
    else if (i % 401 === 0) lines.push(`${i},Person ${i},${dt},${d},${JOBS + 1}`);
    else if (i % 503 === 0) lines.push(`${i},Person ${i},2021-13-01T00:00:00Z,${d},${j}`);
    else if (i % 601 === 0) lines.push(`${i},Person ${i},${dt}`);
    else if (i % 149 === 0) lines.push(`${i - 1},Twin ${i},${dt},${d},${j}`);
    else if (i % 997 === 0) lines.push(`${1 + (i % 100)},From far back ${i},${dt},${d},${j}`);
    else lines.push(`${i},"Person ${i}, Jr.",${dt},${d},${j}`);
  }
  return lines.join('\n') + '\n';
}

const HIRED_LINES = HIRES;
const pgUrl = new URL(PG_TEST_URL);
const admin = new pg.Pool({ connectionString: PG_TEST_URL, max: 2 });
admin.on('error', () => {});
const q = async <T = Record<string, any>>(sql: string, values?: unknown[]): Promise<T[]> => (await admin.query(sql, values)).rows as T[];

let dir = '';
let blob: BlobStore;
let proxy: Proxy;
const schemas: string[] = [];
const handles: Database[] = [];
const REFERENCE = `t_retry_ref_${randomBytes(4).toString('hex')}`;
let reference: Record<string, Task> = {};

async function openSchema(url: string, schema = `t_retry_${randomBytes(5).toString('hex')}`): Promise<{ db: Database; schema: string }> {
  schemas.push(schema);
  const db = await openPostgresDatabase(url, { schema, poolSize: 4 });
  handles.push(db);
  await db.migrate();
  return { db, schema };
}

/** Queues one file of the Blob folder, claims it as `owner` and runs it to its end. */
async function load(db: Database, name: string, opts: Partial<RunTaskOptions> & { owner?: string } = {}): Promise<Task> {
  const entry = (await blob.stat(name))!;
  const { task } = await enqueueFile(db, entry);
  const owner = opts.owner ?? `test:${name}`;
  const claimed = await db.tasks.claim(owner, Date.now(), 60_000);
  expect(claimed?.id).toBe(task.id);
  return runTask(db, claimed!, () => blob.open(name), { owner, batchSize: BATCH_SIZE, commit: COMMIT, leaseMs: 60_000, ...opts });
}

async function loadDimensions(db: Database) {
  for (const table of ['departments', 'jobs'] as const) expect((await load(db, `${table}.csv`)).status).toBe('done');
}

const summaryOf = (t: Task) => t.summary;

/** The schema's hired_employees and the hired task's rejects equal the reference's, row for row. */
async function expectSameAsReference(schema: string, taskId: number) {
  const columns = 'id, name, datetime, department_id, job_id';
  const [counts] = await q(
    `SELECT (SELECT COUNT(*)::int FROM ${schema}.hired_employees) AS live, (SELECT COUNT(*)::int FROM ${REFERENCE}.hired_employees) AS ref`,
  );
  expect(counts.live).toBe(counts.ref);
  expect(await q(`SELECT ${columns} FROM ${schema}.hired_employees EXCEPT ALL SELECT ${columns} FROM ${REFERENCE}.hired_employees LIMIT 3`)).toEqual([]);
  expect(await q(`SELECT ${columns} FROM ${REFERENCE}.hired_employees EXCEPT ALL SELECT ${columns} FROM ${schema}.hired_employees LIMIT 3`)).toEqual([]);
  const rejects = (s: string, id: number) => q(`SELECT line::int, record_id, raw, reasons FROM ${s}.task_rejects WHERE task_id = $1 ORDER BY line`, [id]);
  expect(await rejects(schema, taskId)).toEqual(await rejects(REFERENCE, reference.hired_employees.id));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hiredb-retry-'));
  await mkdir(join(dir, 'blob'));
  for (const [table, text] of Object.entries(FILES)) await writeFile(join(dir, 'blob', `${table}.csv`), text);
  blob = await openLocalFolderStore(join(dir, 'blob'));
  proxy = await startProxy(pgUrl);

  // The uninterrupted load, straight to PostgreSQL.
  const { db } = await openSchema(PG_TEST_URL, REFERENCE);
  await loadDimensions(db);
  reference = { hired_employees: await load(db, 'hired_employees.csv') };
  expect(reference.hired_employees.status).toBe('done');
  const model = new Model();
  model.load('departments', FILES.departments);
  model.load('jobs', FILES.jobs);
  const expected = model.load('hired_employees', FILES.hired_employees);
  expect(summaryOf(reference.hired_employees)).toEqual({
    processed: expected.processed,
    inserted: expected.inserted,
    already_exists: 0,
    rejected: expected.rejected,
  });
});

afterEach(() => {
  proxy?.restore();
});

afterAll(async () => {
  await Promise.allSettled(handles.map((h) => h.close()));
  for (const s of schemas) await q(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => {});
  await admin.end();
  await proxy?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------

describe('a lost database connection during a load', () => {
  it('cut briefly (< 1 s) mid-load: the batch is retried with backoff and the task ends done, as if nothing happened', async () => {
    const { db, schema } = await openSchema(proxy.url);
    await loadDimensions(db);
    let batches = 0;
    let restored: Promise<void> | null = null;
    let cutAt = 0;
    const started = Date.now();
    const task = await load(db, 'hired_employees.csv', {
      onProgress: () => {
        if (++batches !== 15) return;
        cutAt = Date.now();
        proxy.cut();
        // The outage lasts until the loader has tried to reconnect and been refused.
        restored = waitFor('a reconnection refused during the cut', async () => (proxy.stats.refused > 0 ? true : undefined), 30_000, 10).then(() =>
          proxy.restore(),
        );
      },
    });
    await restored;
    expect(task, task.error ?? '').toMatchObject({ status: 'done', error: null, checkpoint_line: HIRED_LINES, attempts: 1 });
    expect(summaryOf(task)).toEqual(summaryOf(reference.hired_employees));
    await expectSameAsReference(schema, task.id);
    // The cut did hit live connections and a retry was refused while it lasted; the load waited it out.
    expect(proxy.stats.cut).toBeGreaterThan(0);
    expect(proxy.stats.refused).toBeGreaterThan(0);
    expect(cutAt).toBeGreaterThan(started);
  });

  it('cut for longer than the retries: the task ends failed with the error, keeps what it committed, and resumes on retry', async () => {
    const { db, schema } = await openSchema(proxy.url);
    await loadDimensions(db);
    // The outage lasts until the load has given up: the task is marked failed once the database is back.
    const observed: Database = {
      ...db,
      tasks: {
        ...db.tasks,
        finish: (id, owner, outcome, now) => {
          if (outcome.error !== null) proxy.restore();
          return db.tasks.finish(id, owner, outcome, now);
        },
      },
    };
    let commits = 0;
    const failed = await load(observed, 'hired_employees.csv', {
      retry: { attempts: 3 }, // at most 200 + 400 ms of backoff, then the load gives up
      onProgress: () => {
        if (++commits === 5) proxy.cut(); // after 20 parse batches
      },
    });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/Connection terminated|ECONNRESET|ECONNREFUSED|connection/i);
    expect(failed.lease_owner).toBeNull();
    // What was committed before the cut stays, consistent with the checkpoint and the counts.
    expect(failed.checkpoint_line).toBeGreaterThan(0);
    expect(failed.checkpoint_line).toBeLessThan(HIRED_LINES);
    const s = failed.summary;
    expect(s.processed).toBe(s.inserted + s.already_exists + s.rejected);
    expect(s.inserted).toBeGreaterThanOrEqual(20 * BATCH_SIZE - 100);
    const [stored] = await q(`SELECT COUNT(*)::int AS n, MAX(id)::int AS max FROM ${schema}.hired_employees`);
    expect(stored.n).toBe(s.inserted);
    const [rejects] = await q(`SELECT COUNT(*)::int AS n, MAX(line)::int AS max FROM ${schema}.task_rejects WHERE task_id = $1`, [failed.id]);
    expect(rejects.n).toBe(s.rejected);
    expect(rejects.max).toBeLessThanOrEqual(failed.checkpoint_line);

    // Retry through the API: queued again, checkpoint and counts kept.
    const app = createApp({ db, blob, log: silentLogger });
    const res = await app.request(`/api/v1/tasks/${failed.id}/retry`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      id: failed.id,
      status: 'queued',
      error: null,
      progress: { line: failed.checkpoint_line },
      summary: failed.summary,
    });
    expect((await app.request(`/api/v1/tasks/${failed.id}/retry`, { method: 'POST' })).status).toBe(409);

    // The loader picks it up again and resumes after the checkpoint.
    const loader = startLoader(db, blob, { schedule: '*/1 * * * * *', batchSize: BATCH_SIZE, commit: COMMIT, concurrency: 2, leaseMs: 60_000, log: silentLogger });
    try {
      await loader.tick();
      await loader.idle();
    } finally {
      await loader.stop();
    }
    const done = (await db.tasks.get(failed.id))!;
    expect(done, done.error ?? '').toMatchObject({ status: 'done', error: null, checkpoint_line: HIRED_LINES, attempts: 2 });
    expect(summaryOf(done)).toEqual(summaryOf(reference.hired_employees));
    await expectSameAsReference(schema, done.id);
    expect((await db.tasks.list({ limit: 10, offset: 0 })).total).toBe(3); // the poll found no new file version
  });

  // The ambiguous case: the server committed the batch (rows, rejects, checkpoint) but the client never heard
  // so. Retrying it blindly would count its rows again as already_exists, or fail on its rejects' keys.
  it('a batch whose COMMIT went through but whose answer was lost is neither doubled nor failed when retried', async () => {
    const { db, schema } = await openSchema(proxy.url);
    await loadDimensions(db);
    let batches = 0;
    const task = await load(db, 'hired_employees.csv', {
      onProgress: () => {
        if (++batches === 10) proxy.loseNextCommitAnswer();
      },
    });
    expect(proxy.stats.lostCommitAnswers).toBe(1);
    expect(task, task.error ?? '').toMatchObject({ status: 'done', error: null, checkpoint_line: HIRED_LINES });
    expect(summaryOf(task)).toEqual(summaryOf(reference.hired_employees));
    await expectSameAsReference(schema, task.id);
  });
});

describe('a lost database connection in a real `hiredb loader` process', () => {
  it('survives a brief cut mid-load and finishes the task with the uninterrupted summary', async () => {
    const schema = `t_retry_proc_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    await q(`CREATE SCHEMA ${schema}`);
    const url = new URL(proxy.url);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(base)) {
      if (/^(DATABASE_URL|BLOB_DIR|PORT|HOST|LOAD_|BATCH_SIZE|AZURE_|HIREDB_|NODE_OPTIONS$|VITEST)/.test(key)) delete base[key];
    }
    const child = spawn(process.execPath, [HIREDB_BIN, 'loader'], {
      cwd: dir,
      env: {
        ...base,
        DATABASE_URL: url.toString(),
        BLOB_DIR: join(dir, 'blob'),
        LOAD_SCHEDULE: '*/1 * * * * *',
        BATCH_SIZE: '250', // many small commits: the cut surely finds a batch transaction open
        LOAD_LEASE_MS: '30000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const hired = async () =>
        (await q(`SELECT id::int, status, checkpoint_line::int AS line FROM ${schema}.tasks WHERE table_name = 'hired_employees'`).catch(() => []))[0];
      await waitFor('the hired_employees task to be running', async () => ((await hired())?.line > 1_000 ? true : undefined), 30_000, 5);
      const before = { ...proxy.stats };
      proxy.cut();
      // The cut hit live connections of the loader, and the loader tried to reconnect while it lasted.
      expect(proxy.stats.cut).toBeGreaterThan(before.cut);
      await waitFor('a reconnection to be refused', async () => (proxy.stats.refused > before.refused ? true : undefined), 10_000, 5);
      proxy.restore();
      const end = await waitFor(
        'the task to end or the loader to exit',
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) return 'exited';
          const t = await hired();
          return t?.status === 'done' || t?.status === 'failed' ? 'ended' : undefined;
        },
        30_000,
        20,
      );
      expect(end, `the loader process died:\n${output}`).toBe('ended');
      const [task] = await q(`SELECT id::int, status, error, processed::int, inserted::int, already_exists::int, rejected::int
        FROM ${schema}.tasks WHERE table_name = 'hired_employees'`);
      expect(task).toMatchObject({ status: 'done', error: null, ...summaryOf(reference.hired_employees) });
      await expectSameAsReference(schema, task.id);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  });
});
