import { describe, expect, it } from 'vitest';
import {
  ADVANCE_TASK,
  BUMP_VERSION,
  CLAIM,
  ENQUEUE,
  EXISTING_TASK_KEYS,
  FOLD_PENDING,
  HAS_PENDING,
  HIRED_BY_QUARTER,
  HIRED_BY_QUARTER_FROM_ROLLUP,
  HIRING_ABOVE_AVERAGE,
  HIRING_ABOVE_AVERAGE_FROM_ROLLUP,
  INSERT_FROM_STAGING,
  splitSqlBatches,
} from '../../shared/adapters/db/mssql.sql.ts';
import type { SqlParams } from '../../shared/adapters/db/mssql-executor.ts';
import { mssqlDedupeKey, yearRange } from '../../shared/adapters/db/mssql-params.ts';
import { readMigrations, taskDedupeKey } from '../../shared/adapters/db/migrations.ts';
import { fileVersionKey } from '../../shared/domain/task.ts';
import { norm, recorder, taskRow } from '../helpers/mssql-fake.ts';
import { range } from '../helpers/db-fixtures.ts';

// ----------------------------------------------------------------------------------------- tasks

describe('mssql tasks SQL', () => {
  it('claims in one UPDATE that skips locked rows and takes dimension files first', async () => {
    const r = recorder(() => [taskRow()]);
    const task = await r.db.tasks.claim('loader-a', 1_700_000_000_000, 30_000);
    const [q] = r.queries();
    expect(r.queries()).toHaveLength(1);
    expect(q.sql).toBe(CLAIM);
    const sql = norm(q.sql);
    expect(sql).toMatch(/SELECT TOP \(1\) t\.\* FROM tasks t WITH \(UPDLOCK, READPAST, ROWLOCK\)/);
    expect(sql).toContain("ORDER BY CASE WHEN t.table_name = N'hired_employees' THEN 1 ELSE 0 END, t.id");
    expect(sql).toContain(
      "t.table_name <> N'hired_employees' OR NOT EXISTS ( SELECT 1 FROM tasks d WHERE d.table_name IN (N'departments', N'jobs') AND d.status IN (N'queued', N'running'))",
    );
    expect(sql).toContain("(t.status = N'queued' OR (t.status = N'running' AND t.lease_expires_at < @now))");
    expect(sql).toMatch(/UPDATE next_task SET status = N'running'.*attempts = attempts \+ 1.*OUTPUT inserted\.\*;$/);
    expect(q.params).toEqual({
      owner: { type: 'NVarChar', value: 'loader-a' },
      now: { type: 'BigInt', value: 1_700_000_000_000 },
      expires: { type: 'BigInt', value: 1_700_000_030_000 },
    });
    // BIGINT strings from the driver become numbers.
    expect(task).toMatchObject({ id: 7, status: 'running', bytes_total: 120, lease_expires_at: 1_700_000_030_000, summary: { processed: 0 } });
  });

  it('claims nothing when the UPDATE outputs no row', async () => {
    const r = recorder(() => []);
    expect(await r.db.tasks.claim('loader-a', 1, 1)).toBeNull();
  });

  it('enqueues with an insert guarded by the dedupe key, or answers the existing task', async () => {
    const fresh = recorder(() => [taskRow({ status: 'queued', created: 1 })]);
    const t = { file_name: 'jobs.csv', file_version: '"0x8D"', table_name: 'jobs' as const, bytes_total: 42 };
    const made = await fresh.db.tasks.enqueue(t, 1000);
    expect(made.created).toBe(true);
    const [q] = fresh.queries();
    expect(q.sql).toBe(ENQUEUE);
    expect(norm(q.sql)).toContain('WHERE NOT EXISTS (SELECT 1 FROM tasks WITH (UPDLOCK, HOLDLOCK) WHERE dedupe_key = @key);');
    expect(norm(q.sql)).toContain('IF @@ROWCOUNT = 0 SELECT *, 0 AS created FROM tasks WHERE dedupe_key = @key;');
    expect(q.params).toMatchObject({
      key: { type: 'NVarChar', value: taskDedupeKey(t) },
      status: { type: 'NVarChar', value: 'queued' },
      error: { type: 'NVarChar', value: null },
      slice_start: { type: 'BigInt', value: null },
      bytes_total: { type: 'BigInt', value: 42 },
      now: { type: 'BigInt', value: 1000 },
    });

    const again = recorder(() => [taskRow({ status: 'queued', created: 0 })]);
    expect((await again.db.tasks.enqueue(t, 2000)).created).toBe(false);

    const leased = recorder(() => [taskRow({ status: 'running', created: 1 })]);
    await leased.db.tasks.enqueue({ ...t, lease: { owner: 'cli-1', expiresAt: 61_000 } }, 1000);
    expect(leased.queries()[0].params).toMatchObject({
      status: { value: 'running' },
      owner: { type: 'NVarChar', value: 'cli-1' },
      expires: { type: 'BigInt', value: 61_000 },
    });
    expect(norm(ENQUEUE)).toContain(
      "@bytes_total, @owner, @expires, CASE WHEN @status = N'running' THEN 1 ELSE 0 END, @now, @now, CASE WHEN @status = N'running' THEN @now END, CASE WHEN @status = N'failed' THEN @now END",
    );

    const failed = recorder(() => [taskRow({ status: 'failed', created: 1 })]);
    await failed.db.tasks.enqueue({ file_name: 'x.txt', file_version: 'v', table_name: null, bytes_total: 1, error: 'no table' }, 5);
    expect(failed.queries()[0].params).toMatchObject({ status: { value: 'failed' }, error: { value: 'no table' }, table_name: { value: null } });
  });

  it('keeps dedupe keys of long file names within NVARCHAR(450) and distinct', () => {
    const long = (n: string) => ({ file_name: 'x'.repeat(800) + n + '.csv', file_version: 'v', table_name: null, bytes_total: 0 });
    const a = mssqlDedupeKey(long('a'));
    const b = mssqlDedupeKey(long('b'));
    expect(a.length).toBeLessThanOrEqual(450);
    expect(a).not.toBe(b);
    const short = { file_name: 'jobs.csv', file_version: 'v', table_name: 'jobs' as const, bytes_total: 0 };
    expect(mssqlDedupeKey(short)).toBe(taskDedupeKey(short));
  });

  it('asks which file versions are queued in one query, the keys as one JSON parameter, whatever their number', async () => {
    const files = range(1, 5000).map((i) => ({ file_name: `jobs_${i}.csv`, file_version: `v${i}` }));
    const long = { file_name: `${'x'.repeat(800)}.csv`, file_version: 'v' };
    files.push(long);
    const hashed = mssqlDedupeKey(long);
    const r = recorder(() => [{ dedupe_key: taskDedupeKey(files[2]) }, { dedupe_key: hashed }]);
    const queued = await r.db.tasks.queuedVersions(files);
    expect(queued).toEqual(new Set([fileVersionKey(files[2]), fileVersionKey(long)]));
    const [q] = r.queries();
    expect(r.queries()).toHaveLength(1);
    expect(q.sql).toBe(EXISTING_TASK_KEYS);
    expect(norm(q.sql)).toBe(
      "SELECT t.dedupe_key FROM OPENJSON(@keys) WITH (dedupe_key NVARCHAR(450) '$') k JOIN tasks t ON t.dedupe_key = k.dedupe_key COLLATE Latin1_General_BIN2;",
    );
    expect(q.params.keys.type).toBe('NVarChar');
    // Whole-file keys (no slice), as enqueue stores them: a long name's is the hashed one that fits the column.
    expect(JSON.parse(String(q.params.keys.value))).toEqual(files.map((f) => mssqlDedupeKey(f)));
    expect(hashed.length).toBeLessThanOrEqual(450);

    const none = recorder();
    expect(await none.db.tasks.queuedVersions([])).toEqual(new Set());
    expect(none.queries()).toHaveLength(0);
  });

  it('renews and finishes only the lease holder, reading @@ROWCOUNT', async () => {
    const held = recorder(() => [{ n: 1 }]);
    expect(await held.db.tasks.renew(7, 'loader-a', 100, 50)).toBe(true);
    expect(await held.db.tasks.finish(7, 'loader-a', { error: null }, 200)).toBe(true);
    expect(await held.db.tasks.finish(7, 'loader-a', { error: 'boom' }, 300)).toBe(true);
    const [renew, done, failed] = held.queries();
    for (const q of [renew, done, failed]) {
      expect(norm(q.sql)).toMatch(/WHERE id = @id AND lease_owner = @owner AND status = N'running'; SELECT @@ROWCOUNT AS n;$/);
    }
    expect(renew.params).toMatchObject({ id: { type: 'Int', value: 7 }, expires: { type: 'BigInt', value: 150 } });
    expect(done.params).toMatchObject({ status: { value: 'done' }, error: { value: null } });
    expect(failed.params).toMatchObject({ status: { value: 'failed' }, error: { value: 'boom' } });
    expect(norm(done.sql)).toContain('lease_owner = NULL, lease_expires_at = NULL');

    const lost = recorder(() => [{ n: 0 }]);
    expect(await lost.db.tasks.renew(7, 'loader-b', 100, 50)).toBe(false);
    expect(await lost.db.tasks.finish(7, 'loader-b', { error: null }, 1)).toBe(false);
  });

  it('retries only failed tasks that have a table', async () => {
    const r = recorder(() => [taskRow({ status: 'queued' })]);
    expect((await r.db.tasks.retry(7, 9))?.status).toBe('queued');
    expect(norm(r.queries()[0].sql)).toBe(
      "UPDATE tasks SET status = N'queued', error = NULL, finished_at = NULL, updated_at = @now OUTPUT inserted.* WHERE id = @id AND status = N'failed' AND table_name IS NOT NULL;",
    );
  });

  it('pages tasks and rejects with OFFSET/FETCH, never FETCH 0 or a negative OFFSET', async () => {
    const r = recorder((sql) => {
      if (sql.includes('COUNT_BIG')) return [{ n: '3' }];
      if (sql.includes('task_rejects')) return [{ task_id: 7, line: '4', record_id: 'x', raw: 'x,y', reasons: 'invalid_id,field_count' }];
      return [taskRow({ id: 9 }), taskRow({ id: 8 })];
    });
    const page = await r.db.tasks.list({ limit: 2, offset: -5 });
    expect(page.total).toBe(3);
    expect(page.tasks.map((t) => t.id)).toEqual([9, 8]);
    const [list] = r.queries();
    expect(list.sql).toBe('SELECT * FROM tasks ORDER BY id DESC OFFSET @offset ROWS FETCH NEXT @limit ROWS ONLY;');
    expect(list.params).toEqual({ offset: { type: 'BigInt', value: 0 }, limit: { type: 'BigInt', value: 2 } });

    const before = r.queries().length;
    expect((await r.db.tasks.list({ limit: 0, offset: 0 })).tasks).toEqual([]);
    expect(r.queries().slice(before).map((q) => q.sql)).toEqual(['SELECT COUNT_BIG(*) AS n FROM tasks;']);

    const rejects = await r.db.tasks.rejects(7, { limit: 10, offset: 0 });
    expect(rejects).toEqual({ rejects: [{ line: 4, id: 'x', raw: 'x,y', reasons: ['invalid_id', 'field_count'] }], total: 3 });
    const listRejects = r.queries().find((q) => q.sql.startsWith('SELECT * FROM task_rejects'))!;
    expect(listRejects.sql).toContain('WHERE task_id = @id ORDER BY line OFFSET @offset ROWS FETCH NEXT @limit ROWS ONLY');
  });

  it('answers "no such task" for ids SQL Server INT cannot hold, without a round trip', async () => {
    const r = recorder(() => [taskRow()]);
    expect(await r.db.tasks.get(2 ** 31)).toBeNull();
    expect(await r.db.tasks.retry(0, 1)).toBeNull();
    expect(await r.db.tasks.renew(1.5, 'o', 1, 1)).toBe(false);
    expect(r.calls).toEqual([]);
    expect(await r.db.tasks.get(7)).toMatchObject({ id: 7 });
    expect(r.queries()[0]).toMatchObject({ sql: 'SELECT * FROM tasks WHERE id = @id;', params: { id: { type: 'Int', value: 7 } } });
  });
});

// --------------------------------------------------------------------------------------- reports

describe('mssql report SQL', () => {
  /** A DATETIME2 parameter as the instant it names, with all seven fraction digits. */
  const instant = (p: SqlParams[string]) => {
    const d = p.value as Date & { nanosecondDelta?: number };
    const ticks = Math.round((d.getUTCMilliseconds() * 1e4 + (d.nanosecondDelta ?? 0) * 1e7) % 1e7);
    return `${d.toISOString().slice(0, 19)}.${String(ticks).padStart(7, '0')}Z ${p.type}`;
  };

  it('bounds the year with DATETIME2 parameters, its first and its last tick (9999 has no next year)', () => {
    const show = (year: number) => Object.values(yearRange(year)).map(instant);
    expect(show(2021)).toEqual(['2021-01-01T00:00:00.0000000Z DateTime2', '2021-12-31T23:59:59.9999999Z DateTime2']);
    expect(show(9999)).toEqual(['9999-01-01T00:00:00.0000000Z DateTime2', '9999-12-31T23:59:59.9999999Z DateTime2']);
    expect(show(1)).toEqual(['0001-01-01T00:00:00.0000000Z DateTime2', '0001-12-31T23:59:59.9999999Z DateTime2']);
    expect(Object.keys(yearRange(2021))).toEqual(['year_start', 'year_end']);
  });

  it('the direct hired-by-quarter counts hired_employees per department and job id, then names them', () => {
    expect(norm(HIRED_BY_QUARTER)).toBe(
      'WITH counts AS ( SELECT department_id, job_id, ' +
        'SUM(CASE WHEN DATEPART(quarter, datetime) = 1 THEN 1 ELSE 0 END) AS q1, ' +
        'SUM(CASE WHEN DATEPART(quarter, datetime) = 2 THEN 1 ELSE 0 END) AS q2, ' +
        'SUM(CASE WHEN DATEPART(quarter, datetime) = 3 THEN 1 ELSE 0 END) AS q3, ' +
        'SUM(CASE WHEN DATEPART(quarter, datetime) = 4 THEN 1 ELSE 0 END) AS q4 ' +
        'FROM hired_employees WHERE datetime >= @year_start AND datetime <= @year_end GROUP BY department_id, job_id) ' +
        'SELECT d.department COLLATE Latin1_General_BIN2 AS department, j.job COLLATE Latin1_General_BIN2 AS job, ' +
        'SUM(c.q1) AS Q1, SUM(c.q2) AS Q2, SUM(c.q3) AS Q3, SUM(c.q4) AS Q4 ' +
        'FROM counts c JOIN departments d ON d.id = c.department_id JOIN jobs j ON j.id = c.job_id ' +
        'GROUP BY d.department COLLATE Latin1_General_BIN2, j.job COLLATE Latin1_General_BIN2;',
    );
  });

  it('hired-by-quarter reads the year of the rollup, names compared exactly, with nothing pending', async () => {
    const r = recorder((sql) => (sql === HAS_PENDING ? [{ pending: 0 }] : [{ department: 'Sales', job: 'Rep', Q1: 1, Q2: 0, Q3: 2, Q4: 0 }]));
    expect(await r.db.reports.hiredByQuarter(2021)).toEqual([{ department: 'Sales', job: 'Rep', Q1: 1, Q2: 0, Q3: 2, Q4: 0 }]);
    expect(r.kinds()).toEqual(['query', 'query']);
    const [has, q] = r.queries();
    expect(has.sql).toBe(HAS_PENDING);
    expect(q.sql).toBe(HIRED_BY_QUARTER_FROM_ROLLUP);
    expect(q.params).toEqual({ year: { type: 'Int', value: 2021 } });
    expect(norm(q.sql)).toBe(
      'SELECT d.department COLLATE Latin1_General_BIN2 AS department, j.job COLLATE Latin1_General_BIN2 AS job, ' +
        'SUM(CASE WHEN r.quarter = 1 THEN r.hires ELSE 0 END) AS Q1, SUM(CASE WHEN r.quarter = 2 THEN r.hires ELSE 0 END) AS Q2, ' +
        'SUM(CASE WHEN r.quarter = 3 THEN r.hires ELSE 0 END) AS Q3, SUM(CASE WHEN r.quarter = 4 THEN r.hires ELSE 0 END) AS Q4 ' +
        'FROM hires_by_quarter r JOIN departments d ON d.id = r.department_id JOIN jobs j ON j.id = r.job_id ' +
        'WHERE r.year = @year GROUP BY d.department COLLATE Latin1_General_BIN2, j.job COLLATE Latin1_General_BIN2;',
    );
  });

  it('folds the pending runs into the rollup, in a transaction under the fold lock, before reading it', async () => {
    const r = recorder((sql) => (sql === HAS_PENDING ? [{ pending: 1 }] : sql === FOLD_PENDING ? [] : [{ id: 4, department: 'Ops', hired: '12' }]));
    expect(await r.db.reports.hiringAboveAverage(2020)).toEqual([{ id: 4, department: 'Ops', hired: 12 }]);
    expect(r.kinds()).toEqual(['query', 'begin', 'query', 'commit', 'query']);
    const [has, fold, q] = r.queries();
    expect(has.sql).toBe(HAS_PENDING);
    expect(fold).toMatchObject({ sql: FOLD_PENDING, params: {}, tx: true });
    const sql = norm(fold.sql);
    expect(sql).toContain("sp_getapplock @Resource = N'hiredb:fold', @LockMode = N'Exclusive', @LockOwner = N'Transaction'");
    // Runs of writes still in flight are skipped, not waited for; what is deleted is what is counted.
    expect(sql).toContain('DELETE FROM hires_pending WITH (READPAST) OUTPUT deleted.id_from, deleted.id_to INTO @runs;');
    expect(sql).toContain('FROM @runs p JOIN hired_employees h ON h.id BETWEEN p.id_from AND p.id_to');
    expect(sql).toContain('WHEN MATCHED THEN UPDATE SET hires = r.hires + c.hires');
    // Hires bump data_version here, when the reports can see them, not as they are written.
    expect(sql).toMatch(/IF EXISTS \(SELECT 1 FROM @runs\) UPDATE data_version SET version = version \+ 1 WHERE id = 1;$/);
    expect(q.sql).toBe(HIRING_ABOVE_AVERAGE_FROM_ROLLUP);
    expect(q.params).toEqual({ year: { type: 'Int', value: 2020 } });
  });

  it('hiring-above-average compares in integers (hired * departments > total), never AVG, counting 0 for no hire', () => {
    for (const text of [HIRING_ABOVE_AVERAGE, HIRING_ABOVE_AVERAGE_FROM_ROLLUP]) {
      expect(norm(text)).not.toMatch(/\bAVG\s*\(/i);
      expect(norm(text)).toContain(
        'per_department AS ( SELECT d.id AS id, d.department AS department, COALESCE(h.hired, 0) AS hired ' +
          'FROM departments d LEFT JOIN hires h ON h.department_id = d.id) ' +
          'SELECT id, department, hired FROM per_department ' +
          'WHERE hired * (SELECT COUNT_BIG(*) FROM per_department) > (SELECT SUM(hired) FROM per_department);',
      );
    }
    expect(norm(HIRING_ABOVE_AVERAGE_FROM_ROLLUP)).toMatch(
      /^WITH hires AS \( SELECT department_id, SUM\(hires\) AS hired FROM hires_by_quarter WHERE year = @year GROUP BY department_id\)/,
    );
    expect(norm(HIRING_ABOVE_AVERAGE)).toMatch(
      /^WITH hires AS \( SELECT department_id, COUNT_BIG\(\*\) AS hired FROM hired_employees WHERE datetime >= @year_start AND datetime <= @year_end GROUP BY department_id\)/,
    );
  });

  it('answers no rows, without a round trip, for a year DATETIME2 cannot hold', async () => {
    const r = recorder(() => [{ id: 1, department: 'x', hired: 1 }]);
    expect(await r.db.reports.hiredByQuarter(0)).toEqual([]);
    expect(await r.db.reports.hiringAboveAverage(10_000)).toEqual([]);
    expect(r.calls).toEqual([]);
  });

  it('reads data_version and dimension ids as numbers', async () => {
    const r = recorder((sql) => (sql.includes('data_version') ? [{ version: '5' }] : [{ id: 1 }, { id: 3 }]));
    expect(await r.db.dataVersion()).toBe(5);
    expect(await r.db.dimensionIds('jobs')).toEqual(new Set([1, 3]));
    expect(r.queries().map((q) => q.sql)).toEqual(['SELECT version FROM data_version WHERE id = 1;', 'SELECT id FROM jobs;']);
  });
});

// -------------------------------------------------------------------------------------- migrate

describe('mssql migrations', () => {
  it('runs each GO batch of a pending migration in one locked transaction, then records it', async () => {
    const r = recorder();
    await r.db.migrate();
    const [m] = readMigrations('mssql');
    const batches = splitSqlBatches(m.sql);
    expect(r.calls[0]).toEqual({ kind: 'begin' });
    expect(r.calls.at(-1)).toEqual({ kind: 'commit' });
    const qs = r.queries();
    expect(qs[0].sql).toMatch(/EXEC @lock = sp_getapplock @Resource = N'hiredb:migrate', @LockMode = N'Exclusive', @LockOwner = N'Transaction'/);
    expect(qs[0].sql).toContain('CREATE TABLE schema_migrations');
    expect(qs[1]).toMatchObject({ sql: 'SELECT 1 AS done FROM schema_migrations WHERE version = @version;', params: { version: { value: m.version } } });
    expect(qs.slice(2, 2 + batches.length).map((q) => [q.sql, q.params])).toEqual(batches.map((b) => [b, {}]));
    expect(qs[2 + batches.length].sql).toContain('INSERT INTO schema_migrations');
  });

  it('skips a migration already applied', async () => {
    const r = recorder((sql) => (sql.includes('AS done') ? [{ done: 1 }] : []));
    await r.db.migrate();
    expect(r.queries().map((q) => q.sql.split('\n')[0])).toEqual([
      'DECLARE @lock INT;',
      ...readMigrations('mssql').map(() => 'SELECT 1 AS done FROM schema_migrations WHERE version = @version;'),
    ]);
  });

  it('splits on lines holding only GO, in any case, with LF or CRLF', () => {
    const sql = 'CREATE TABLE a (x INT);\nGO\r\n  go  \nSELECT 1 -- GO here is text\nGOTO done;\r\nGO\n-- only a comment\nGO\n';
    expect(splitSqlBatches(sql)).toEqual(['CREATE TABLE a (x INT);', 'SELECT 1 -- GO here is text\nGOTO done;']);
  });
});

describe('mssql SQL text', () => {
  const statements = {
    ADVANCE_TASK,
    BUMP_VERSION,
    CLAIM,
    ENQUEUE,
    HIRED_BY_QUARTER,
    HIRING_ABOVE_AVERAGE,
    HAS_PENDING,
    FOLD_PENDING,
    HIRED_BY_QUARTER_FROM_ROLLUP,
    HIRING_ABOVE_AVERAGE_FROM_ROLLUP,
    ...Object.fromEntries(Object.entries(INSERT_FROM_STAGING).map(([t, s]) => [`INSERT_FROM_STAGING.${t}`, s])),
  };
  it('uses no SQLite or PostgreSQL syntax', () => {
    for (const [name, sql] of Object.entries(statements)) {
      expect(sql, name).not.toMatch(/\bLIMIT\b|\bRETURNING\b|ON CONFLICT|\bsubstr\(|\?|INSERT OR IGNORE|::|\bILIKE\b/i);
    }
  });
});
