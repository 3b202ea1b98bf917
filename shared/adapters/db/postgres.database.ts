import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DimensionTable, RowOf, TableName } from '../../domain/tables.ts';
import type { NewTask } from '../../domain/task.ts';
import type { HiredByQuarterRow, HiringAboveAverageRow } from '../../domain/reports.ts';
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

export interface PostgresOptions {
  /** Schema every connection works in (search_path); migrate() creates it when missing. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/** Unquoted identifiers only: the name goes into search_path and must not change case or need quoting. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8_OID = 20;

/**
 * BIGINT columns (task ids, epoch-ms times, counts) come back as numbers: every value HireDB stores
 * is far below 2^53. Set on this pool only, never on pg's global type registry.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

const COPY_INTO: Record<TableName, string> = {
  departments: 'COPY departments (id, department) FROM STDIN',
  jobs: 'COPY jobs (id, job) FROM STDIN',
  hired_employees: 'COPY hired_employees (id, name, datetime, department_id, job_id) FROM STDIN',
};

/** Ids of a batch already in the table: one index range scan when the ids are dense, a lookup each otherwise. */
const EXISTING_IN_RANGE: Record<TableName, string> = {
  departments: 'SELECT id FROM departments WHERE id BETWEEN $1 AND $2',
  jobs: 'SELECT id FROM jobs WHERE id BETWEEN $1 AND $2',
  hired_employees: 'SELECT id FROM hired_employees WHERE id BETWEEN $1 AND $2',
};
const EXISTING_OF: Record<TableName, string> = {
  departments: 'SELECT id FROM departments WHERE id = ANY($1::int[])',
  jobs: 'SELECT id FROM jobs WHERE id = ANY($1::int[])',
  hired_employees: 'SELECT id FROM hired_employees WHERE id = ANY($1::int[])',
};

/** Sends COPY text lines in one write and waits until the server has taken them. */
function copyText(client: pg.PoolClient, sql: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(lines.join(''));
  });
}

const BUMP_VERSION = 'UPDATE data_version SET version = version + 1 WHERE id = 1';
const UNIQUE_VIOLATION = '23505';

const INSERT_REJECTS = `
INSERT INTO task_rejects (task_id, line, record_id, raw, reasons)
SELECT $1::bigint, r.line, r.record_id, r.raw, r.reasons
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS r(line, record_id, raw, reasons)`;

const ADVANCE_TASK = `
UPDATE tasks SET checkpoint_line = $3::bigint, bytes_read = $4::bigint,
  processed = processed + $5::bigint + $6::bigint + $7::bigint,
  inserted = inserted + $5::bigint, already_exists = already_exists + $6::bigint,
  rejected = rejected + $7::bigint, updated_at = $8::bigint
WHERE id = $1 AND lease_owner = $2 AND status = 'running'`;

const ENQUEUE = `
INSERT INTO tasks (dedupe_key, file_name, file_version, table_name, slice_start, slice_limit, status, error,
  bytes_total, created_at, updated_at, lease_owner, lease_expires_at, attempts, started_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7::text, $8, $9, $10::bigint, $10::bigint, $11, $12::bigint,
  CASE WHEN $7::text = 'running' THEN 1 ELSE 0 END,
  CASE WHEN $7::text = 'running' THEN $10::bigint END,
  CASE WHEN $7::text = 'failed' THEN $10::bigint END)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING *`;

/** One statement: the row is locked by exactly one claimer (SKIP LOCKED), others take the next one. */
const CLAIM = `
WITH next AS (
  SELECT t.id FROM tasks t
  WHERE (t.status = 'queued' OR (t.status = 'running' AND t.lease_expires_at < $3::bigint))
    AND (t.table_name <> 'hired_employees' OR NOT EXISTS (
      SELECT 1 FROM tasks d WHERE d.table_name IN ('departments', 'jobs') AND d.status IN ('queued', 'running')))
  ORDER BY CASE WHEN t.table_name = 'hired_employees' THEN 1 ELSE 0 END, t.id
  LIMIT 1
  FOR UPDATE OF t SKIP LOCKED)
UPDATE tasks SET status = 'running', lease_owner = $1, lease_expires_at = $2::bigint,
  attempts = tasks.attempts + 1, started_at = COALESCE(tasks.started_at, $3::bigint), updated_at = $3::bigint
FROM next
WHERE tasks.id = next.id
RETURNING tasks.*`;

const RENEW = `UPDATE tasks SET lease_expires_at = $4::bigint, updated_at = $3::bigint
WHERE id = $1 AND lease_owner = $2 AND status = 'running'`;

const FINISH = `UPDATE tasks SET status = $3, error = $4, finished_at = $5::bigint, updated_at = $5::bigint,
  lease_owner = NULL, lease_expires_at = NULL
WHERE id = $1 AND lease_owner = $2 AND status = 'running'`;

const RETRY = `UPDATE tasks SET status = 'queued', error = NULL, finished_at = NULL, updated_at = $2::bigint
WHERE id = $1 AND status = 'failed' AND table_name IS NOT NULL RETURNING *`;

// Same shape as the SQLite queries: counted per department and job id, then named. The year bounds are
// built in SQL (make_date handles year 9999 + 1); datetimes are compared as instants, years taken in UTC.
const HIRED_BY_QUARTER = `
WITH counts AS (
  SELECT department_id, job_id,
    COUNT(*) FILTER (WHERE EXTRACT(QUARTER FROM datetime AT TIME ZONE 'UTC') = 1) AS q1,
    COUNT(*) FILTER (WHERE EXTRACT(QUARTER FROM datetime AT TIME ZONE 'UTC') = 2) AS q2,
    COUNT(*) FILTER (WHERE EXTRACT(QUARTER FROM datetime AT TIME ZONE 'UTC') = 3) AS q3,
    COUNT(*) FILTER (WHERE EXTRACT(QUARTER FROM datetime AT TIME ZONE 'UTC') = 4) AS q4
  FROM hired_employees
  WHERE datetime >= make_timestamptz($1::int, 1, 1, 0, 0, 0, 'UTC')
    AND datetime < make_timestamptz($1::int + 1, 1, 1, 0, 0, 0, 'UTC')
  GROUP BY department_id, job_id)
SELECT d.department AS department, j.job AS job,
  SUM(c.q1)::int AS "Q1", SUM(c.q2)::int AS "Q2", SUM(c.q3)::int AS "Q3", SUM(c.q4)::int AS "Q4"
FROM counts c
JOIN departments d ON d.id = c.department_id
JOIN jobs j ON j.id = c.job_id
GROUP BY d.department, j.job`;

// hired stays BIGINT inside the comparison so hired * count cannot overflow; exact integer arithmetic.
const HIRING_ABOVE_AVERAGE = `
WITH hires AS (
  SELECT department_id, COUNT(*) AS hired FROM hired_employees
  WHERE datetime >= make_timestamptz($1::int, 1, 1, 0, 0, 0, 'UTC')
    AND datetime < make_timestamptz($1::int + 1, 1, 1, 0, 0, 0, 'UTC')
  GROUP BY department_id),
per_department AS (
  SELECT d.id AS id, d.department AS department, COALESCE(h.hired, 0) AS hired
  FROM departments d LEFT JOIN hires h ON h.department_id = d.id)
SELECT id, department, hired::int AS hired FROM per_department
WHERE hired * (SELECT COUNT(*) FROM per_department) > (SELECT SUM(hired) FROM per_department)`;

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One field in COPY text format: backslash, tab, newline and carriage return are backslash-escaped
 * (so `\N` and `\.` in data stay data). PostgreSQL text cannot hold U+0000, so such a value is refused.
 */
export function copyTextField(value: string): string {
  if (value.includes('\u0000')) throw new RangeError('PostgreSQL cannot store the character U+0000 in a text value');
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value;
}

function copyInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer id: ${value}`);
  return String(value);
}

function encodeLine(table: TableName, row: RowOf[TableName]): string {
  switch (table) {
    case 'departments': {
      const r = row as RowOf['departments'];
      return `${copyInteger(r.id)}\t${copyTextField(r.department)}\n`;
    }
    case 'jobs': {
      const r = row as RowOf['jobs'];
      return `${copyInteger(r.id)}\t${copyTextField(r.job)}\n`;
    }
    case 'hired_employees': {
      const r = row as RowOf['hired_employees'];
      return `${copyInteger(r.id)}\t${copyTextField(r.name)}\t${copyTextField(r.datetime)}\t${copyInteger(r.department_id)}\t${copyInteger(r.job_id)}\n`;
    }
  }
}

/** Diagnostic text (a reject's raw record) is kept even when it holds U+0000, which PostgreSQL cannot store. */
const storableText = (value: string): string => value.replaceAll('\u0000', '\uFFFD');

const isRowId = (n: number): boolean => Number.isSafeInteger(n);

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The URL without its `options` parameter, and that parameter (pg lets the URL's options override the config's). */
function splitOptions(url: string): { url: string; options: string | null } {
  if (!/[?&]options=/.test(url)) return { url, options: null };
  const parsed = new URL(url);
  const options = parsed.searchParams.get('options');
  parsed.searchParams.delete('options');
  return { url: parsed.toString(), options };
}

/**
 * PostgreSQL adapter (pg pool + COPY). With `schema`, every connection works in that schema (created by
 * migrate()), so several HireDB databases, or test files, can share one PostgreSQL database.
 */
export async function openPostgresDatabase(url: string, opts: PostgresOptions = {}): Promise<Database> {
  const schema = opts.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new RangeError(`schema must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63), got "${schema}"`);
  }
  const split = splitOptions(url);
  const settings = [split.options, '-c TimeZone=UTC', schema ? `-c search_path=${schema}` : null].filter(Boolean);
  const pool = new pg.Pool({
    connectionString: split.url,
    max: opts.poolSize ?? 10,
    options: settings.join(' '),
    types: TYPES,
  });
  // An idle connection that dies is dropped by the pool and replaced on the next checkout; without a
  // listener its error event would crash the process.
  pool.on('error', () => {});
  try {
    (await pool.connect()).release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }

  async function transaction<T>(begin: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch (rollbackError) {
        client.release(rollbackError as Error); // the connection is unusable: destroy it
      }
      throw err;
    }
  }

  const query = async (text: string, values?: unknown[]) => pool.query(text, values);

  /**
   * Rows go straight into their table with COPY, after one query for which of their ids are present.
   * A concurrent writer that inserts one of those ids in between makes the COPY fail with a unique
   * violation; the batch is then rolled back and tried again, and the second look sees that row.
   */
  async function insertBatch(
    table: TableName,
    rows: RowOf[TableName][],
    checkpoint: TaskCheckpoint | undefined,
  ): Promise<BatchResult> {
    if (rows.length === 0 && !checkpoint) return { inserted: 0, already_exists: 0 };
    if (checkpoint && !isRowId(checkpoint.taskId)) throw new LeaseLostError(checkpoint.taskId, checkpoint.owner);
    const lines = rows.map((row) => encodeLine(table, row)); // refuses unstorable values before anything is sent
    // A file load's batch commits with its checkpoint, so it need not wait for the WAL flush: if the server
    // crashes, rows and checkpoint are lost together and the task resumes before them.
    const begin = checkpoint ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN';
    for (let attempt = 1; ; attempt++) {
      try {
        return await transaction(begin, async (client) => {
          const existing = await existingIds(client, table, rows);
          const fresh = existing.size === 0 ? lines : lines.filter((_, i) => !existing.has(rows[i].id));
          if (fresh.length > 0) await copyText(client, COPY_INTO[table], fresh);
          // The rows above take no lock another batch of this task needs; the shared rows below (version,
          // task) are locked only once the previous batch has committed, so batches cannot deadlock.
          await checkpoint?.after;
          if (fresh.length > 0) await client.query(BUMP_VERSION);
          const result = { inserted: fresh.length, already_exists: rows.length - fresh.length };
          if (checkpoint) await advanceTask(client, checkpoint, result);
          return result;
        });
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION || attempt >= 5) throw err;
      }
    }
  }

  async function existingIds(client: pg.PoolClient, table: TableName, rows: RowOf[TableName][]): Promise<Set<number>> {
    if (rows.length === 0) return new Set();
    let min = rows[0].id;
    let max = rows[0].id;
    for (const r of rows) {
      if (r.id < min) min = r.id;
      if (r.id > max) max = r.id;
    }
    const result =
      max - min < rows.length * 4
        ? await client.query(EXISTING_IN_RANGE[table], [min, max])
        : await client.query(EXISTING_OF[table], [rows.map((r) => r.id)]);
    return new Set(result.rows.map((r) => r.id as number));
  }

  async function advanceTask(client: pg.PoolClient, checkpoint: TaskCheckpoint, result: BatchResult) {
    const rejects = checkpoint.rejects;
    if (rejects.length > 0) {
      await client.query(INSERT_REJECTS, [
        checkpoint.taskId,
        rejects.map((r) => r.line),
        rejects.map((r) => (r.id === null ? null : storableText(r.id))),
        rejects.map((r) => storableText(r.raw)),
        rejects.map((r) => r.reasons.join(',')),
      ]);
    }
    const advanced = await client.query(ADVANCE_TASK, [
      checkpoint.taskId,
      checkpoint.owner,
      checkpoint.line,
      checkpoint.bytesRead,
      result.inserted,
      result.already_exists,
      rejects.length,
      Date.now(),
    ]);
    if (advanced.rowCount === 0) throw new LeaseLostError(checkpoint.taskId, checkpoint.owner);
  }

  const tasks: TaskRepository = {
    async enqueue(t: NewTask, now: number) {
      const key = taskDedupeKey(t);
      const created = await query(ENQUEUE, [
        key,
        t.file_name,
        t.file_version,
        t.table_name,
        t.slice_start ?? null,
        t.slice_limit ?? null,
        t.error ? 'failed' : t.lease ? 'running' : 'queued',
        t.error ?? null,
        t.bytes_total,
        now,
        t.lease?.owner ?? null,
        t.lease?.expiresAt ?? null,
      ]);
      if (created.rows.length > 0) return { task: taskFromRecord(created.rows[0] as TaskRecord), created: true };
      // A concurrent enqueue of the same key has committed by now (ON CONFLICT waited for it).
      const existing = await query('SELECT * FROM tasks WHERE dedupe_key = $1', [key]);
      return { task: taskFromRecord(existing.rows[0] as TaskRecord), created: false };
    },
    async claim(owner, now, leaseMs) {
      const { rows } = await query(CLAIM, [owner, now + leaseMs, now]);
      return rows.length > 0 ? taskFromRecord(rows[0] as TaskRecord) : null;
    },
    async renew(taskId, owner, now, leaseMs) {
      if (!isRowId(taskId)) return false;
      return ((await query(RENEW, [taskId, owner, now, now + leaseMs])).rowCount ?? 0) > 0;
    },
    async finish(taskId, owner, outcome, now) {
      if (!isRowId(taskId)) return false;
      const status = outcome.error === null ? 'done' : 'failed';
      return ((await query(FINISH, [taskId, owner, status, outcome.error, now])).rowCount ?? 0) > 0;
    },
    async retry(taskId, now) {
      if (!isRowId(taskId)) return null;
      const { rows } = await query(RETRY, [taskId, now]);
      return rows.length > 0 ? taskFromRecord(rows[0] as TaskRecord) : null;
    },
    async get(taskId) {
      if (!isRowId(taskId)) return null;
      const { rows } = await query('SELECT * FROM tasks WHERE id = $1', [taskId]);
      return rows.length > 0 ? taskFromRecord(rows[0] as TaskRecord) : null;
    },
    async list({ limit, offset }) {
      const [page, count] = await Promise.all([
        query('SELECT * FROM tasks ORDER BY id DESC LIMIT $1 OFFSET $2', [limit, offset]),
        query('SELECT COUNT(*)::int AS n FROM tasks'),
      ]);
      return { tasks: page.rows.map((r) => taskFromRecord(r as TaskRecord)), total: count.rows[0].n as number };
    },
    async rejects(taskId, { limit, offset }) {
      if (!isRowId(taskId)) return { rejects: [], total: 0 };
      const [page, count] = await Promise.all([
        query('SELECT * FROM task_rejects WHERE task_id = $1 ORDER BY line LIMIT $2 OFFSET $3', [taskId, limit, offset]),
        query('SELECT COUNT(*)::int AS n FROM task_rejects WHERE task_id = $1', [taskId]),
      ]);
      return { rejects: page.rows.map((r) => rejectFromRecord(r as TaskRecord)), total: count.rows[0].n as number };
    },
  };

  const reports: ReportQueries = {
    async hiredByQuarter(year) {
      return (await query(HIRED_BY_QUARTER, [year])).rows as HiredByQuarterRow[];
    },
    async hiringAboveAverage(year) {
      return (await query(HIRING_ABOVE_AVERAGE, [year])).rows as HiringAboveAverageRow[];
    },
  };

  // One lock per schema: migrators of the same schema queue behind each other, other schemas do not wait.
  const migrationLock = `hiredb:migrate:${schema ?? ''}`;
  const LOCK = 'SELECT pg_advisory_xact_lock(hashtext($1))';

  return {
    dialect: 'postgres',
    async migrate() {
      await transaction('BEGIN', async (client) => {
        await client.query(LOCK, [migrationLock]);
        if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)',
        );
      });
      for (const m of readMigrations('postgres')) {
        await transaction('BEGIN', async (client) => {
          await client.query(LOCK, [migrationLock]);
          const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
          if (done.rows.length > 0) return;
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
        });
      }
    },
    async close() {
      await pool.end();
    },
    async insertBatch<T extends TableName>(table: T, rows: RowOf[T][], checkpoint?: TaskCheckpoint) {
      return insertBatch(table, rows, checkpoint);
    },
    async dimensionIds(table: DimensionTable) {
      const { rows } = await query(`SELECT id FROM ${table === 'departments' ? 'departments' : 'jobs'}`);
      return new Set(rows.map((r) => r.id as number));
    },
    async dataVersion() {
      return (await query('SELECT version FROM data_version WHERE id = 1')).rows[0].version as number;
    },
    tasks,
    reports,
  };
}
