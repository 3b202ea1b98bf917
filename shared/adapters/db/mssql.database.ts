import { createHash } from 'node:crypto';
import { Connection, ConnectionError, Request, TYPES } from 'tedious';
import type { DimensionTable, RowOf, TableName } from '../../domain/tables.ts';
import type { NewTask } from '../../domain/task.ts';
import type { HiredByQuarterRow, HiringAboveAverageRow } from '../../domain/reports.ts';
import type { Reject } from '../../domain/reasons.ts';
import {
  LeaseLostError,
  type BatchResult,
  type Database,
  type ReportQueries,
  type TaskCheckpoint,
  type TaskRepository,
} from '../../ports/database.port.ts';
import { readMigrations, taskDedupeKey } from './migrations.ts';
import { rejectFromRecord, taskFromRecord, type TaskRecord } from './task-row.ts';
import { parseMssqlConnection, type MssqlConfig } from './mssql-connection.ts';
import {
  bigint,
  datetime2,
  int,
  nvarchar,
  type BulkColumn,
  type SqlExecutor,
  type SqlParam,
  type SqlParams,
  type SqlRow,
  sqlErrorNumber,
} from './mssql-executor.ts';

// ------------------------------------------------------------------------------------------ SQL

/** Columns of each data table as bulk-loaded into #staging (the types of sql/mssql/001_init.sql). */
export const STAGING_COLUMNS: Record<TableName, BulkColumn[]> = {
  departments: [
    { name: 'id', type: 'Int', nullable: false },
    { name: 'department', type: 'NVarChar', length: 100, nullable: false },
  ],
  jobs: [
    { name: 'id', type: 'Int', nullable: false },
    { name: 'job', type: 'NVarChar', length: 100, nullable: false },
  ],
  hired_employees: [
    { name: 'id', type: 'Int', nullable: false },
    { name: 'name', type: 'NVarChar', length: 100, nullable: false },
    { name: 'datetime', type: 'DateTime2', scale: 7, nullable: false },
    { name: 'department_id', type: 'Int', nullable: false },
    { name: 'job_id', type: 'Int', nullable: false },
  ],
};

export const REJECT_COLUMNS: BulkColumn[] = [
  { name: 'task_id', type: 'Int', nullable: false },
  { name: 'line', type: 'BigInt', nullable: false },
  { name: 'record_id', type: 'NVarChar', length: Infinity, nullable: true },
  { name: 'raw', type: 'NVarChar', length: Infinity, nullable: false },
  { name: 'reasons', type: 'NVarChar', length: 1000, nullable: false },
];

function columnDeclaration(c: BulkColumn): string {
  switch (c.type) {
    case 'Int':
      return 'INT';
    case 'BigInt':
      return 'BIGINT';
    case 'DateTime2':
      return `DATETIME2(${c.scale ?? 7})`;
    case 'NVarChar':
      return `NVARCHAR(${c.length === undefined || c.length > 4000 ? 'MAX' : c.length}) COLLATE DATABASE_DEFAULT`;
  }
}

/** Drops any #staging left on this session, then creates it with the table's columns (sent as a plain batch). */
export function stagingDdl(table: TableName): string {
  const columns = STAGING_COLUMNS[table].map(
    (c) => `${c.name} ${columnDeclaration(c)} ${c.nullable ? 'NULL' : 'NOT NULL'}${c.name === 'id' ? ' PRIMARY KEY' : ''}`,
  );
  return `IF OBJECT_ID(N'tempdb..#staging') IS NOT NULL DROP TABLE #staging;
CREATE TABLE #staging (${columns.join(', ')});`;
}

/*
 * The insert path. PostgreSQL COPYs a batch straight into its table after one query for the ids already
 * there. Here the rows are bulk-loaded into the session's private #staging table and copied over with
 * INSERT ... WHERE NOT EXISTS (UPDLOCK, HOLDLOCK) instead, on purpose, because of SQL Server's locking:
 * - Exact counts need the look-up and the insert to be atomic against other writers. The look-up that
 *   direct loading would use (SELECT id FROM t WITH (UPDLOCK, HOLDLOCK) WHERE id BETWEEN @min AND @max)
 *   takes serializable key-range locks, which cover gaps, not only ids: two batches of one file with
 *   disjoint ids lock the same range (the one past the highest id, in an appending load), and a statement
 *   holding some 5000 locks on a table has them escalated to a lock on the whole table.
 * - A batch waits for its task's previous batch (TaskCheckpoint.after) before it commits. Had it locked
 *   anything in the table before that wait, the previous batch could be blocked on those locks while this
 *   one waits for it: a deadlock across the application that SQL Server cannot detect, stuck until the
 *   request timeout. (PostgreSQL takes no gap locks, so there COPY into the table before the wait is safe.)
 * So before the wait a batch only fills #staging (the network transfer, the heavy part), which no other
 * session can see or lock; what touches shared tables runs after it, as one server-side copy that also
 * counts what it inserted.
 */
const NOT_PRESENT = (table: TableName) =>
  `WHERE NOT EXISTS (SELECT 1 FROM ${table} t WITH (UPDLOCK, HOLDLOCK) WHERE t.id = s.id)`;

/** Copies the rows of #staging whose id is not in the table yet; answers one row `{ inserted }`. */
export const INSERT_FROM_STAGING: Record<TableName, string> = {
  departments: `INSERT INTO departments (id, department)
SELECT s.id, s.department FROM #staging s
${NOT_PRESENT('departments')};
SELECT @@ROWCOUNT AS inserted;`,
  jobs: `INSERT INTO jobs (id, job)
SELECT s.id, s.job FROM #staging s
${NOT_PRESENT('jobs')};
SELECT @@ROWCOUNT AS inserted;`,
  hired_employees: `INSERT INTO hired_employees (id, name, datetime, department_id, job_id)
SELECT s.id, s.name, s.datetime, s.department_id, s.job_id FROM #staging s
${NOT_PRESENT('hired_employees')};
SELECT @@ROWCOUNT AS inserted;`,
};

export const BUMP_VERSION = 'UPDATE data_version SET version = version + 1 WHERE id = 1;';

export const ADVANCE_TASK = `UPDATE tasks SET checkpoint_line = @line, bytes_read = @bytes,
  processed = processed + @inserted + @already_exists + @rejected,
  inserted = inserted + @inserted, already_exists = already_exists + @already_exists,
  rejected = rejected + @rejected, updated_at = @now
WHERE id = @id AND lease_owner = @owner AND status = N'running';
SELECT @@ROWCOUNT AS n;`;

/** Creates the task unless its dedupe key exists (queued, failed, or running under the caller's lease); answers it either way. */
export const ENQUEUE = `INSERT INTO tasks (dedupe_key, file_name, file_version, table_name, slice_start, slice_limit, status, error,
  bytes_total, lease_owner, lease_expires_at, attempts, created_at, updated_at, started_at, finished_at)
OUTPUT inserted.*, 1 AS created
SELECT @key, @file_name, @file_version, @table_name, @slice_start, @slice_limit, @status, @error,
  @bytes_total, @owner, @expires, CASE WHEN @status = N'running' THEN 1 ELSE 0 END, @now, @now,
  CASE WHEN @status = N'running' THEN @now END, CASE WHEN @status = N'failed' THEN @now END
WHERE NOT EXISTS (SELECT 1 FROM tasks WITH (UPDLOCK, HOLDLOCK) WHERE dedupe_key = @key);
IF @@ROWCOUNT = 0 SELECT *, 0 AS created FROM tasks WHERE dedupe_key = @key;`;

/**
 * Takes the next runnable task in one statement: READPAST skips rows another loader is claiming,
 * UPDLOCK keeps two loaders from taking the same one. Dimension files first, then by id.
 */
export const CLAIM = `WITH next_task AS (
  SELECT TOP (1) t.* FROM tasks t WITH (UPDLOCK, READPAST, ROWLOCK)
  WHERE (t.status = N'queued' OR (t.status = N'running' AND t.lease_expires_at < @now))
    AND (t.table_name <> N'hired_employees' OR NOT EXISTS (
      SELECT 1 FROM tasks d WHERE d.table_name IN (N'departments', N'jobs') AND d.status IN (N'queued', N'running')))
  ORDER BY CASE WHEN t.table_name = N'hired_employees' THEN 1 ELSE 0 END, t.id
)
UPDATE next_task SET status = N'running', lease_owner = @owner, lease_expires_at = @expires,
  attempts = attempts + 1, started_at = COALESCE(started_at, @now), updated_at = @now
OUTPUT inserted.*;`;

export const RENEW = `UPDATE tasks SET lease_expires_at = @expires, updated_at = @now
WHERE id = @id AND lease_owner = @owner AND status = N'running';
SELECT @@ROWCOUNT AS n;`;

export const FINISH = `UPDATE tasks SET status = @status, error = @error, finished_at = @now, updated_at = @now,
  lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND lease_owner = @owner AND status = N'running';
SELECT @@ROWCOUNT AS n;`;

export const RETRY = `UPDATE tasks SET status = N'queued', error = NULL, finished_at = NULL, updated_at = @now
OUTPUT inserted.*
WHERE id = @id AND status = N'failed' AND table_name IS NOT NULL;`;

export const LIST_TASKS = 'SELECT * FROM tasks ORDER BY id DESC OFFSET @offset ROWS FETCH NEXT @limit ROWS ONLY;';
export const COUNT_TASKS = 'SELECT COUNT_BIG(*) AS n FROM tasks;';
export const LIST_REJECTS =
  'SELECT * FROM task_rejects WHERE task_id = @id ORDER BY line OFFSET @offset ROWS FETCH NEXT @limit ROWS ONLY;';
export const COUNT_REJECTS = 'SELECT COUNT_BIG(*) AS n FROM task_rejects WHERE task_id = @id;';

/** The year's hires: its bounds are DATETIME2 parameters (see yearRange), so the datetime index range applies. */
const IN_YEAR = 'datetime >= @year_start AND datetime <= @year_end';

/**
 * The same shape as the SQLite and PostgreSQL queries: counted per department and job id first, then
 * named. Names are grouped and compared exactly (binary collation) as SQLite does: 'Sales' and 'sales'
 * stay two rows even on a case-insensitive database. Quarters are those of the stored UTC datetime.
 */
export const HIRED_BY_QUARTER = `WITH counts AS (
  SELECT department_id, job_id,
    SUM(CASE WHEN DATEPART(quarter, datetime) = 1 THEN 1 ELSE 0 END) AS q1,
    SUM(CASE WHEN DATEPART(quarter, datetime) = 2 THEN 1 ELSE 0 END) AS q2,
    SUM(CASE WHEN DATEPART(quarter, datetime) = 3 THEN 1 ELSE 0 END) AS q3,
    SUM(CASE WHEN DATEPART(quarter, datetime) = 4 THEN 1 ELSE 0 END) AS q4
  FROM hired_employees
  WHERE ${IN_YEAR}
  GROUP BY department_id, job_id)
SELECT d.department COLLATE Latin1_General_BIN2 AS department, j.job COLLATE Latin1_General_BIN2 AS job,
  SUM(c.q1) AS Q1, SUM(c.q2) AS Q2, SUM(c.q3) AS Q3, SUM(c.q4) AS Q4
FROM counts c
JOIN departments d ON d.id = c.department_id
JOIN jobs j ON j.id = c.job_id
GROUP BY d.department COLLATE Latin1_General_BIN2, j.job COLLATE Latin1_General_BIN2;`;

/**
 * Above the mean, in exact integers: hired * departments > total hires (no AVG, so no rounding); hired
 * is BIGINT throughout, so the product cannot overflow. Departments without a hire count as 0.
 */
export const HIRING_ABOVE_AVERAGE = `WITH hires AS (
  SELECT department_id, COUNT_BIG(*) AS hired FROM hired_employees
  WHERE ${IN_YEAR}
  GROUP BY department_id),
per_department AS (
  SELECT d.id AS id, d.department AS department, COALESCE(h.hired, 0) AS hired
  FROM departments d LEFT JOIN hires h ON h.department_id = d.id)
SELECT id, department, hired FROM per_department
WHERE hired * (SELECT COUNT_BIG(*) FROM per_department) > (SELECT SUM(hired) FROM per_department);`;

/** Serialises migrators (the lock ends with the transaction) and creates the ledger of applied migrations. */
export const MIGRATION_LOCK = `DECLARE @lock INT;
EXEC @lock = sp_getapplock @Resource = N'hiredb:migrate', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 120000;
IF @lock < 0 THROW 51000, N'hiredb: timed out waiting for the migration lock', 1;
IF OBJECT_ID(N'dbo.schema_migrations', N'U') IS NULL
  CREATE TABLE schema_migrations (version NVARCHAR(100) NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL);`;

// ------------------------------------------------------------------------------------- helpers

/** The batches of a migration file: the text between lines holding only `GO`; empty ones dropped. */
export function splitSqlBatches(sql: string): string[] {
  return sql
    .split(/^[ \t]*GO[ \t]*\r?$/im)
    .map((b) => b.trim())
    .filter((b) => b.replace(/^\s*--.*$/gm, '').trim() !== '');
}

const DEDUPE_KEY_MAX = 450;

/** taskDedupeKey, shortened to fit NVARCHAR(450) when a long file name makes it longer (a hash keeps it unique). */
export function mssqlDedupeKey(t: NewTask): string {
  const key = taskDedupeKey(t);
  if (key.length <= DEDUPE_KEY_MAX) return key;
  const digest = createHash('sha256').update(key).digest('hex');
  return `${key.slice(0, DEDUPE_KEY_MAX - digest.length - 8)}\u001fsha256:${digest}`;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?Z$/;

/**
 * `YYYY-MM-DDTHH:MM:SS[.fffffff]Z` as the Date tedious sends for DATETIME2: milliseconds in the Date,
 * the digits past them in `nanosecondDelta` (seconds), so microseconds survive.
 */
export function toDateTime2(iso: string): Date & { nanosecondDelta?: number } {
  const m = ISO_UTC.exec(iso);
  if (!m) throw new RangeError(`not a UTC ISO 8601 date-time: ${iso}`);
  const year = Number(m[1]);
  if (year < 1) throw new RangeError(`${iso}: SQL Server DATETIME2 holds years 0001 to 9999`);
  const fraction = (m[7] ?? '').padEnd(7, '0');
  const date: Date & { nanosecondDelta?: number } = new Date(0);
  date.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  date.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), Number(fraction.slice(0, 3)));
  const rest = Number(fraction.slice(3)); // hundreds of nanoseconds
  if (rest > 0) date.nanosecondDelta = rest / 1e7;
  return date;
}

/** SQL Server's deadlock victim error: the transaction was rolled back whole and may simply run again. */
const DEADLOCK_VICTIM = 1205;
const DEADLOCK_ATTEMPTS = 5;

/**
 * Runs `fn` again when SQL Server picked it as a deadlock victim (concurrent batches on overlapping ids
 * can deadlock where SQLite, with one writer, would have waited), unless `retryable` says no. Other
 * errors pass through.
 */
export async function retryDeadlocks<T>(fn: () => Promise<T>, retryable: () => boolean = () => true): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= DEADLOCK_ATTEMPTS || sqlErrorNumber(e) !== DEADLOCK_VICTIM || !retryable()) throw e;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

/**
 * The first and the last instant of a UTC year as DATETIME2(7) parameters: an inclusive range, because
 * the year after 9999 has no DATETIME2 to end before; no stored value lies past the last tick.
 */
export function yearRange(year: number): SqlParams {
  const y = String(year).padStart(4, '0');
  return {
    year_start: datetime2(toDateTime2(`${y}-01-01T00:00:00Z`)),
    year_end: datetime2(toDateTime2(`${y}-12-31T23:59:59.9999999Z`)),
  };
}
/** Years DATETIME2 can hold; no hire can be stored in any other. */
const isStorableYear = (year: number) => Number.isInteger(year) && year >= 1 && year <= 9999;

const isTaskId = (id: number) => Number.isInteger(id) && id >= 1 && id <= 2_147_483_647;
/** OFFSET must be >= 0 and FETCH NEXT >= 1 on SQL Server; a negative limit means no limit, as in SQLite. */
const page = (limit: number, offset: number) => ({
  offset: bigint(Math.max(0, Math.trunc(offset) || 0)),
  limit: bigint(limit < 0 ? Number.MAX_SAFE_INTEGER : Math.trunc(limit)),
});

function stagingRow(table: TableName, row: RowOf[TableName]): unknown[] {
  switch (table) {
    case 'departments': {
      const r = row as RowOf['departments'];
      return [r.id, r.department];
    }
    case 'jobs': {
      const r = row as RowOf['jobs'];
      return [r.id, r.job];
    }
    case 'hired_employees': {
      const r = row as RowOf['hired_employees'];
      return [r.id, r.name, toDateTime2(r.datetime), r.department_id, r.job_id];
    }
  }
}

const rejectRow = (taskId: number, r: Reject): unknown[] => [taskId, r.line, r.id, r.raw, r.reasons.join(',')];

// ------------------------------------------------------------------------------------- adapter

/** SQL Server / Azure SQL adapter: the SQL of every operation, run by `exec`. */
export function createMssqlDatabase(exec: SqlExecutor): Database {
  const count = (rows: SqlRow[], column = 'n') => Number(rows[0]?.[column] ?? 0);

  const tasks: TaskRepository = {
    async enqueue(t: NewTask, now: number) {
      const params: SqlParams = {
        key: nvarchar(mssqlDedupeKey(t)),
        file_name: nvarchar(t.file_name),
        file_version: nvarchar(t.file_version),
        table_name: nvarchar(t.table_name),
        slice_start: bigint(t.slice_start ?? null),
        slice_limit: bigint(t.slice_limit ?? null),
        status: nvarchar(t.error ? 'failed' : t.lease ? 'running' : 'queued'),
        error: nvarchar(t.error ?? null),
        owner: nvarchar(t.lease?.owner ?? null),
        expires: bigint(t.lease?.expiresAt ?? null),
        bytes_total: bigint(t.bytes_total),
        now: bigint(now),
      };
      const [row] = await retryDeadlocks(() => exec.query(ENQUEUE, params));
      return { task: taskFromRecord(row as TaskRecord), created: Number(row.created) === 1 };
    },
    async claim(owner, now, leaseMs) {
      const params = { owner: nvarchar(owner), now: bigint(now), expires: bigint(now + leaseMs) };
      const [row] = await retryDeadlocks(() => exec.query(CLAIM, params));
      return row ? taskFromRecord(row) : null;
    },
    async renew(taskId, owner, now, leaseMs) {
      if (!isTaskId(taskId)) return false;
      const rows = await exec.query(RENEW, { id: int(taskId), owner: nvarchar(owner), now: bigint(now), expires: bigint(now + leaseMs) });
      return count(rows) > 0;
    },
    async finish(taskId, owner, outcome, now) {
      if (!isTaskId(taskId)) return false;
      const rows = await exec.query(FINISH, {
        id: int(taskId),
        owner: nvarchar(owner),
        status: nvarchar(outcome.error === null ? 'done' : 'failed'),
        error: nvarchar(outcome.error),
        now: bigint(now),
      });
      return count(rows) > 0;
    },
    async retry(taskId, now) {
      if (!isTaskId(taskId)) return null;
      const [row] = await exec.query(RETRY, { id: int(taskId), now: bigint(now) });
      return row ? taskFromRecord(row) : null;
    },
    async get(taskId) {
      if (!isTaskId(taskId)) return null;
      const [row] = await exec.query('SELECT * FROM tasks WHERE id = @id;', { id: int(taskId) });
      return row ? taskFromRecord(row) : null;
    },
    async list({ limit, offset }) {
      const rows = limit === 0 ? [] : await exec.query(LIST_TASKS, page(limit, offset));
      const total = count(await exec.query(COUNT_TASKS));
      return { tasks: rows.map(taskFromRecord), total };
    },
    async rejects(taskId, { limit, offset }) {
      if (!isTaskId(taskId)) return { rejects: [], total: 0 };
      const rows = limit === 0 ? [] : await exec.query(LIST_REJECTS, { id: int(taskId), ...page(limit, offset) });
      const total = count(await exec.query(COUNT_REJECTS, { id: int(taskId) }));
      return { rejects: rows.map(rejectFromRecord), total };
    },
  };

  const reports: ReportQueries = {
    async hiredByQuarter(year) {
      if (!isStorableYear(year)) return [];
      const rows = await exec.query(HIRED_BY_QUARTER, yearRange(year));
      return rows.map(
        (r): HiredByQuarterRow => ({
          department: String(r.department),
          job: String(r.job),
          Q1: Number(r.Q1),
          Q2: Number(r.Q2),
          Q3: Number(r.Q3),
          Q4: Number(r.Q4),
        }),
      );
    },
    async hiringAboveAverage(year) {
      if (!isStorableYear(year)) return [];
      const rows = await exec.query(HIRING_ABOVE_AVERAGE, yearRange(year));
      return rows.map((r): HiringAboveAverageRow => ({ id: Number(r.id), department: String(r.department), hired: Number(r.hired) }));
    },
  };

  /**
   * One transaction: the rows go to #staging, then (after the task's previous batch has committed) into
   * their table, with the data_version bump, the rejects and the task's advance. See INSERT_FROM_STAGING
   * for why nothing shared is touched before that wait.
   */
  async function insertBatch<T extends TableName>(table: T, rows: RowOf[T][], checkpoint?: TaskCheckpoint): Promise<BatchResult> {
    if (rows.length === 0 && !checkpoint) return { inserted: 0, already_exists: 0 };
    if (checkpoint && !isTaskId(checkpoint.taskId)) throw new LeaseLostError(checkpoint.taskId, checkpoint.owner);
    // Converted before the transaction starts: a bad value fails the batch without a round trip.
    const staged = rows.map((r) => stagingRow(table, r));
    let previousFailed = false;
    const write = async (tx: SqlExecutor): Promise<BatchResult> => {
      if (staged.length > 0) {
        await tx.query(stagingDdl(table));
        await tx.bulkLoad('#staging', STAGING_COLUMNS[table], staged);
      }
      // Nothing shared is locked yet, so the previous batch cannot be waiting on this one: no deadlock.
      // If it failed, this one rolls back (the executor does, on the throw) and fails with its error.
      if (checkpoint?.after) {
        await checkpoint.after.catch((e: unknown) => {
          previousFailed = true;
          throw e;
        });
      }
      const inserted = staged.length > 0 ? count(await tx.query(INSERT_FROM_STAGING[table]), 'inserted') : 0;
      if (inserted > 0) await tx.query(BUMP_VERSION);
      const result = { inserted, already_exists: rows.length - inserted };
      if (checkpoint) {
        if (checkpoint.rejects.length > 0) {
          await tx.bulkLoad('task_rejects', REJECT_COLUMNS, checkpoint.rejects.map((r) => rejectRow(checkpoint.taskId, r)));
        }
        const advanced = await tx.query(ADVANCE_TASK, {
          id: int(checkpoint.taskId),
          owner: nvarchar(checkpoint.owner),
          line: bigint(checkpoint.line),
          bytes: bigint(checkpoint.bytesRead),
          inserted: bigint(inserted),
          already_exists: bigint(result.already_exists),
          rejected: bigint(checkpoint.rejects.length),
          now: bigint(Date.now()),
        });
        if (count(advanced) === 0) throw new LeaseLostError(checkpoint.taskId, checkpoint.owner);
      }
      return result;
    };
    // The previous batch's failure is final for this one: a deadlock it died of is not retried here.
    return retryDeadlocks(() => exec.transaction(write), () => !previousFailed);
  }

  return {
    dialect: 'mssql',
    async migrate() {
      const migrations = readMigrations('mssql');
      await exec.transaction(async (tx) => {
        await tx.query(MIGRATION_LOCK);
        for (const m of migrations) {
          const done = await tx.query('SELECT 1 AS done FROM schema_migrations WHERE version = @version;', {
            version: nvarchar(m.version),
          });
          if (done.length > 0) continue;
          for (const batch of splitSqlBatches(m.sql)) await tx.query(batch);
          await tx.query('INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @now);', {
            version: nvarchar(m.version),
            now: bigint(Date.now()),
          });
        }
      });
    },
    close: () => exec.close(),
    insertBatch,
    async dimensionIds(table: DimensionTable) {
      const rows = await exec.query(`SELECT id FROM ${table === 'departments' ? 'departments' : 'jobs'};`);
      return new Set(rows.map((r) => Number(r.id)));
    },
    async dataVersion() {
      return count(await exec.query('SELECT version FROM data_version WHERE id = 1;'), 'version');
    },
    tasks,
    reports,
  };
}

// ------------------------------------------------------------------------------- tedious executor

export interface MssqlOptions {
  /** Connections kept open (default 4); each runs one request at a time. */
  poolSize?: number;
  /** Milliseconds one statement or bulk load may take (default 120000). */
  requestTimeoutMs?: number;
}

/** Opens the SQL Server / Azure SQL database a `mssql://` URL or ADO connection string names. */
export async function openMssqlDatabase(connection: string, opts: MssqlOptions = {}): Promise<Database> {
  const exec = await openMssqlExecutor(connection, opts);
  return createMssqlDatabase(exec);
}

/** A pooled tedious executor; fails here when the server cannot be reached or refuses the login. */
export async function openMssqlExecutor(connection: string, opts: MssqlOptions = {}): Promise<SqlExecutor> {
  const exec = createTediousExecutor(parseMssqlConnection(connection), opts);
  try {
    await exec.query('SELECT 1 AS ok;');
  } catch (e) {
    await exec.close();
    throw e;
  }
  return exec;
}

const TEDIOUS_TYPE = {
  Int: TYPES.Int,
  BigInt: TYPES.BigInt,
  NVarChar: TYPES.NVarChar,
  DateTime2: TYPES.DateTime2,
} as const;

interface Session {
  conn: Connection;
  broken: boolean;
  /** The last request queued on this connection: the next one starts after it settles. */
  tail: Promise<unknown>;
}

interface ColumnValue {
  value: unknown;
  metadata: { colName: string };
}

/** Runs `op` after every earlier operation on the session, so a connection never has two requests at once. */
function serial<T>(s: Session, op: () => Promise<T>): Promise<T> {
  const run = s.tail.then(op, op);
  s.tail = run.catch(() => undefined);
  return run;
}

function paramOptions(p: SqlParam) {
  if (p.type === 'NVarChar') return { length: typeof p.value === 'string' && p.value.length > 4000 ? Infinity : 4000 };
  if (p.type === 'DateTime2') return { scale: 7 };
  return undefined;
}

function runQuery(s: Session, sql: string, params: SqlParams): Promise<SqlRow[]> {
  return new Promise((resolve, reject) => {
    const rows: SqlRow[] = [];
    const request = new Request(sql, (err) => {
      if (err) {
        if (err instanceof ConnectionError) s.broken = true;
        reject(err);
      } else resolve(rows);
    });
    const entries = Object.entries(params);
    for (const [name, p] of entries) request.addParameter(name, TEDIOUS_TYPE[p.type], p.value, paramOptions(p));
    request.on('row', (columns: ColumnValue[]) => {
      const row: SqlRow = {};
      for (const c of columns) row[c.metadata.colName] = c.value;
      rows.push(row);
    });
    // Without parameters: a plain batch, whose #temp tables outlive it (sp_executesql would drop them).
    if (entries.length === 0) s.conn.execSqlBatch(request);
    else s.conn.execSql(request);
  });
}

function runBulkLoad(s: Session, table: string, columns: BulkColumn[], rows: unknown[][]): Promise<void> {
  return new Promise((resolve, reject) => {
    const bulk = s.conn.newBulkLoad(table, { keepNulls: true }, (err) => {
      if (err) {
        if (err instanceof ConnectionError) s.broken = true;
        reject(err);
      } else resolve();
    });
    for (const c of columns) {
      bulk.addColumn(c.name, TEDIOUS_TYPE[c.type], { nullable: c.nullable, length: c.length, scale: c.scale });
    }
    s.conn.execBulkLoad(bulk, rows);
  });
}

function txStep(s: Session, step: 'begin' | 'commit' | 'rollback'): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null | undefined) => (err ? reject(err) : resolve());
    if (step === 'begin') s.conn.beginTransaction(done);
    else if (step === 'commit') s.conn.commitTransaction(done);
    else s.conn.rollbackTransaction(done);
  });
}

function openSession(config: MssqlConfig, requestTimeout: number): Promise<Session> {
  return new Promise((resolve, reject) => {
    const conn = new Connection({ ...config, options: { ...config.options, appName: 'hiredb', requestTimeout } });
    const session: Session = { conn, broken: false, tail: Promise.resolve() };
    conn.on('error', () => (session.broken = true));
    conn.on('end', () => (session.broken = true));
    conn.connect((err) => (err ? reject(err) : resolve(session)));
  });
}

function closeSession(s: Session): Promise<void> {
  if (s.conn.closed) return Promise.resolve();
  return new Promise((resolve) => {
    s.conn.once('end', () => resolve());
    s.conn.close();
  });
}

/** A small pool of tedious connections behind the SqlExecutor port. */
export function createTediousExecutor(config: MssqlConfig, opts: MssqlOptions = {}): SqlExecutor {
  const size = Math.max(1, opts.poolSize ?? 4);
  const requestTimeout = opts.requestTimeoutMs ?? 120_000;
  const idle: Session[] = [];
  const waiting: Array<() => void> = [];
  let permits = size;
  let closed = false;

  async function acquire(): Promise<Session> {
    if (closed) throw new Error('the SQL Server connection pool is closed');
    if (permits > 0) permits--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      if (closed) throw new Error('the SQL Server connection pool is closed');
      for (let s = idle.pop(); s; s = idle.pop()) {
        if (!s.broken) return s;
        void closeSession(s);
      }
      return await openSession(config, requestTimeout);
    } catch (e) {
      handBack();
      throw e;
    }
  }
  function handBack() {
    const next = waiting.shift();
    if (next) next();
    else permits++;
  }
  function release(s: Session) {
    if (s.broken || closed) void closeSession(s);
    else idle.push(s);
    handBack();
  }
  async function withSession<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const s = await acquire();
    try {
      return await fn(s);
    } finally {
      release(s);
    }
  }

  function onSession(s: Session, isOpen: () => boolean): SqlExecutor {
    const check = () => {
      if (!isOpen()) throw new Error('transaction already ended');
    };
    const tx: SqlExecutor = {
      query: (sql, params = {}) => (check(), serial(s, () => runQuery(s, sql, params))),
      bulkLoad: (table, columns, rows) => (check(), serial(s, () => runBulkLoad(s, table, columns, rows))),
      transaction: (fn) => fn(tx), // nested: part of the enclosing transaction
      close: async () => {
        throw new Error('close the executor, not a transaction');
      },
    };
    return tx;
  }

  return {
    query: (sql, params = {}) => withSession((s) => serial(s, () => runQuery(s, sql, params))),
    bulkLoad: (table, columns, rows) => withSession((s) => serial(s, () => runBulkLoad(s, table, columns, rows))),
    transaction: (fn) =>
      withSession(async (s) => {
        await serial(s, () => txStep(s, 'begin'));
        let open = true;
        try {
          const result = await fn(onSession(s, () => open));
          await serial(s, () => txStep(s, 'commit'));
          return result;
        } catch (e) {
          // The server may have ended the transaction already (deadlock victim, severe error): a
          // session whose rollback fails is not reused.
          await serial(s, () => txStep(s, 'rollback')).catch(() => (s.broken = true));
          throw e;
        } finally {
          open = false;
        }
      }),
    async close() {
      closed = true;
      await Promise.all(idle.splice(0).map(closeSession));
    },
  };
}
