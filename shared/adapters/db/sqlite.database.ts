import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { COLUMNS, TABLES, type DimensionTable, type TableName } from '../../domain/tables.ts';
import { asColumns, type ColumnRows, type RowsIn } from '../../domain/row-columns.ts';
import type { NewTask } from '../../domain/task.ts';
import type { HiredByQuarterRow, HiringAboveAverageRow } from '../../domain/reports.ts';
import { idRuns, idRunsJson } from '../../domain/id-runs.ts';
import { TransientError } from '../../domain/errors.ts';
import {
  CheckpointGapError,
  LeaseLostError,
  type BatchResult,
  type Database,
  type ReportQueries,
  type TaskCheckpoint,
  type TaskRepository,
} from '../../ports/database.port.ts';
import { readMigrations, taskDedupeKey, wholeFileKeys } from './migrations.ts';
import { rejectFromRecord, taskFromRecord, type TaskRecord } from './task-row.ts';
import { sqliteApiKeys } from './sqlite-api-keys.ts';
import { diskReserve } from './sqlite-disk-reserve.ts';
import { openSqliteConnection, sqliteErrorKind, type SqliteConnection, type SqliteStatement } from './sqlite-driver.ts';
import * as reportSql from './sqlite.sql.ts';

/**
 * Pending writes folded per transaction: about 256,000 rows for an appending load's batches, a few tenths of
 * a second of the write lock. Measured at 1e6 pending rows: 256 folds as fast as one transaction for all,
 * 64 takes about 1.2×, 16 about 2×.
 */
const FOLD_CHUNK = 256;

/** Rows per INSERT statement: one statement of many rows costs about half as much per row as one each. */
const ROWS_PER_INSERT = 50;

function insertSql(table: TableName, rows: number): string {
  const columns = COLUMNS[table];
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')} ON CONFLICT (id) DO NOTHING`;
}

const CLAIM = `
UPDATE tasks SET status = 'running', lease_owner = @owner, lease_expires_at = @expires,
  attempts = attempts + 1, started_at = COALESCE(started_at, @now), updated_at = @now
WHERE id = (
  SELECT t.id FROM tasks t
  WHERE (t.status = 'queued' OR (t.status = 'running' AND t.lease_expires_at < @now))
    AND (t.table_name <> 'hired_employees' OR NOT EXISTS (
      SELECT 1 FROM tasks d WHERE d.table_name IN ('departments', 'jobs') AND d.status IN ('queued', 'running')))
  ORDER BY CASE WHEN t.table_name = 'hired_employees' THEN 1 ELSE 0 END, t.id
  LIMIT 1)
RETURNING *`;

/**
 * The driver's error in the domain's terms: SQLITE_BUSY (another process holds the write lock beyond
 * busy_timeout) is worth another try and becomes a TransientError (with the original as cause); SQLITE_FULL
 * and the rest are not.
 */
function toDomainError(e: unknown): unknown {
  return sqliteErrorKind(e) === 'busy' ? new TransientError(`SQLite: ${(e as Error).message}`, { cause: e }) : e;
}

/** Runs `fn`, turning a busy database into a TransientError; `onFull` hears of a full disk. */
async function translated<T>(fn: () => T | Promise<T>, onFull?: () => void): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (sqliteErrorKind(e) === 'full') onFull?.();
    throw toDomainError(e);
  }
}

/** SQLite adapter (better-sqlite3 on Node, node:sqlite on Deno): the embedded default, one file under var/. */
export function openSqliteDatabase(file: string): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = openSqliteConnection(file);
  // 16 KB pages for a new database (an existing one keeps its own): a load writes each page to the WAL and
  // then into the database, so 4× larger pages make a quarter of the write calls. Measured on a 1e6-row load,
  // median of 5 interleaved: 2.31 s against 2.64 s with the 4 KB default.
  db.exec('PRAGMA page_size = 16384');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 10000');
  // SQLite's own default page cache (2 MB): measured, a 1e7-row report scan takes 3.8 s with it and 6.7 s
  // with better-sqlite3's 16 MB default, and loads are no slower.
  db.exec('PRAGMA cache_size = -2000');
  // A write that finds the disk full frees the reserve, so the task it stopped can still be marked failed.
  const reserve = file === ':memory:' ? null : diskReserve(file);
  const guarded = <T>(fn: () => T | Promise<T>) => translated(fn, () => reserve?.release());

  let statements: ReturnType<typeof prepareStatements> | undefined;
  const st = () => (statements ??= prepareStatements(db));

  const insertBatch = db.immediate(
    (table: TableName, rows: ColumnRows, checkpoint: TaskCheckpoint | undefined): BatchResult => {
      const s = st();
      const { many, one } = s.insertRows[table];
      const columns = COLUMNS[table].map((c) => rows.columns[c]);
      const params: unknown[] = [];
      const bind = (from: number, to: number) => {
        params.length = 0;
        for (let k = from; k < to; k++) for (const column of columns) params.push(column[k]);
        return params;
      };
      // Read before the rows go in (this transaction is the only writer): the hires really inserted feed the reports.
      const fresh = table === 'hired_employees' ? freshIds(s, rows.columns.id as Int32Array, rows.count) : null;
      let inserted = 0;
      let i = 0;
      for (; i + ROWS_PER_INSERT <= rows.count; i += ROWS_PER_INSERT) inserted += many.run(bind(i, i + ROWS_PER_INSERT)).changes;
      for (; i < rows.count; i++) inserted += one.run(bind(i, i + 1)).changes;
      // Hires bump the data version when they are folded into the rollup; departments and jobs bump it here.
      if (fresh && fresh.length > 0) s.recordPending.run(idRunsJson(idRuns(fresh)));
      else if (inserted > 0) s.bumpVersion.run();
      const result = { inserted, already_exists: rows.count - inserted };
      if (checkpoint) {
        for (const r of checkpoint.rejects) {
          s.insertReject.run(checkpoint.taskId, r.line, r.id, r.raw, r.reasons.join(','));
        }
        const advanced = s.advanceTask.run({
          id: checkpoint.taskId,
          owner: checkpoint.owner,
          line: checkpoint.line,
          bytes: checkpoint.bytesRead,
          inserted,
          already_exists: result.already_exists,
          rejected: checkpoint.rejects.length,
          now: Date.now(),
          from: checkpoint.fromLine ?? null,
        });
        if (advanced.changes === 0) {
          const t = s.taskById.get(checkpoint.taskId) as TaskRecord | undefined;
          if (t?.lease_owner === checkpoint.owner && t.status === 'running' && checkpoint.fromLine !== undefined) {
            throw new CheckpointGapError(checkpoint.taskId, checkpoint.fromLine, Number(t.checkpoint_line));
          }
          throw new LeaseLostError(checkpoint.taskId, checkpoint.owner);
        }
      }
      return result;
    },
  );

  const rawTasks: TaskRepository = {
    async enqueue(t: NewTask, now: number) {
      const row = st().enqueue.get({
        key: taskDedupeKey(t),
        file_name: t.file_name,
        file_version: t.file_version,
        table_name: t.table_name,
        slice_start: t.slice_start ?? null,
        slice_limit: t.slice_limit ?? null,
        status: t.error ? 'failed' : t.lease ? 'running' : 'queued',
        error: t.error ?? null,
        owner: t.lease?.owner ?? null,
        expires: t.lease?.expiresAt ?? null,
        bytes_total: t.bytes_total,
        now,
      }) as TaskRecord | undefined;
      if (row) return { task: taskFromRecord(row), created: true };
      const existing = st().taskByKey.get(taskDedupeKey(t)) as TaskRecord;
      return { task: taskFromRecord(existing), created: false };
    },
    async queuedVersions(files) {
      if (files.length === 0) return new Set<string>();
      const versions = wholeFileKeys(files);
      const found = st().existingTaskKeys.all(JSON.stringify([...versions.keys()])) as string[];
      return new Set(found.map((key) => versions.get(key)!));
    },
    async claim(owner, now, leaseMs) {
      const row = st().claim.get({ owner, now, expires: now + leaseMs }) as TaskRecord | undefined;
      return row ? taskFromRecord(row) : null;
    },
    async renew(taskId, owner, now, leaseMs) {
      return st().renew.run({ id: taskId, owner, now, expires: now + leaseMs }).changes > 0;
    },
    async release(taskId, owner, now) {
      return st().release.run({ id: taskId, owner, now }).changes > 0;
    },
    async resume(taskId, owner, now, leaseMs) {
      const row = st().resume.get({ id: taskId, owner, now, expires: now + leaseMs }) as TaskRecord | undefined;
      return row ? taskFromRecord(row) : null;
    },
    async finish(taskId, owner, outcome, now) {
      const status = outcome.error === null ? 'done' : 'failed';
      return st().finish.run({ id: taskId, owner, status, error: outcome.error, now }).changes > 0;
    },
    async retry(taskId, now) {
      const row = st().retry.get({ id: taskId, now }) as TaskRecord | undefined;
      return row ? taskFromRecord(row) : null;
    },
    async get(taskId) {
      const row = st().taskById.get(taskId) as TaskRecord | undefined;
      return row ? taskFromRecord(row) : null;
    },
    async list({ limit, offset }) {
      const rows = st().listTasks.all(limit, offset) as TaskRecord[];
      const { n } = st().countTasks.get() as { n: number };
      return { tasks: rows.map(taskFromRecord), total: n };
    },
    async rejects(taskId, { limit, offset }) {
      const rows = st().listRejects.all(taskId, limit, offset) as TaskRecord[];
      const { n } = st().countRejects.get(taskId) as { n: number };
      return { rejects: rows.map(rejectFromRecord), total: n };
    },
    async rejectsAfter(taskId, { afterLine, limit }) {
      return (st().listRejectsAfter.all(taskId, afterLine, limit) as TaskRecord[]).map(rejectFromRecord);
    },
  };

  const tasks = Object.fromEntries(
    Object.entries(rawTasks).map(([name, fn]) => [name, (...args: unknown[]) => guarded(() => (fn as (...a: unknown[]) => unknown)(...args))]),
  ) as unknown as TaskRepository;

  /** Folds the next FOLD_CHUNK pending writes in one immediate transaction; false when none was pending. */
  const foldChunk = db.immediate((): boolean => {
    const upTo = st().pendingChunkEnd.get(FOLD_CHUNK) as number | null;
    if (upTo === null) return false;
    st().foldPending.run(upTo);
    st().deletePending.run(upTo);
    st().bumpVersion.run();
    return true;
  });
  /**
   * Brings the rollup up to date with every committed write before a report reads it, a chunk per write
   * transaction: after a large load, writers still get the lock between chunks.
   */
  const foldIfPending = () =>
    guarded(() => {
      if (!(st().hasPending.get() as { pending: number }).pending) return;
      while (foldChunk());
    });

  const reports: ReportQueries = {
    async foldPending() {
      await foldIfPending();
    },
    async hiredByQuarter(year) {
      await foldIfPending();
      return st().hiredByQuarter.all(year) as HiredByQuarterRow[];
    },
    async hiringAboveAverage(year) {
      await foldIfPending();
      return st().hiringAboveAverage.all(year) as HiringAboveAverageRow[];
    },
  };

  return {
    dialect: 'sqlite',
    async migrate() {
      db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
      for (const m of readMigrations('sqlite')) {
        db.immediate(() => {
          const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
          if (done) return;
          db.exec(m.sql);
          db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
        })();
      }
      statements = undefined;
    },
    async close() {
      db.close();
    },
    async insertBatch<T extends TableName>(table: T, rows: RowsIn<T>, checkpoint?: TaskCheckpoint) {
      const columns = asColumns(table, rows);
      await checkpoint?.after; // SQLite has one writer: the previous batch's commit simply goes first
      return guarded(() => insertBatch(table, columns, checkpoint));
    },
    async dimensionIds(table: DimensionTable) {
      return guarded(() => new Set(db.prepare(`SELECT id FROM ${table === 'departments' ? 'departments' : 'jobs'}`).pluck().all() as number[]));
    },
    async dataVersion() {
      return st().version.pluck().get() as number;
    },
    tasks,
    reports,
    keys: sqliteApiKeys(db),
  };
}

/** The ids of a hired_employees batch not yet in the table (the batch's ids are distinct). */
function freshIds(s: ReturnType<typeof prepareStatements>, ids: Int32Array, count: number): number[] {
  if (count === 0) return [];
  const all = Array.from(ids.subarray(0, count));
  let min = all[0];
  let max = all[0];
  for (const id of all) {
    if (id < min) min = id;
    if (id > max) max = id;
  }
  const existing = (max - min < count * 4 ? s.existingInRange.all(min, max) : s.existingOf.all(JSON.stringify(all))) as number[];
  if (existing.length === 0) return all;
  const present = new Set(existing);
  return all.filter((id) => !present.has(id));
}

function prepareStatements(db: SqliteConnection) {
  return {
    existingInRange: db.prepare(reportSql.EXISTING_IN_RANGE).pluck(),
    existingOf: db.prepare(reportSql.EXISTING_OF).pluck(),
    recordPending: db.prepare(reportSql.RECORD_PENDING),
    hasPending: db.prepare(reportSql.HAS_PENDING),
    pendingChunkEnd: db.prepare(reportSql.PENDING_CHUNK_END).pluck(),
    foldPending: db.prepare(reportSql.FOLD_PENDING),
    deletePending: db.prepare(reportSql.DELETE_PENDING),
    hiredByQuarter: db.prepare(reportSql.HIRED_BY_QUARTER_FROM_ROLLUP),
    hiringAboveAverage: db.prepare(reportSql.HIRING_ABOVE_AVERAGE_FROM_ROLLUP),
    insertRows: Object.fromEntries(
      TABLES.map((t) => [t, { many: db.prepare(insertSql(t, ROWS_PER_INSERT)), one: db.prepare(insertSql(t, 1)) }]),
    ) as Record<TableName, { many: SqliteStatement; one: SqliteStatement }>,
    bumpVersion: db.prepare('UPDATE data_version SET version = version + 1 WHERE id = 1'),
    version: db.prepare('SELECT version FROM data_version WHERE id = 1'),
    insertReject: db.prepare('INSERT INTO task_rejects (task_id, line, record_id, raw, reasons) VALUES (?, ?, ?, ?, ?)'),
    advanceTask: db.prepare(`
      UPDATE tasks SET checkpoint_line = @line, bytes_read = @bytes,
        processed = processed + @inserted + @already_exists + @rejected,
        inserted = inserted + @inserted, already_exists = already_exists + @already_exists,
        rejected = rejected + @rejected, updated_at = @now
      WHERE id = @id AND lease_owner = @owner AND status = 'running' AND (@from IS NULL OR checkpoint_line = @from)`),
    enqueue: db.prepare(`
      INSERT INTO tasks (dedupe_key, file_name, file_version, table_name, slice_start, slice_limit, status, error,
        bytes_total, lease_owner, lease_expires_at, attempts, created_at, updated_at, started_at, finished_at)
      SELECT @key, @file_name, @file_version, @table_name, @slice_start, @slice_limit, @status, @error,
        @bytes_total, @owner, @expires, CASE WHEN @status = 'running' THEN 1 ELSE 0 END, @now, @now,
        CASE WHEN @status = 'running' THEN @now END, CASE WHEN @status = 'failed' THEN @now END
      WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE dedupe_key = @key) -- a conflicting insert would burn an id
      ON CONFLICT (dedupe_key) DO NOTHING
      RETURNING *`),
    taskByKey: db.prepare('SELECT * FROM tasks WHERE dedupe_key = ?'),
    existingTaskKeys: db.prepare('SELECT dedupe_key FROM tasks WHERE dedupe_key IN (SELECT value FROM json_each(?))').pluck(),
    taskById: db.prepare('SELECT * FROM tasks WHERE id = ?'),
    claim: db.prepare(CLAIM),
    renew: db.prepare(`UPDATE tasks SET lease_expires_at = @expires, updated_at = @now
      WHERE id = @id AND lease_owner = @owner AND status = 'running'`),
    finish: db.prepare(`UPDATE tasks SET status = @status, error = @error, finished_at = @now, updated_at = @now,
        lease_owner = NULL, lease_expires_at = NULL
      WHERE id = @id AND lease_owner = @owner AND status = 'running'`),
    release: db.prepare(`UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
      WHERE id = @id AND lease_owner = @owner AND status = 'running'`),
    resume: db.prepare(`UPDATE tasks SET status = 'running', error = NULL, finished_at = NULL, lease_owner = @owner,
        lease_expires_at = @expires, attempts = attempts + 1, started_at = COALESCE(started_at, @now), updated_at = @now
      WHERE id = @id AND table_name IS NOT NULL
        AND (status IN ('failed', 'queued') OR (status = 'running' AND lease_expires_at < @now)) RETURNING *`),
    retry: db.prepare(`UPDATE tasks SET status = 'queued', error = NULL, finished_at = NULL, updated_at = @now
      WHERE id = @id AND status = 'failed' AND table_name IS NOT NULL RETURNING *`),
    listTasks: db.prepare('SELECT * FROM tasks ORDER BY id DESC LIMIT ? OFFSET ?'),
    countTasks: db.prepare('SELECT COUNT(*) AS n FROM tasks'),
    listRejects: db.prepare('SELECT * FROM task_rejects WHERE task_id = ? ORDER BY line LIMIT ? OFFSET ?'),
    countRejects: db.prepare('SELECT COUNT(*) AS n FROM task_rejects WHERE task_id = ?'),
    listRejectsAfter: db.prepare('SELECT * FROM task_rejects WHERE task_id = ? AND line > ? ORDER BY line LIMIT ?'),
  };
}
