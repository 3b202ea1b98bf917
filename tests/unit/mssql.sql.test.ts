import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connection, TYPES } from 'tedious';
import { describe, expect, it } from 'vitest';
import { LeaseLostError, type TaskCheckpoint } from '../../shared/ports/database.port.ts';
import { parseMssqlConnection, MssqlConnectionError } from '../../shared/adapters/db/mssql-connection.ts';
import { sqlErrorNumber, type BulkColumn, type SqlExecutor, type SqlParams, type SqlRow } from '../../shared/adapters/db/mssql-executor.ts';
import {
  ADVANCE_TASK,
  BUMP_VERSION,
  CLAIM,
  ENQUEUE,
  HIRED_BY_QUARTER,
  HIRING_ABOVE_AVERAGE,
  INSERT_FROM_STAGING,
  REJECT_COLUMNS,
  STAGING_COLUMNS,
  createMssqlDatabase,
  mssqlDedupeKey,
  splitSqlBatches,
  stagingDdl,
  toDateTime2,
  yearRange,
} from '../../shared/adapters/db/mssql.database.ts';
import { isTransient } from '../../shared/service/retry.ts';
import { readMigrations, taskDedupeKey } from '../../shared/adapters/db/migrations.ts';
import { TABLES, type RowOf } from '../../shared/domain/tables.ts';

// ------------------------------------------------------------------------------ recording fake

type Call =
  | { kind: 'query'; sql: string; params: SqlParams; tx: boolean }
  | { kind: 'bulkLoad'; table: string; columns: BulkColumn[]; rows: unknown[][]; tx: boolean }
  | { kind: 'begin' | 'commit' | 'rollback' | 'close' };

/** Local variables a statement declares itself (not parameters the caller must send). */
const DECLARED = new Set(['lock', 'Resource', 'LockMode', 'LockOwner', 'LockTimeout']);

/**
 * Records every call and answers queries with `answer`. It also checks what a server would: each
 * `@name` in the SQL is a parameter sent with the query (or a variable the SQL declares), and every
 * parameter sent is used; and that `#staging` is only touched inside a transaction.
 */
function recorder(answer: (sql: string, params: SqlParams) => SqlRow[] = () => []) {
  const calls: Call[] = [];
  const make = (tx: boolean): SqlExecutor => ({
    async query(sql, params = {}) {
      const used = new Set([...sql.matchAll(/(?<!@)@(\w+)/g)].map((m) => m[1]).filter((n) => !DECLARED.has(n)));
      expect([...used].sort(), `parameters of: ${sql}`).toEqual(Object.keys(params).sort());
      if (sql.includes('#staging')) expect(tx, '#staging outside a transaction').toBe(true);
      calls.push({ kind: 'query', sql, params, tx });
      return answer(sql, params);
    },
    async bulkLoad(table, columns, rows) {
      calls.push({ kind: 'bulkLoad', table, columns, rows, tx });
    },
    async transaction(fn) {
      if (tx) return fn(this);
      calls.push({ kind: 'begin' });
      try {
        const result = await fn(make(true));
        calls.push({ kind: 'commit' });
        return result;
      } catch (e) {
        calls.push({ kind: 'rollback' });
        throw e;
      }
    },
    async close() {
      calls.push({ kind: 'close' });
    },
  });
  const exec = make(false);
  const queries = () => calls.filter((c): c is Extract<Call, { kind: 'query' }> => c.kind === 'query');
  const kinds = () => calls.map((c) => (c.kind === 'bulkLoad' ? `bulkLoad ${c.table}` : c.kind));
  return { exec, calls, queries, kinds, db: createMssqlDatabase(exec) };
}

/** A tasks row as tedious returns it: BIGINT columns come back as strings. */
const taskRow = (over: Record<string, unknown> = {}): SqlRow => ({
  id: 7,
  dedupe_key: 'k',
  file_name: 'departments.csv',
  file_version: 'v1',
  table_name: 'departments',
  slice_start: null,
  slice_limit: null,
  status: 'running',
  checkpoint_line: '0',
  bytes_read: '0',
  bytes_total: '120',
  processed: '0',
  inserted: '0',
  already_exists: '0',
  rejected: '0',
  error: null,
  attempts: 1,
  lease_owner: 'loader-a',
  lease_expires_at: '1700000030000',
  created_at: '1700000000000',
  started_at: '1700000000000',
  finished_at: null,
  updated_at: '1700000000000',
  ...over,
});

const norm = (sql: string) => sql.replace(/\s+/g, ' ').trim();

// ------------------------------------------------------------------------- connection strings

describe('parseMssqlConnection', () => {
  it('reads an mssql:// URL, percent-decoding user and password', () => {
    const c = parseMssqlConnection(
      'mssql://hire%20db:p%40ss%3Bw%2Fd%3A@db.example.com:14330/hr_data?encrypt=false&trustServerCertificate=true&connectTimeout=5000',
    );
    expect(c).toEqual({
      server: 'db.example.com',
      authentication: { type: 'default', options: { userName: 'hire db', password: 'p@ss;w/d:' } },
      options: { database: 'hr_data', port: 14330, encrypt: false, trustServerCertificate: true, connectTimeout: 5000 },
    });
  });

  it('defaults to port 1433, encryption on, certificate checked, 15 s to connect', () => {
    const c = parseMssqlConnection('mssql://sa:secret@localhost/hiredb');
    expect(c.options).toEqual({ database: 'hiredb', port: 1433, encrypt: true, trustServerCertificate: false, connectTimeout: 15000 });
  });

  it('reads the ADO.NET string the Azure portal shows', () => {
    const c = parseMssqlConnection(
      'Server=tcp:hr-sql.database.windows.net,1433;Initial Catalog=hrdb;Persist Security Info=False;User ID=hradmin;' +
        'Password=Sup3r$ecret;MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;',
    );
    expect(c).toEqual({
      server: 'hr-sql.database.windows.net',
      authentication: { type: 'default', options: { userName: 'hradmin', password: 'Sup3r$ecret' } },
      options: { database: 'hrdb', port: 1433, encrypt: true, trustServerCertificate: false, connectTimeout: 30000 },
    });
  });

  it('takes key synonyms in any case, with spaces around', () => {
    const a = parseMssqlConnection(' data source = tcp:10.0.0.5,14331 ; DATABASE=hr ; uid=u1 ; PWD=p1 ; trustservercertificate=yes ');
    expect(a.server).toBe('10.0.0.5');
    expect(a.options).toMatchObject({ database: 'hr', port: 14331, trustServerCertificate: true, encrypt: true });
    expect(a.authentication.options).toEqual({ userName: 'u1', password: 'p1' });
    const b = parseMssqlConnection('SERVER=h;Initial Catalog=db;User Id=u;Password=p;Connect Timeout=5;Encrypt=strict');
    expect(b.options).toMatchObject({ database: 'db', port: 1433, connectTimeout: 5000, encrypt: 'strict' });
  });

  it('keeps ; = and quotes inside {braces} or quoted values', () => {
    const braces = parseMssqlConnection('Server=h;Database={my;db};User Id={we}}ird};Password={a;b=c}}d}');
    expect(braces.options.database).toBe('my;db');
    expect(braces.authentication.options).toEqual({ userName: 'we}ird', password: 'a;b=c}d' });
    const quoted = parseMssqlConnection(`Server=h;Database=db;User Id='o''brien';Password="x;""y"`);
    expect(quoted.authentication.options).toEqual({ userName: "o'brien", password: 'x;"y' });
  });

  it('reads a named instance instead of a port', () => {
    const c = parseMssqlConnection('Server=host\\SQLEXPRESS;Database=db;User Id=u;Password=p');
    expect(c.server).toBe('host');
    expect(c.options.instanceName).toBe('SQLEXPRESS');
    expect(c.options.port).toBeUndefined();
  });

  const failure = (input: string, source?: string): string => {
    try {
      parseMssqlConnection(input, source);
    } catch (e) {
      expect(e).toBeInstanceOf(MssqlConnectionError);
      return (e as Error).message;
    }
    throw new Error('expected a failure');
  };

  it('names what is missing, never the password', () => {
    const secret = 'Tr0ub4dor&3';
    const cases: Array<[string, string]> = [
      [`Database=db;User Id=u;Password=${secret}`, 'AZURE_SQL_CONNECTION_STRING: missing Server'],
      [`Server=tcp:h,1433;User Id=u;Password=${secret}`, 'AZURE_SQL_CONNECTION_STRING: missing Database'],
      [`Server=h;Database=db;Password=${secret}`, 'AZURE_SQL_CONNECTION_STRING: missing User Id'],
      ['Server=h;Database=db;User Id=u', 'AZURE_SQL_CONNECTION_STRING: missing Password'],
      ['Server=h;Database=db;User Id=u;Password=', 'AZURE_SQL_CONNECTION_STRING: missing Password'],
      [`mssql://u:${secret}@h:1433`, 'DATABASE_URL: missing database'],
      ['mssql://u@h/db', 'DATABASE_URL: missing password'],
      [`mssql://:${secret}@h/db`, 'DATABASE_URL: missing user'],
    ];
    for (const [input, message] of cases) {
      const got = failure(input);
      expect(got).toBe(message);
      expect(got).not.toContain(secret);
    }
    expect(failure(`Server=h;User Id=u;Password=${secret}`, 'MSSQL_URL')).toBe('MSSQL_URL: missing Database');
  });

  it('rejects malformed strings without echoing them', () => {
    const secret = 'hunter2-XYZ';
    const messages = [
      failure(`mssql://u:${secret}@h:99999/db`), // port out of range: URL parser error, input withheld
      failure(`mssql://u:${secret}%zz@h/db`), // bad percent-encoding
      failure(`mssql://u:${secret}@h/db?encrpyt=true`),
      failure(`Server=h;Database=db;User Id=u;Password={${secret};Encrypt=True`), // brace never closed
      failure(`Server=h;Database=db;User Id=u;Password="${secret}"x`),
      failure(`Server=h,notaport;Database=db;User Id=u;Password=${secret}`),
      failure(`Server=h;Database=db;User Id=u;Password=${secret};Encrypt=perhaps`),
      failure(`Server=h;Database=db;User Id=u;Password=${secret};Connection Timeout=-1`),
      failure(`Server=h;Database=db;Authentication=Active Directory Default;Password=${secret}`),
      failure(`Server=h;Database=db;Integrated Security=SSPI;Password=${secret}`),
      failure(`Server=np:h;Database=db;User Id=u;Password=${secret}`),
      failure(`just-a-${secret}`),
    ];
    for (const m of messages) expect(m).not.toContain(secret);
    expect(messages[2]).toContain('unknown option "encrpyt"');
    expect(messages[3]).toBe('AZURE_SQL_CONNECTION_STRING: the value of Password has no closing }');
    expect(messages[6]).toBe('AZURE_SQL_CONNECTION_STRING: Encrypt must be true or false');
  });
});

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

// ----------------------------------------------------------------------------------- insertBatch

describe('mssql insertBatch SQL', () => {
  const hires: RowOf['hired_employees'][] = [
    { id: 1, name: 'Ana', datetime: '2021-03-31T23:59:59.123456Z', department_id: 1, job_id: 2 },
    { id: 2, name: 'Bo', datetime: '2021-04-01T00:00:00Z', department_id: 1, job_id: 2 },
    { id: 3, name: 'Cy', datetime: '2021-07-27T16:02:08.5Z', department_id: 2, job_id: 3 },
  ];

  /** Answers the copy out of #staging with `inserted`, the task's advance with `advanced` rows. */
  const answering =
    (inserted: number, advanced = 1) =>
    (sql: string): SqlRow[] =>
      sql.includes('FROM #staging') ? [{ inserted }] : sql.includes('@@ROWCOUNT AS n') ? [{ n: advanced }] : [];

  it('bulk-loads into #staging, inserts only the rows not present, then bumps data_version', async () => {
    const r = recorder(answering(2));
    const result = await r.db.insertBatch('hired_employees', hires);
    expect(result).toEqual({ inserted: 2, already_exists: 1 });
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'query', 'commit']);

    const [ddl, insert, bump] = r.queries();
    expect(ddl.params).toEqual({});
    expect(ddl.sql).toBe(stagingDdl('hired_employees'));
    expect(norm(ddl.sql)).toBe(
      "IF OBJECT_ID(N'tempdb..#staging') IS NOT NULL DROP TABLE #staging; CREATE TABLE #staging (" +
        'id INT NOT NULL PRIMARY KEY, name NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL, datetime DATETIME2(7) NOT NULL, ' +
        'department_id INT NOT NULL, job_id INT NOT NULL);',
    );

    const bulk = r.calls.find((c) => c.kind === 'bulkLoad') as Extract<Call, { kind: 'bulkLoad' }>;
    expect(bulk.columns.map((c) => c.name)).toEqual(['id', 'name', 'datetime', 'department_id', 'job_id']);
    expect(bulk.rows.map((row) => [row[0], row[1], (row[2] as Date).toISOString(), row[3], row[4]])).toEqual([
      [1, 'Ana', '2021-03-31T23:59:59.123Z', 1, 2],
      [2, 'Bo', '2021-04-01T00:00:00.000Z', 1, 2],
      [3, 'Cy', '2021-07-27T16:02:08.500Z', 2, 3],
    ]);
    expect((bulk.rows[0][2] as { nanosecondDelta?: number }).nanosecondDelta).toBeCloseTo(0.000456, 12); // 456 µs past the millisecond

    expect(insert.sql).toBe(INSERT_FROM_STAGING.hired_employees);
    expect(insert.params).toEqual({});
    expect(norm(insert.sql)).toBe(
      'INSERT INTO hired_employees (id, name, datetime, department_id, job_id) ' +
        'SELECT s.id, s.name, s.datetime, s.department_id, s.job_id FROM #staging s ' +
        'WHERE NOT EXISTS (SELECT 1 FROM hired_employees t WITH (UPDLOCK, HOLDLOCK) WHERE t.id = s.id); ' +
        'SELECT @@ROWCOUNT AS inserted;',
    );
    expect(bump).toMatchObject({ sql: BUMP_VERSION, params: {} });
    expect(BUMP_VERSION).toBe('UPDATE data_version SET version = version + 1 WHERE id = 1;');
    for (const t of TABLES) expect(INSERT_FROM_STAGING[t], t).not.toMatch(/hires_daily|MERGE|OUTPUT/);
  });

  it('inserts dimension rows the same way, and leaves data_version alone when nothing was new', async () => {
    const r = recorder(answering(0));
    const result = await r.db.insertBatch('departments', [
      { id: 1, department: 'Sales' },
      { id: 2, department: 'R&D' },
    ]);
    expect(result).toEqual({ inserted: 0, already_exists: 2 });
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'commit']);
    const insert = r.queries()[1];
    expect(norm(insert.sql)).toBe(
      'INSERT INTO departments (id, department) SELECT s.id, s.department FROM #staging s WHERE NOT EXISTS (SELECT 1 FROM departments t WITH (UPDLOCK, HOLDLOCK) WHERE t.id = s.id); SELECT @@ROWCOUNT AS inserted;',
    );
    const bulk = r.calls.find((c) => c.kind === 'bulkLoad') as Extract<Call, { kind: 'bulkLoad' }>;
    expect(bulk.rows).toEqual([
      [1, 'Sales'],
      [2, 'R&D'],
    ]);
  });

  const checkpoint = (over: Partial<TaskCheckpoint> = {}): TaskCheckpoint => ({
    taskId: 7,
    owner: 'loader-a',
    line: 120,
    bytesRead: 4096,
    rejects: [
      { line: 5, id: 'x', raw: 'x,Ana', reasons: ['invalid_id', 'field_count'] },
      { line: 9, id: null, raw: '', reasons: ['missing_id'] },
    ],
    ...over,
  });

  it('stores the rejects and advances the task in the same transaction', async () => {
    const r = recorder(answering(3));
    const result = await r.db.insertBatch('hired_employees', hires, checkpoint());
    expect(result).toEqual({ inserted: 3, already_exists: 0 });
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'query', 'bulkLoad task_rejects', 'query', 'commit']);
    const rejects = r.calls.find((c) => c.kind === 'bulkLoad' && c.table === 'task_rejects') as Extract<Call, { kind: 'bulkLoad' }>;
    expect(rejects.columns).toEqual(REJECT_COLUMNS);
    expect(rejects.rows).toEqual([
      [7, 5, 'x', 'x,Ana', 'invalid_id,field_count'],
      [7, 9, null, '', 'missing_id'],
    ]);
    const advance = r.queries()[3];
    expect(advance.sql).toBe(ADVANCE_TASK);
    expect(norm(advance.sql)).toMatch(/WHERE id = @id AND lease_owner = @owner AND status = N'running'; SELECT @@ROWCOUNT AS n;$/);
    expect(advance.params).toMatchObject({
      id: { type: 'Int', value: 7 },
      owner: { type: 'NVarChar', value: 'loader-a' },
      line: { type: 'BigInt', value: 120 },
      bytes: { type: 'BigInt', value: 4096 },
      inserted: { type: 'BigInt', value: 3 },
      already_exists: { type: 'BigInt', value: 0 },
      rejected: { type: 'BigInt', value: 2 },
    });
  });

  it('fills #staging while the previous batch commits, and touches shared tables only after it did', async () => {
    let release!: () => void;
    const previous = new Promise<void>((resolve) => (release = resolve));
    const r = recorder(answering(3));
    const pending = r.db.insertBatch('hired_employees', hires, checkpoint({ after: previous }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Only the session's own #staging so far: nothing the previous batch could be waiting on.
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging']);
    release();
    expect(await pending).toEqual({ inserted: 3, already_exists: 0 });
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'query', 'bulkLoad task_rejects', 'query', 'commit']);
    expect(r.queries().slice(1).map((q) => q.sql)).toEqual([INSERT_FROM_STAGING.hired_employees, BUMP_VERSION, ADVANCE_TASK]);
  });

  it('waits for the previous batch before storing the rejects of a batch without rows', async () => {
    let release!: () => void;
    const previous = new Promise<void>((resolve) => (release = resolve));
    const r = recorder(answering(0));
    const pending = r.db.insertBatch('jobs', [], checkpoint({ after: previous }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.kinds()).toEqual(['begin']);
    release();
    await pending;
    expect(r.kinds()).toEqual(['begin', 'bulkLoad task_rejects', 'query', 'commit']);
  });

  it('rolls back and fails with the previous batch\'s error when that batch failed, without retrying', async () => {
    for (const failure of [new Error('previous batch failed'), Object.assign(new Error('deadlock victim'), { number: 1205 })]) {
      const r = recorder(answering(3));
      const previous = Promise.reject(failure);
      previous.catch(() => {});
      await expect(r.db.insertBatch('hired_employees', hires, checkpoint({ after: previous }))).rejects.toBe(failure);
      expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'rollback']);
    }
  });

  it('throws LeaseLostError and rolls back when the advance UPDATE touches no row', async () => {
    const r = recorder(answering(3, 0));
    await expect(r.db.insertBatch('hired_employees', hires, checkpoint())).rejects.toBeInstanceOf(LeaseLostError);
    expect(r.kinds().at(-1)).toBe('rollback');
    expect(r.kinds()).not.toContain('commit');

    const none = recorder();
    await expect(none.db.insertBatch('hired_employees', hires, checkpoint({ taskId: 2 ** 31 }))).rejects.toBeInstanceOf(LeaseLostError);
    expect(none.calls).toEqual([]);
  });

  it('commits a batch of rejects alone without touching #staging', async () => {
    const r = recorder(() => [{ n: 1 }]);
    expect(await r.db.insertBatch('jobs', [], checkpoint())).toEqual({ inserted: 0, already_exists: 0 });
    expect(r.kinds()).toEqual(['begin', 'bulkLoad task_rejects', 'query', 'commit']);
    expect(r.queries()[0].params).toMatchObject({ inserted: { value: 0 }, rejected: { value: 2 } });
  });

  it('runs a batch again when SQL Server picks it as a deadlock victim, but not after other errors', async () => {
    let deadlocks = 1;
    const r = recorder((sql) => {
      if (sql.includes('FROM #staging') && deadlocks-- > 0) throw Object.assign(new Error('deadlock victim'), { number: 1205 });
      return answering(3)(sql);
    });
    expect(await r.db.insertBatch('hired_employees', hires)).toEqual({ inserted: 3, already_exists: 0 });
    expect(r.kinds()).toEqual([
      'begin', 'query', 'bulkLoad #staging', 'query', 'rollback',
      'begin', 'query', 'bulkLoad #staging', 'query', 'query', 'commit',
    ]);

    // tedious rejects with an AggregateError when the server sent several errors: the deadlock still counts.
    let aggregate = 1;
    const several = recorder((sql) => {
      if (sql.includes('FROM #staging') && aggregate-- > 0) {
        throw new AggregateError([Object.assign(new Error('deadlock victim'), { number: 1205 }), Object.assign(new Error('terminated'), { number: 3621 })]);
      }
      return answering(3)(sql);
    });
    expect(await several.db.insertBatch('hired_employees', hires)).toEqual({ inserted: 3, already_exists: 0 });
    expect(several.kinds().filter((k) => k === 'begin')).toHaveLength(2);

    const failing = recorder((sql) => {
      if (sql.includes('FROM #staging')) throw Object.assign(new Error('String or binary data would be truncated'), { number: 2628 });
      return [];
    });
    await expect(failing.db.insertBatch('hired_employees', hires)).rejects.toThrow(/truncated/);
    expect(failing.kinds().filter((k) => k === 'begin')).toHaveLength(1);
  });

  it('sends nothing for an empty batch without a checkpoint', async () => {
    const r = recorder();
    expect(await r.db.insertBatch('jobs', [])).toEqual({ inserted: 0, already_exists: 0 });
    expect(r.calls).toEqual([]);
  });

  it('refuses a year SQL Server DATETIME2 cannot hold before opening a transaction', async () => {
    const r = recorder();
    const row = { id: 1, name: 'Old', datetime: '0000-06-01T00:00:00Z', department_id: 1, job_id: 1 };
    await expect(r.db.insertBatch('hired_employees', [row])).rejects.toThrow(/DATETIME2 holds years 0001 to 9999/);
    expect(r.calls).toEqual([]);
  });
});

describe('toDateTime2', () => {
  it('keeps every fraction digit: milliseconds in the Date, the rest in nanosecondDelta', () => {
    const d = toDateTime2('2021-12-31T23:59:59.999999Z');
    expect(d.toISOString()).toBe('2021-12-31T23:59:59.999Z');
    // tedious writes DATETIME2(7) as ms * 10^4 + nanosecondDelta * 10^7 (rounded).
    expect(Math.round(999 * 1e4 + (d.nanosecondDelta ?? 0) * 1e7)).toBe(9_999_990);
    expect(toDateTime2('2021-01-01T00:00:00Z').nanosecondDelta).toBeUndefined();
    expect(toDateTime2('0001-01-01T00:00:00Z').toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(() => toDateTime2('2021-01-01T00:00:00+02:00')).toThrow(RangeError);
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

  it('hired-by-quarter counts hired_employees per department and job id, then names them', async () => {
    const r = recorder(() => [{ department: 'Sales', job: 'Rep', Q1: 1, Q2: 0, Q3: 2, Q4: 0 }]);
    expect(await r.db.reports.hiredByQuarter(2021)).toEqual([{ department: 'Sales', job: 'Rep', Q1: 1, Q2: 0, Q3: 2, Q4: 0 }]);
    const [q] = r.queries();
    expect(q.sql).toBe(HIRED_BY_QUARTER);
    expect(q.params).toEqual(yearRange(2021));
    expect(norm(q.sql)).toBe(
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

  it('hiring-above-average compares in integers (hired * departments > total), never AVG, counting 0 for no hire', async () => {
    const r = recorder(() => [{ id: 4, department: 'Ops', hired: '12' }]);
    expect(await r.db.reports.hiringAboveAverage(2020)).toEqual([{ id: 4, department: 'Ops', hired: 12 }]);
    const [q] = r.queries();
    expect(q.sql).toBe(HIRING_ABOVE_AVERAGE);
    expect(q.params).toEqual(yearRange(2020));
    const sql = norm(q.sql);
    expect(sql).not.toMatch(/\bAVG\s*\(/i);
    expect(sql).toBe(
      'WITH hires AS ( SELECT department_id, COUNT_BIG(*) AS hired FROM hired_employees ' +
        'WHERE datetime >= @year_start AND datetime <= @year_end GROUP BY department_id), ' +
        'per_department AS ( SELECT d.id AS id, d.department AS department, COALESCE(h.hired, 0) AS hired ' +
        'FROM departments d LEFT JOIN hires h ON h.department_id = d.id) ' +
        'SELECT id, department, hired FROM per_department ' +
        'WHERE hired * (SELECT COUNT_BIG(*) FROM per_department) > (SELECT SUM(hired) FROM per_department);',
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
      'SELECT 1 AS done FROM schema_migrations WHERE version = @version;',
    ]);
  });

  it('splits on lines holding only GO, in any case, with LF or CRLF', () => {
    const sql = 'CREATE TABLE a (x INT);\nGO\r\n  go  \nSELECT 1 -- GO here is text\nGOTO done;\r\nGO\n-- only a comment\nGO\n';
    expect(splitSqlBatches(sql)).toEqual(['CREATE TABLE a (x INT);', 'SELECT 1 -- GO here is text\nGOTO done;']);
  });
});

// --------------------------------------------------------------------------------------- schema

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Table name -> column name -> declared type (upper case, without NULL, keys, defaults or collation). */
function tablesOf(sql: string): Map<string, Map<string, string>> {
  const text = sql.replace(/--[^\n]*/g, '');
  const tables = new Map<string, Map<string, string>>();
  for (const m of text.matchAll(/CREATE TABLE\s+\[?([#\w]+)\]?\s*\(/gi)) {
    let depth = 1;
    let i = m.index! + m[0].length;
    const start = i;
    for (; depth > 0; i++) depth += text[i] === '(' ? 1 : text[i] === ')' ? -1 : 0;
    const body = text.slice(start, i - 1);
    const parts: string[] = [];
    let level = 0;
    let current = '';
    for (const ch of body) {
      if (ch === ',' && level === 0) {
        parts.push(current);
        current = '';
        continue;
      }
      level += ch === '(' ? 1 : ch === ')' ? -1 : 0;
      current += ch;
    }
    parts.push(current);
    const columns = new Map<string, string>();
    for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
      if (/^(PRIMARY|CONSTRAINT|UNIQUE|CHECK|FOREIGN|INDEX)\b/i.test(part)) continue;
      const [, name, rest] = /^\[?(\w+)\]?\s+(.*)$/s.exec(part)!;
      const type = /^(\w+(?:\s*\([^)]*\))?)/.exec(rest)![1].toUpperCase().replace(/\s+/g, '');
      columns.set(name, type === 'DATETIME2' ? 'DATETIME2(7)' : type);
    }
    tables.set(m[1], columns);
  }
  return tables;
}

describe('sql/mssql/001_init.sql', () => {
  const mssqlText = readFileSync(`${SQL_DIR}mssql/001_init.sql`, 'utf8');
  const sqlite = tablesOf(readFileSync(`${SQL_DIR}sqlite/001_init.sql`, 'utf8'));
  const mssql = tablesOf(mssqlText);

  it('has exactly the SQLite tables, with the same columns in the same order', () => {
    expect(sqlite.size).toBeGreaterThanOrEqual(6);
    for (const [table, columns] of sqlite) {
      expect(mssql.has(table), `table ${table}`).toBe(true);
      expect([...mssql.get(table)!.keys()], `columns of ${table}`).toEqual([...columns.keys()]);
    }
    expect([...mssql.keys()].sort()).toEqual([...sqlite.keys()].sort());
    expect(mssqlText).not.toMatch(/hires_daily/i);
  });

  it('keeps the original Azure SQL types', () => {
    expect(Object.fromEntries(mssql.get('hired_employees')!)).toEqual({
      id: 'INT',
      name: 'NVARCHAR(100)',
      datetime: 'DATETIME2(7)',
      department_id: 'INT',
      job_id: 'INT',
    });
    expect(mssql.get('departments')!.get('department')).toBe('NVARCHAR(100)');
    expect(mssql.get('jobs')!.get('job')).toBe('NVARCHAR(100)');
    const tasks = mssql.get('tasks')!;
    for (const c of ['lease_expires_at', 'created_at', 'started_at', 'finished_at', 'updated_at']) expect(tasks.get(c)).toBe('BIGINT');
    expect(tasks.get('dedupe_key')).toBe('NVARCHAR(450)');
    expect(norm(mssqlText)).toContain('id INT IDENTITY(1, 1) NOT NULL PRIMARY KEY');
    expect(norm(mssqlText)).toMatch(/dedupe_key NVARCHAR\(450\) COLLATE Latin1_General_BIN2 NOT NULL UNIQUE/);
    expect(mssqlText.replace(/--[^\n]*/g, '')).not.toMatch(/FOREIGN\s+KEY|REFERENCES/i);
    expect(mssqlText).toMatch(/^-- No foreign keys: .*checked by the validate-and-insert/m);
  });

  it('is T-SQL batches separated by GO, with none of the SQLite dialect', () => {
    const batches = splitSqlBatches(mssqlText);
    expect(batches.length).toBeGreaterThanOrEqual(8);
    for (const b of batches) {
      expect(b).not.toMatch(/\bAUTOINCREMENT\b|WITHOUT ROWID|\bTEXT\b|\bINTEGER\b|ON CONFLICT/i);
      expect(b).not.toMatch(/^\s*GO\s*$/im);
    }
  });

  it('stages rows in #staging with the columns and types of their table', () => {
    for (const table of TABLES) {
      const staging = tablesOf(stagingDdl(table)).get('#staging')!;
      expect(Object.fromEntries(staging), table).toEqual(Object.fromEntries(mssql.get(table)!));
      expect(STAGING_COLUMNS[table].map((c) => c.name)).toEqual([...mssql.get(table)!.keys()]);
    }
    const rejects = mssql.get('task_rejects')!;
    expect(REJECT_COLUMNS.map((c) => c.name)).toEqual([...rejects.keys()]);
  });

  it('declares the bulk-load columns as tedious will send them', () => {
    const connection = new Connection({ server: 'localhost', authentication: { type: 'default', options: { userName: 'u', password: 'p' } } });
    const declare = (table: string, columns: BulkColumn[]) => {
      const bulk = connection.newBulkLoad(table, { keepNulls: true }, () => {});
      for (const c of columns) bulk.addColumn(c.name, TYPES[c.type], { nullable: c.nullable, length: c.length, scale: c.scale });
      return bulk.getBulkInsertSql();
    };
    expect(declare('#staging', STAGING_COLUMNS.hired_employees)).toBe(
      'insert bulk #staging([id] int, [name] nvarchar(100), [datetime] datetime2(7), [department_id] int, [job_id] int) WITH (KEEP_NULLS)',
    );
    expect(declare('task_rejects', REJECT_COLUMNS)).toBe(
      'insert bulk task_rejects([task_id] int, [line] bigint, [record_id] nvarchar(max), [raw] nvarchar(max), [reasons] nvarchar(1000)) WITH (KEEP_NULLS)',
    );
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
    ...Object.fromEntries(Object.entries(INSERT_FROM_STAGING).map(([t, s]) => [`INSERT_FROM_STAGING.${t}`, s])),
  };
  it('uses no SQLite or PostgreSQL syntax', () => {
    for (const [name, sql] of Object.entries(statements)) {
      expect(sql, name).not.toMatch(/\bLIMIT\b|\bRETURNING\b|ON CONFLICT|\bsubstr\(|\?|INSERT OR IGNORE|::|\bILIKE\b/i);
    }
  });
});

describe('retry of SQL Server failures', () => {
  const coded = (code: string) => Object.assign(new Error(code), { code });
  const numbered = (number: number) => Object.assign(new Error(`error ${number}`), { code: 'EREQUEST', number });

  it('takes tedious connection failures and Azure SQL transient errors as transient', () => {
    for (const code of ['ETIMEOUT', 'ESOCKET', 'ECONNRESET', 'ECONNCLOSED', 'ECLOSE']) expect(isTransient(coded(code)), code).toBe(true);
    for (const n of [4060, 40197, 40501, 40613, 49918, 49919, 49920, 4221, 10928, 10929, 1205]) expect(isTransient(numbered(n)), String(n)).toBe(true);
    expect(isTransient(new AggregateError([numbered(3621), numbered(1205)]))).toBe(true);
  });

  it('passes real errors through: constraint violations, truncation, cancellation, login failures', () => {
    for (const n of [2627, 2628, 547, 8152, 245, 18456]) expect(isTransient(numbered(n)), String(n)).toBe(false);
    for (const code of ['ECANCEL', 'ELOGIN', 'EPARAM', 'EREQUEST']) expect(isTransient(coded(code)), code).toBe(false);
    expect(isTransient(new AggregateError([numbered(2627), numbered(3621)]))).toBe(false);
    expect(isTransient(null)).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });

  it('reads the server error number, the first of several', () => {
    expect(sqlErrorNumber(numbered(1205))).toBe(1205);
    expect(sqlErrorNumber(new AggregateError([coded('EREQUEST'), numbered(2627), numbered(3621)]))).toBe(2627);
    expect(sqlErrorNumber(new Error('plain'))).toBeUndefined();
    expect(sqlErrorNumber(null)).toBeUndefined();
  });
});
