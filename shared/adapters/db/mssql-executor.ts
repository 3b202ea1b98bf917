/**
 * The few things the SQL Server adapter needs from a driver, so that its SQL can be tested without a
 * server: typed parameterised queries, bulk loads and transactions. The real executor runs on the
 * `mssql` package's pool (mssql-pool.ts); tests use a recording fake.
 */

/** The parameter and column types the adapter uses (mssql / tedious TYPES of the same names). */
export type SqlType = 'Int' | 'BigInt' | 'NVarChar' | 'DateTime2';

export interface SqlParam {
  type: SqlType;
  value: number | string | Date | null;
}

/** Named parameters: `{ id: int(5) }` is `@id` in the SQL text. */
export type SqlParams = Record<string, SqlParam>;

/** A result row keyed by column name. BIGINT values may come back as strings (tedious does so). */
export type SqlRow = Record<string, unknown>;

export interface BulkColumn {
  name: string;
  type: SqlType;
  nullable: boolean;
  /** NVarChar length in characters; Infinity for NVARCHAR(MAX). */
  length?: number;
  /** DateTime2 fractional digits. */
  scale?: number;
}

/**
 * Runs SQL on one SQL Server session at a time.
 * - `query` without parameters is sent as a plain batch, so a `#temp` table it creates lives on for
 *   the session; with parameters it goes through sp_executesql (a `#temp` table created there is
 *   dropped when that call ends, but one created earlier in the session is visible). It resolves to
 *   the rows of every result set, in order.
 * - `bulkLoad` writes rows (values in column order) with the TDS bulk-load protocol.
 * - `transaction` runs `fn` on one session inside BEGIN TRANSACTION; it commits when `fn` resolves
 *   and rolls back when it throws (the error is rethrown). Calls on `tx` run in order.
 * Driver failures come out in the domain's terms (translateMssqlError): a TransientError, with the
 * driver error as its cause, for what may succeed if run again; any other error as it is.
 */
export interface SqlExecutor {
  query(sql: string, params?: SqlParams): Promise<SqlRow[]>;
  bulkLoad(table: string, columns: BulkColumn[], rows: unknown[][]): Promise<void>;
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const int = (value: number | null): SqlParam => ({ type: 'Int', value });
export const bigint = (value: number | null): SqlParam => ({ type: 'BigInt', value });
export const nvarchar = (value: string | null): SqlParam => ({ type: 'NVarChar', value });
export const datetime2 = (value: Date | null): SqlParam => ({ type: 'DateTime2', value });
