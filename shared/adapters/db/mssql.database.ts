import type { DimensionTable, TableName } from '../../domain/tables.ts';
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
import { asObjects, type RowsIn } from '../../domain/row-columns.ts';
import { readMigrations, wholeFileKeys } from './migrations.ts';
import { rejectFromRecord, taskFromRecord, type TaskRecord } from './task-row.ts';
import { bigint, int, nvarchar, type SqlExecutor, type SqlParams, type SqlRow } from './mssql-executor.ts';
import {
  ADVANCE_TASK,
  BUMP_VERSION,
  CLAIM,
  COUNT_REJECTS,
  COUNT_TASKS,
  ENQUEUE,
  EXISTING_TASK_KEYS,
  FINISH,
  FOLD_PENDING,
  HAS_PENDING,
  HIRED_BY_QUARTER_FROM_ROLLUP,
  HIRING_ABOVE_AVERAGE_FROM_ROLLUP,
  INSERT_FROM_STAGING,
  LIST_REJECTS,
  LIST_REJECTS_AFTER,
  LIST_TASKS,
  MIGRATION_LOCK,
  RENEW,
  RELEASE,
  RESUME,
  RETRY,
  splitSqlBatches,
} from './mssql.sql.ts';
import { REJECT_COLUMNS, STAGING_COLUMNS, rejectRow, stagingDdl, stagingRow } from './mssql-bulk.ts';
import { isStorableYear, isTaskId, mssqlDedupeKey, page } from './mssql-params.ts';
import { isDeadlockVictim } from './mssql-errors.ts';
import { openMssqlExecutor, type MssqlOptions } from './mssql-pool.ts';
import { withRetry } from '../../service/retry.ts';
import { mssqlApiKeys } from './mssql-api-keys.ts';

export type { MssqlOptions } from './mssql-pool.ts';

/**
 * Runs `fn` again, on the schedule of the one retry policy (withRetry), when SQL Server chose it as a
 * deadlock victim (concurrent batches on overlapping ids can deadlock where SQLite, with one writer,
 * would have waited): the server rolled it back whole, so another run cannot double anything. Any other
 * failure, a transient one included (its outcome may be unknown), goes to the caller as it is; so does a
 * deadlock when `rerunnable` says no.
 */
async function rerunDeadlockVictims<T>(fn: () => Promise<T>, rerunnable: () => boolean = () => true): Promise<T> {
  type Outcome = { ok: true; value: T } | { ok: false; error: unknown };
  const outcome = await withRetry(async (): Promise<Outcome> => {
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      if (isDeadlockVictim(e) && rerunnable()) throw e;
      return { ok: false, error: e };
    }
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

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
      const [row] = await rerunDeadlockVictims(() => exec.query(ENQUEUE, params));
      return { task: taskFromRecord(row as TaskRecord), created: Number(row.created) === 1 };
    },
    async queuedVersions(files) {
      if (files.length === 0) return new Set<string>();
      const versions = wholeFileKeys(files, mssqlDedupeKey);
      const rows = await exec.query(EXISTING_TASK_KEYS, { keys: nvarchar(JSON.stringify([...versions.keys()])) });
      return new Set(rows.map((r) => versions.get(r.dedupe_key as string)!));
    },
    async claim(owner, now, leaseMs) {
      const params = { owner: nvarchar(owner), now: bigint(now), expires: bigint(now + leaseMs) };
      const [row] = await rerunDeadlockVictims(() => exec.query(CLAIM, params));
      return row ? taskFromRecord(row) : null;
    },
    async renew(taskId, owner, now, leaseMs) {
      if (!isTaskId(taskId)) return false;
      const rows = await exec.query(RENEW, { id: int(taskId), owner: nvarchar(owner), now: bigint(now), expires: bigint(now + leaseMs) });
      return count(rows) > 0;
    },
    async release(taskId, owner, now) {
      if (!isTaskId(taskId)) return false;
      return count(await exec.query(RELEASE, { id: int(taskId), owner: nvarchar(owner), now: bigint(now) })) > 0;
    },
    async resume(taskId, owner, now, leaseMs) {
      if (!isTaskId(taskId)) return null;
      const [row] = await exec.query(RESUME, { id: int(taskId), owner: nvarchar(owner), now: bigint(now), expires: bigint(now + leaseMs) });
      return row ? taskFromRecord(row) : null;
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
    async rejectsAfter(taskId, { afterLine, limit }) {
      if (!isTaskId(taskId) || limit === 0) return [];
      const rows = await exec.query(LIST_REJECTS_AFTER, { id: int(taskId), after: bigint(afterLine), limit: int(limit) });
      return rows.map(rejectFromRecord);
    },
  };

  /** Brings the rollup up to date with every committed write before a report reads it. */
  async function foldIfPending() {
    if (count(await exec.query(HAS_PENDING), 'pending') === 0) return;
    await rerunDeadlockVictims(() => exec.transaction(async (tx) => void (await tx.query(FOLD_PENDING))));
  }

  const reports: ReportQueries = {
    async foldPending() {
      await foldIfPending();
    },
    async hiredByQuarter(year) {
      if (!isStorableYear(year)) return [];
      await foldIfPending();
      const rows = await exec.query(HIRED_BY_QUARTER_FROM_ROLLUP, { year: int(year) });
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
      await foldIfPending();
      const rows = await exec.query(HIRING_ABOVE_AVERAGE_FROM_ROLLUP, { year: int(year) });
      return rows.map((r): HiringAboveAverageRow => ({ id: Number(r.id), department: String(r.department), hired: Number(r.hired) }));
    },
  };

  /**
   * One transaction: the rows go to #staging, then (after the task's previous batch has committed) into
   * their table, with the data_version bump, the rejects and the task's advance. See INSERT_FROM_STAGING
   * (mssql.sql.ts) for why nothing shared is touched before that wait.
   */
  async function insertBatch<T extends TableName>(table: T, input: RowsIn<T>, checkpoint?: TaskCheckpoint): Promise<BatchResult> {
    const rows = asObjects(table, input);
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
      // Hires bump the data version when they are folded into the rollup; departments and jobs bump it here.
      if (inserted > 0 && table !== 'hired_employees') await tx.query(BUMP_VERSION);
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
    return rerunDeadlockVictims(() => exec.transaction(write), () => !previousFailed);
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
    keys: mssqlApiKeys(exec),
  };
}

/** Opens the SQL Server / Azure SQL database a `mssql://` URL or ADO connection string names. */
export async function openMssqlDatabase(connection: string, opts: MssqlOptions = {}): Promise<Database> {
  const exec = await openMssqlExecutor(connection, opts);
  return createMssqlDatabase(exec);
}
