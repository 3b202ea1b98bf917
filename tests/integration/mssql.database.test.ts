/**
 * The SQL Server / Azure SQL adapter against a real server. Runs only when MSSQL_URL is set, e.g.
 *   MSSQL_URL='mssql://sa:Passw0rd%21@127.0.0.1:1433/master?trustServerCertificate=true'
 * (an ADO.NET string works too). The login must be allowed to CREATE DATABASE: every run works in a
 * scratch database `hiredb_test_<random>` that it creates and drops, never in the one MSSQL_URL names.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError, type Database } from '../../shared/ports/database.port.ts';
import { openMssqlDatabase } from '../../shared/adapters/db/mssql.database.ts';
import { openMssqlExecutor } from '../../shared/adapters/db/mssql-pool.ts';
import { int, type SqlExecutor } from '../../shared/adapters/db/mssql-executor.ts';
import { TransientError } from '../../shared/domain/errors.ts';
import { readMigrations } from '../../shared/adapters/db/migrations.ts';
import { sortHiredByQuarter, sortHiringAboveAverage } from '../../shared/domain/reports.ts';
import {
  dept,
  epochMicros,
  expectQueuedVersionsAnswered,
  expectQueuedVersionsOfALongList,
  hire,
  job,
  newTask,
  range,
  REPORT_ABOVE_AVERAGE_2021,
  REPORT_ABOVE_AVERAGE_2022,
  REPORT_DEPARTMENTS,
  REPORT_HIRED_BY_QUARTER_2021,
  REPORT_HIRES_5_TO_15,
  REPORT_JOBS,
} from '../helpers/db-fixtures.ts';

const MSSQL_URL = process.env.MSSQL_URL?.trim();
if (!MSSQL_URL) console.warn('MSSQL_URL not set: SQL Server integration tests skipped');

/** The same connection, on another database. */
function withDatabase(connection: string, database: string): string {
  if (/^(mssql|sqlserver):\/\//i.test(connection)) {
    const url = new URL(connection);
    url.pathname = `/${database}`;
    return url.toString();
  }
  return `${connection.replace(/[;\s]*$/, '')};Database=${database}`; // the last Database wins
}

describe.skipIf(!MSSQL_URL)('SQL Server adapter (MSSQL_URL)', () => {
  const scratch = `hiredb_test_${randomBytes(5).toString('hex')}`;
  let admin: SqlExecutor;
  let raw: SqlExecutor;
  let db: Database;
  let other: Database;

  beforeAll(async () => {
    admin = await openMssqlExecutor(MSSQL_URL!, { poolSize: 1 });
    await admin.query(`CREATE DATABASE [${scratch}];`);
    const url = withDatabase(MSSQL_URL!, scratch);
    db = await openMssqlDatabase(url, { poolSize: 4 });
    other = await openMssqlDatabase(url, { poolSize: 4 });
    raw = await openMssqlExecutor(url, { poolSize: 1 });
    // Several migrators at once, as several loaders starting together would.
    await Promise.all([db.migrate(), other.migrate(), db.migrate()]);
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled([db?.close(), other?.close(), raw?.close()]);
    if (!admin) return;
    try {
      await admin.query(`ALTER DATABASE [${scratch}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;`).catch(() => {}); // not on Azure SQL
      await admin.query(`DROP DATABASE [${scratch}];`);
    } finally {
      await admin.close();
    }
  }, 120_000);

  beforeEach(async () => {
    await raw.query(`DELETE FROM task_rejects; DELETE FROM tasks;
      DELETE FROM hired_employees; DELETE FROM departments; DELETE FROM jobs;`);
  });

  const storedIds = async (table: string) => (await raw.query(`SELECT id FROM ${table} ORDER BY id;`)).map((r) => Number(r.id));

  it('migrated once, and migrating again changes nothing', async () => {
    expect(db.dialect).toBe('mssql');
    expect((await raw.query('SELECT version FROM schema_migrations;')).map((r) => r.version)).toEqual(readMigrations('mssql').map((m) => m.version));
    await db.insertBatch('departments', [dept(1, 'Sales')]);
    const version = await db.dataVersion();
    await db.migrate();
    expect(await db.dimensionIds('departments')).toEqual(new Set([1]));
    expect(await db.dataVersion()).toBe(version);
  });

  it('insertBatch counts inserted and already_exists and never overwrites', async () => {
    const v0 = await db.dataVersion();
    expect(await db.insertBatch('departments', [dept(1, 'Sales'), dept(2, 'Legal')])).toEqual({ inserted: 2, already_exists: 0 });
    expect(await db.insertBatch('departments', [dept(2, 'Renamed'), dept(3, 'Support')])).toEqual({ inserted: 1, already_exists: 1 });
    expect(await db.insertBatch('departments', [])).toEqual({ inserted: 0, already_exists: 0 });
    expect(await raw.query('SELECT id, department FROM departments ORDER BY id;')).toEqual([
      { id: 1, department: 'Sales' },
      { id: 2, department: 'Legal' },
      { id: 3, department: 'Support' },
    ]);
    const v1 = await db.dataVersion();
    expect(v1).toBe(v0 + 2);
    expect(await db.insertBatch('departments', [dept(1, 'x')])).toEqual({ inserted: 0, already_exists: 1 });
    expect(await db.dataVersion()).toBe(v1);

    const names = ['Tab\there', 'CR\r\nLF', "Quote \" and ' and ,", 'Ünïcødé 😀 日本語', 'x'.repeat(100)];
    expect(await db.insertBatch('jobs', names.map((n, i) => job(i + 1, n)).concat(job(2147483647, 'Max id')))).toEqual({
      inserted: 6,
      already_exists: 0,
    });
    expect((await raw.query('SELECT job FROM jobs WHERE id < 100 ORDER BY id;')).map((r) => r.job)).toEqual(names);

    const rows = range(1, 5000).map((id) => hire(id, `2021-0${1 + (id % 9)}-15T10:00:00.${String(id).padStart(6, '0')}Z`, 1 + (id % 3), 1 + (id % 5)));
    expect(await db.insertBatch('hired_employees', rows)).toEqual({ inserted: 5000, already_exists: 0 });
    expect(await db.insertBatch('hired_employees', rows.slice(4990).concat(hire(5001, '2021-01-01T00:00:00Z', 1, 1)))).toEqual({
      inserted: 1,
      already_exists: 10,
    });
  });

  it('stores microseconds in UTC, and counts every id once across overlapping concurrent batches', async () => {
    const edge = [
      hire(1, '2021-03-31T23:59:59.999999Z', 1, 1),
      hire(2, '2021-04-01T00:00:00Z', 1, 1),
      hire(3, '2021-07-01T08:30:15.5Z', 2, 2),
      hire(4, '2022-01-01T00:00:00.000001Z', 2, 1),
      hire(5, '2021-03-31T00:00:00Z', 1, 1),
    ];
    expect(await db.insertBatch('hired_employees', edge)).toEqual({ inserted: 5, already_exists: 0 });
    const stored = await raw.query(
      "SELECT id, CAST(DATEDIFF_BIG(MICROSECOND, '1970-01-01', datetime) AS VARCHAR(30)) AS micros FROM hired_employees ORDER BY id;",
    );
    expect(stored.map((r) => BigInt(String(r.micros)))).toEqual(edge.map((h) => epochMicros(h.datetime)));

    // Overlapping batches from two connection pools at once: every id counted once, and stored once.
    const batch = (ids: number[], seed: number) =>
      ids.map((id) => hire(id, `2021-${String(1 + ((id * seed) % 12)).padStart(2, '0')}-0${1 + (id % 9)}T12:00:00Z`, 1 + (id % 4), 1 + (id % 3)));
    const batches = [batch(range(100, 299), 1), batch(range(200, 399), 2), batch(range(150, 349), 3), batch(range(100, 399), 4)];
    const results = await Promise.all(batches.map((rows, i) => (i % 2 ? other : db).insertBatch('hired_employees', rows)));
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(300);
    expect(results.reduce((n, r) => n + r.already_exists, 0)).toBe(900 - 300);
    expect(await storedIds('hired_employees')).toEqual([1, 2, 3, 4, 5, ...range(100, 399)]);
  });

  it('overlaps two batches of one task and commits them in file order, even when their id ranges interleave', async () => {
    await db.tasks.enqueue(newTask('hired_employees.csv', 'hired_employees'), 1_000);
    const task = (await db.tasks.claim('loader-1', 1_000, 600_000))!;
    const checkpoint = (line: number, after?: Promise<unknown>) => ({ taskId: task.id, owner: 'loader-1', line, bytesRead: line * 10, rejects: [], after });
    const rows = (ids: number[]) => ids.map((id) => hire(id, '2021-05-05T05:05:05Z', 1, 1));
    // Even ids in the first batch, odd ones (and three evens again) in the second: the ranges interleave
    // fully, and the second batch starts first, so it would hold the locks the first needs if it took any.
    const second = rows([...range(0, 2999).map((i) => 2 * i + 1), 2, 4, 6]);
    let startFirst!: () => void;
    const firstStarted = new Promise<void>((resolve) => (startFirst = resolve));
    const first = firstStarted.then(() => db.insertBatch('hired_employees', rows(range(1, 3000).map((i) => 2 * i)), checkpoint(3000)));
    // The second batch reaches its wait for the first once it asks for the first's outcome.
    let waiting!: () => void;
    const secondWaits = new Promise<void>((resolve) => (waiting = resolve));
    const watched = new Proxy(first, {
      get(target, key) {
        if (key === 'then' || key === 'catch') waiting();
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const secondDone = db.insertBatch('hired_employees', second, checkpoint(6003, watched));
    await secondWaits;
    expect(await db.tasks.get(task.id)).toMatchObject({ checkpoint_line: 0 }); // the second waits for the first
    startFirst();
    expect(await first).toEqual({ inserted: 3000, already_exists: 0 });
    expect(await secondDone).toEqual({ inserted: 3000, already_exists: 3 });
    expect(await db.tasks.get(task.id)).toMatchObject({
      checkpoint_line: 6003,
      bytes_read: 60_030,
      summary: { processed: 6003, inserted: 6000, already_exists: 3, rejected: 0 },
    });
    expect(await storedIds('hired_employees')).toEqual(range(1, 6000));
  }, 60_000);

  it('rolls back a batch whose previous batch failed, and fails with that error', async () => {
    await db.tasks.enqueue(newTask('departments.csv', 'departments'), 1_000);
    const task = (await db.tasks.claim('loader-1', 1_000, 60_000))!;
    const version = await db.dataVersion();
    const failure = new Error('previous batch failed');
    const after = Promise.reject(failure);
    after.catch(() => {});
    const rejects = [{ line: 2, id: 'x', raw: 'x', reasons: ['invalid_id' as const] }];
    await expect(
      db.insertBatch('departments', [dept(1, 'Sales')], { taskId: task.id, owner: 'loader-1', line: 3, bytesRead: 30, rejects, after }),
    ).rejects.toBe(failure);
    expect(await storedIds('departments')).toEqual([]);
    expect(await db.dataVersion()).toBe(version);
    expect(await db.tasks.get(task.id)).toMatchObject({ checkpoint_line: 0, summary: { processed: 0, rejected: 0 } });
    expect((await db.tasks.rejects(task.id, { limit: 10, offset: 0 })).total).toBe(0);
    // The session is clean again: the next batch on the pool works.
    expect(await db.insertBatch('departments', [dept(1, 'Sales')])).toEqual({ inserted: 1, already_exists: 0 });
  });

  it('ends a statement past its request timeout with a TransientError, its transaction rolled back', async () => {
    const slow = await openMssqlExecutor(withDatabase(MSSQL_URL!, scratch), { poolSize: 1, requestTimeoutMs: 1000 });
    try {
      const error = await slow
        .transaction(async (tx) => {
          await tx.query("INSERT INTO departments (id, department) VALUES (@id, N'Slow');", { id: int(77) });
          await tx.query("WAITFOR DELAY '00:00:05';");
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect(((error as Error).cause as { code?: string }).code).toBe('ETIMEOUT');
      // One connection in the pool: the next call gets it (or its replacement), outside any transaction.
      expect(await slow.query('SELECT @@TRANCOUNT AS n;')).toEqual([{ n: 0 }]);
      expect(await storedIds('departments')).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('claims dimension files first, one owner per task, and finishes under the lease', async () => {
    const h = (await db.tasks.enqueue(newTask('hired_employees.csv', 'hired_employees'), 1_000)).task;
    const d = (await db.tasks.enqueue(newTask('departments.csv', 'departments'), 1_001)).task;
    const j = (await db.tasks.enqueue(newTask('jobs.csv', 'jobs'), 1_002)).task;
    expect(await db.tasks.enqueue(newTask('jobs.csv', 'jobs'), 1_003)).toMatchObject({ created: false, task: { id: j.id } });

    const claims = await Promise.all(range(1, 6).map((i) => (i % 2 ? db : other).tasks.claim(`owner-${i}`, 2_000, 10_000)));
    const won = claims.filter((c) => c !== null);
    expect(won.map((c) => c!.id).sort()).toEqual([d.id, j.id].sort());
    expect(won[0]).toMatchObject({ status: 'running', attempts: 1, started_at: 2_000, lease_expires_at: 12_000 });
    expect(await db.tasks.claim('late', 2_001, 10_000)).toBeNull(); // hired_employees waits for the dimensions

    const ownerOf = (id: number) => won.find((c) => c!.id === id)!.lease_owner!;
    expect(await db.tasks.finish(d.id, 'someone-else', { error: null }, 3_000)).toBe(false);
    expect(await db.tasks.finish(d.id, ownerOf(d.id), { error: null }, 3_000)).toBe(true);
    expect(await db.tasks.finish(j.id, ownerOf(j.id), { error: 'boom' }, 3_001)).toBe(true);
    expect(await db.tasks.get(j.id)).toMatchObject({ status: 'failed', error: 'boom', finished_at: 3_001, lease_owner: null });
    const next = await db.tasks.claim('c', 3_002, 100);
    expect(next?.id).toBe(h.id);
    expect(await db.tasks.renew(h.id, 'c', 3_050, 100)).toBe(true);
    expect(await db.tasks.claim('d', 3_150, 100)).toBeNull(); // lease until 3_150: not yet past
    expect(await db.tasks.claim('d', 3_151, 100)).toMatchObject({ id: h.id, lease_owner: 'd', attempts: 2, started_at: 3_002 });
    expect(await db.tasks.renew(h.id, 'c', 3_152, 100)).toBe(false);

    expect((await db.tasks.retry(j.id, 4_000))?.status).toBe('queued');
    const page = await db.tasks.list({ limit: 2, offset: 0 });
    expect(page.total).toBe(3);
    expect(page.tasks.map((t) => t.id)).toEqual([j.id, d.id].sort((a, b) => b - a));
  });

  it('answers which file versions are queued, in one query however long the list', async () => {
    await expectQueuedVersionsAnswered(db);
    await raw.query('DELETE FROM tasks;');
    await expectQueuedVersionsOfALongList(db);
  });

  it('commits rejects and the checkpoint with the batch, and writes nothing once the lease is lost', async () => {
    await db.insertBatch('departments', [dept(1, 'Existing')]);
    await db.tasks.enqueue(newTask('departments.csv', 'departments'), 1_000);
    const task = (await db.tasks.claim('loader-1', 1_000, 60_000))!;
    const rejects = [
      { line: 3, id: '7', raw: '7,', reasons: ['missing_department' as const] },
      { line: 2, id: null, raw: 'garbage\twith "tab" ü', reasons: ['field_count' as const] },
    ];
    expect(
      await db.insertBatch('departments', [dept(1, 'Again'), dept(2, 'New')], { taskId: task.id, owner: 'loader-1', line: 4, bytesRead: 80, rejects }),
    ).toEqual({ inserted: 1, already_exists: 1 });
    expect(await db.tasks.get(task.id)).toMatchObject({
      checkpoint_line: 4,
      bytes_read: 80,
      summary: { processed: 4, inserted: 1, already_exists: 1, rejected: 2 },
    });
    expect(await db.tasks.rejects(task.id, { limit: 10, offset: 0 })).toEqual({ rejects: [rejects[1], rejects[0]], total: 2 });

    const version = await db.dataVersion();
    await expect(
      db.insertBatch('departments', [dept(3, 'Lost')], { taskId: task.id, owner: 'loader-2', line: 9, bytesRead: 99, rejects: [{ line: 8, id: 'x', raw: 'x', reasons: ['invalid_id'] }] }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await db.dimensionIds('departments')).toEqual(new Set([1, 2]));
    expect(await db.dataVersion()).toBe(version);
    expect((await db.tasks.rejects(task.id, { limit: 10, offset: 0 })).total).toBe(2);
    expect(await db.tasks.get(task.id)).toMatchObject({ checkpoint_line: 4, summary: { processed: 4 } });
  });

  it('answers both reports on a small data set, telling Sales from sales', async () => {
    await db.insertBatch('departments', REPORT_DEPARTMENTS);
    await db.insertBatch('jobs', REPORT_JOBS);
    await db.insertBatch('hired_employees', [
      hire(1, '2021-01-01T00:00:00Z', 1, 1),
      hire(2, '2021-03-31T23:59:59.999999Z', 1, 1),
      hire(3, '2021-04-01T00:00:00Z', 1, 2),
      hire(4, '2021-09-30T23:59:59Z', 1, 3),
      ...REPORT_HIRES_5_TO_15,
      hire(16, '2020-12-31T23:59:59.999999Z', 3, 1),
      hire(17, '2022-01-01T00:00:00Z', 4, 1),
      hire(18, '2022-03-03T03:03:03Z', 4, 2),
      hire(19, '2022-04-04T04:04:04Z', 1, 1),
      hire(20, '9999-12-31T23:59:59.999999Z', 5, 3),
      hire(21, '0001-01-01T00:00:00Z', 2, 2),
    ]);

    expect(sortHiredByQuarter(await db.reports.hiredByQuarter(2021))).toEqual(REPORT_HIRED_BY_QUARTER_2021);
    expect(await db.reports.hiredByQuarter(9999)).toEqual([{ department: 'Legal', job: 'analyst', Q1: 0, Q2: 0, Q3: 0, Q4: 1 }]);
    expect(await db.reports.hiredByQuarter(1)).toEqual([{ department: 'sales', job: 'Analyst', Q1: 1, Q2: 0, Q3: 0, Q4: 0 }]);
    expect(await db.reports.hiredByQuarter(1999)).toEqual([]);

    // 2021: Sales 5, sales 5, Engineering 3 (the mean exactly: not above), Empty 0, Legal 2.
    expect(sortHiringAboveAverage(await db.reports.hiringAboveAverage(2021))).toEqual(REPORT_ABOVE_AVERAGE_2021);
    // 2022: Empty 2, Sales 1, others 0: mean 0.6.
    expect(sortHiringAboveAverage(await db.reports.hiringAboveAverage(2022))).toEqual(REPORT_ABOVE_AVERAGE_2022);
    expect(await db.reports.hiringAboveAverage(1999)).toEqual([]);
  });
});
