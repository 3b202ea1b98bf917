import pg from 'pg';
import { COLUMNS, type DimensionTable, type TableName } from '../../domain/tables.ts';
import type { HiredByQuarterRow, HiringAboveAverageRow } from '../../domain/reports.ts';
import {
  CheckpointGapError,
  LeaseLostError,
  type BatchResult,
  type Database,
  type ReportQueries,
  type TaskCheckpoint,
} from '../../ports/database.port.ts';
import { readMigrations } from './migrations.ts';
import {
  ADVANCE_TASK,
  BUMP_VERSION,
  COPY_INTO,
  COPY_REJECTS,
  EXISTING_IN_RANGE,
  EXISTING_OF,
  FOLD_PENDING,
  HAS_PENDING,
  HIRED_BY_QUARTER_FROM_ROLLUP,
  HIRING_ABOVE_AVERAGE_FROM_ROLLUP,
  INSERT_NEW,
  INSERT_REQUEST,
} from './postgres.sql.ts';
import { copyRejects, copyText } from './postgres-copy.ts';
import { decodeCopyLines, encodeLines } from '../../domain/copy-text.ts';
import { arrayLiteral } from './postgres-arrays.ts';
import { asColumns, type ColumnRows, type RowsIn } from '../../domain/row-columns.ts';
import { isConnectionUsable, toDomainError } from './postgres-errors.ts';
import { postgresApiKeys } from './postgres-api-keys.ts';
import { isRowId, postgresTasks } from './postgres-tasks.ts';
import { idRuns, type IdRuns } from '../../domain/id-runs.ts';

export { copyTextField } from '../../domain/copy-text.ts';

export interface PostgresOptions {
  /** Schema every connection works in (search_path); migrate() creates it when missing. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  timeouts?: {
    /** Opening a connection, or waiting for a free one in the pool (default 10 s). */
    connectMs?: number;
    /**
     * One statement on the server (statement_timeout), and a transaction left idle
     * (idle_in_transaction_session_timeout); the client gives up on an answer 2 s later (default 60 s).
     */
    statementMs?: number;
  };
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

const UNIQUE_VIOLATION = '23505';
/** How long the client waits for a statement's answer beyond the server's own statement_timeout. */
const ANSWER_GRACE_MS = 2_000;


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

export interface PostgresDatabase extends Database {
  /** The bundled migrations this database has not applied yet, in order (all of them on an empty database). */
  pendingMigrations(): Promise<string[]>;
}

const UNDEFINED_TABLE = '42P01';

/**
 * PostgreSQL adapter (pg pool + COPY). With `schema`, every connection works in that schema (created by
 * migrate()), so several HireDB databases, or test files, can share one PostgreSQL database.
 */
export async function openPostgresDatabase(url: string, opts: PostgresOptions = {}): Promise<PostgresDatabase> {
  const schema = opts.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new RangeError(`schema must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63), got "${schema}"`);
  }
  const split = splitOptions(url);
  const settings = [split.options, '-c TimeZone=UTC', schema ? `-c search_path=${schema}` : null].filter(Boolean);
  const connectMs = opts.timeouts?.connectMs ?? 10_000;
  const statementMs = opts.timeouts?.statementMs ?? 60_000;
  // Every call is bounded: a refused or silent server, a lost answer and a connection whose peer vanished
  // (TCP keepalive) all end in an error, which the retry policy sees as transient.
  const pool = new pg.Pool({
    connectionString: split.url,
    max: opts.poolSize ?? 10,
    options: settings.join(' '),
    types: TYPES,
    connectionTimeoutMillis: connectMs,
    statement_timeout: statementMs,
    idle_in_transaction_session_timeout: statementMs,
    query_timeout: statementMs + ANSWER_GRACE_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: Math.min(10_000, statementMs),
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
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw toDomainError(err);
    }
    // A checked-out connection that drops emits 'error' with no pool listening: keep it as this
    // transaction's failure (a transient one, so the batch is retried) instead of crashing the process.
    let lost: Error | null = null;
    const onError = (e: Error) => (lost ??= e);
    client.on('error', onError);
    const release = (destroy?: Error) => {
      client.removeListener('error', onError);
      client.release(destroy);
    };
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      release();
      return result;
    } catch (err) {
      if (lost || !isConnectionUsable(err)) {
        release((lost ?? err) as Error); // the connection is broken or its answer overdue: destroy it
      } else {
        try {
          await client.query('ROLLBACK');
          release();
        } catch (rollbackError) {
          release(rollbackError as Error); // the connection is unusable: destroy it
        }
      }
      throw toDomainError(lost ?? err);
    }
  }

  const query = async (text: string, values?: unknown[]) => {
    try {
      return await pool.query(text, values);
    } catch (err) {
      throw toDomainError(err);
    }
  };

  /**
   * A batch request (no checkpoint) is one INSERT … ON CONFLICT DO NOTHING statement, so concurrent requests
   * on overlapping ids all succeed. A file load's rows go straight into their table with COPY, after one
   * query for which of their ids are present. A concurrent writer that inserts one of those ids in between
   * makes the COPY fail with a unique violation; the unit is then rolled back and written again with the
   * INSERT.
   */
  async function insertBatch(table: TableName, input: RowsIn<TableName>, checkpoint: TaskCheckpoint | undefined): Promise<BatchResult> {
    const rows = asColumns(table, input);
    if (!checkpoint) {
      if (rows.count === 0) return { inserted: 0, already_exists: 0 };
      const inserted = (await query(INSERT_REQUEST[table], insertValues(table, rows))).rows[0].inserted as number;
      return { inserted, already_exists: rows.count - inserted };
    }
    if (!isRowId(checkpoint.taskId)) throw new LeaseLostError(checkpoint.taskId, checkpoint.owner);
    // Unstorable values are refused before anything is sent (the parse thread found them when it encoded the rows).
    if (rows.copy?.refused !== undefined) throw new RangeError(rows.copy.refused);
    // A file load's unit commits with its checkpoint, so it need not wait for the WAL flush: if the server
    // crashes, rows and checkpoint are lost together and the task resumes before them.
    const write = (copy: boolean) =>
      transaction('BEGIN; SET LOCAL synchronous_commit = off', async (client) => {
        const insertedIds = copy ? await copyNew(client, table, rows) : await insertNew(client, table, rows);
        const inserted = insertedIds.length;
        // The hires really inserted go to hires_pending for the reports; the fold bumps the data version for them.
        const runs = table === 'hired_employees' ? idRuns(insertedIds) : idRuns([]);
        if (checkpoint.rejects.length > 0) await copyRejects(client, COPY_REJECTS, checkpoint.taskId, checkpoint.rejects);
        // The rows and rejects above take no lock another unit of this task needs; the shared rows below (version,
        // task) are locked only once the previous unit has committed, so units cannot deadlock.
        await checkpoint.after;
        const result = { inserted, already_exists: rows.count - inserted };
        await advanceTask(client, checkpoint, result, runs);
        return result;
      });
    try {
      return await write(true);
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      return write(false);
    }
  }

  /**
   * Copies the rows whose id is not present; answers the ids it inserted. A file load's commit unit asks
   * once for the ids present among its own (one index range scan when they are dense).
   */
  async function copyNew(client: pg.PoolClient, table: TableName, rows: ColumnRows) {
    const ids = rows.columns.id as Int32Array;
    const existing = await existingIds(client, table, ids, rows.count);
    const lines = rows.copy ?? encodeLines(table, rows);
    if (rows.count > 0) await copyText(client, COPY_INTO[table], lines, existing.size === 0 ? undefined : (i) => !existing.has(ids[i]));
    const all = Array.from(ids.subarray(0, rows.count));
    return existing.size === 0 ? all : all.filter((id) => !existing.has(id));
  }

  /** Inserts the rows whose id is not present; answers the ids it inserted. */
  async function insertNew(client: pg.PoolClient, table: TableName, rows: ColumnRows): Promise<number[]> {
    if (rows.count === 0) return [];
    return (await client.query(INSERT_NEW[table], insertValues(table, rows))).rows.map((r) => r.id as number);
  }

  /** The parameters of INSERT_NEW: one array per column (the statement puts the rows in id order). */
  function insertValues(table: TableName, rows: ColumnRows): string[] {
    const columns = rows.copy ? decodeCopyLines(table, rows.copy, rows.count) : rows.columns;
    return COLUMNS[table].map((c) => arrayLiteral(columns[c], rows.count));
  }

  async function existingIds(client: pg.PoolClient, table: TableName, ids: Int32Array, count: number): Promise<Set<number>> {
    if (count === 0) return new Set();
    let min = ids[0];
    let max = ids[0];
    for (let i = 1; i < count; i++) {
      if (ids[i] < min) min = ids[i];
      if (ids[i] > max) max = ids[i];
    }
    const result =
      max - min < count * 4
        ? await client.query(EXISTING_IN_RANGE[table], [min, max])
        : await client.query(EXISTING_OF[table], [Array.from(ids.subarray(0, count))]);
    return new Set(result.rows.map((r) => r.id as number));
  }

  async function advanceTask(client: pg.PoolClient, checkpoint: TaskCheckpoint, result: BatchResult, runs: IdRuns) {
    const rejects = checkpoint.rejects;
    const advanced = await client.query(ADVANCE_TASK, [
      checkpoint.taskId,
      checkpoint.owner,
      checkpoint.line,
      checkpoint.bytesRead,
      result.inserted,
      result.already_exists,
      rejects.length,
      Date.now(),
      checkpoint.fromLine ?? null,
      runs.from,
      runs.to,
    ]);
    if (advanced.rowCount === 0) {
      const { rows } = await client.query('SELECT checkpoint_line, lease_owner, status FROM tasks WHERE id = $1', [checkpoint.taskId]);
      const t = rows[0] as { checkpoint_line: number; lease_owner: string | null; status: string } | undefined;
      if (t?.lease_owner === checkpoint.owner && t.status === 'running' && checkpoint.fromLine !== undefined) {
        throw new CheckpointGapError(checkpoint.taskId, checkpoint.fromLine, t.checkpoint_line);
      }
      throw new LeaseLostError(checkpoint.taskId, checkpoint.owner);
    }
  }

  const tasks = postgresTasks(query);

  // One fold at a time per schema: a reader that waits here then finds the rows it would have folded folded.
  const foldLock = `hiredb:fold:${schema ?? ''}`;
  /** Brings the rollup up to date with every committed write before a report reads it. */
  async function foldIfPending() {
    if (!(await query(HAS_PENDING)).rows[0].pending) return;
    // The fold moves counts from hires_pending to the rollup in one transaction: should a crash lose its commit,
    // both tables are as before it, so it need not wait for the WAL flush. The planner cannot know how few
    // rows are pending, and its estimate alone would make it JIT-compile the fold (measured: 10-300 ms of a
    // one-row fold), so JIT is off for it.
    await transaction('BEGIN; SET LOCAL synchronous_commit = off; SET LOCAL jit = off', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [foldLock]);
      if ((await client.query(FOLD_PENDING)).rowCount) await client.query(BUMP_VERSION);
    });
  }

  const reports: ReportQueries = {
    async foldPending() {
      await foldIfPending();
    },
    async hiredByQuarter(year) {
      await foldIfPending();
      return (await query(HIRED_BY_QUARTER_FROM_ROLLUP, [year])).rows as HiredByQuarterRow[];
    },
    async hiringAboveAverage(year) {
      await foldIfPending();
      return (await query(HIRING_ABOVE_AVERAGE_FROM_ROLLUP, [year])).rows as HiringAboveAverageRow[];
    },
  };

  // One lock per schema: migrators of the same schema queue behind each other, other schemas do not wait.
  const migrationLock = `hiredb:migrate:${schema ?? ''}`;
  const LOCK = 'SELECT pg_advisory_xact_lock(hashtext($1))';

  /** Every migration is in the ledger (the usual start): one query then replaces a transaction per migration. */
  const schemaIsCurrent = async () => {
    let applied: Set<string>;
    try {
      applied = new Set((await pool.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version as string));
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return false; // undefined_table: no ledger yet
      throw toDomainError(err);
    }
    return readMigrations('postgres').every((m) => applied.has(m.version));
  };

  return {
    dialect: 'postgres',
    async migrate() {
      if (await schemaIsCurrent()) return;
      await transaction('BEGIN', async (client) => {
        await client.query(LOCK, [migrationLock]);
        if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)',
        );
      });
      for (const m of readMigrations('postgres')) {
        // A migration may rewrite a large table: it is not held to the statement timeout of everyday calls.
        await transaction('BEGIN; SET LOCAL statement_timeout = 0', async (client) => {
          await client.query(LOCK, [migrationLock]);
          const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
          if (done.rows.length > 0) return;
          await client.query({ text: m.sql, query_timeout: 86_400_000 } as pg.QueryConfig);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
        });
      }
    },
    async pendingMigrations() {
      let applied: Set<string>;
      try {
        applied = new Set((await pool.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version as string));
      } catch (err) {
        if ((err as { code?: string }).code !== UNDEFINED_TABLE) throw toDomainError(err);
        applied = new Set();
      }
      return readMigrations('postgres').map((m) => m.version).filter((v) => !applied.has(v));
    },
    async close() {
      await pool.end();
    },
    async insertBatch<T extends TableName>(table: T, rows: RowsIn<T>, checkpoint?: TaskCheckpoint) {
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
    keys: postgresApiKeys(query),
  };
}
