/** The `mssql` package behind the SqlExecutor port: its tarn pool of tedious connections. */
import mssql from 'mssql';
import { translateMssqlError } from './mssql-errors.ts';
import { mssqlPoolConfig, type MssqlOptions } from './mssql-config.ts';
import type { BulkColumn, SqlExecutor, SqlParam, SqlParams, SqlRow, SqlType } from './mssql-executor.ts';

export type { MssqlOptions } from './mssql-config.ts';

/** A pooled executor; fails here (in the domain's terms) when the server cannot be reached or refuses the login. */
export async function openMssqlExecutor(connection: string, opts: MssqlOptions = {}): Promise<SqlExecutor> {
  const config = mssqlPoolConfig(connection, opts);
  const secrets = config.password ? [config.password] : [];
  const pool = new mssql.ConnectionPool(config);
  // Each failure reaches the request that met it; an 'error' event nobody listens to would end the process.
  pool.on('error', () => {});
  try {
    await pool.connect();
  } catch (e) {
    throw translateMssqlError(e, secrets);
  }
  return createPoolExecutor(pool, (e) => translateMssqlError(e, secrets));
}

/** The mssql type of a parameter: NVARCHAR(4000) unless the value is longer, DATETIME2(7). */
export function parameterType(p: SqlParam): mssql.ISqlType {
  switch (p.type) {
    case 'Int':
      return mssql.Int();
    case 'BigInt':
      return mssql.BigInt();
    case 'NVarChar':
      return mssql.NVarChar(typeof p.value === 'string' && p.value.length > 4000 ? mssql.MAX : 4000);
    case 'DateTime2':
      return mssql.DateTime2(7);
  }
}

function columnType(c: BulkColumn): mssql.ISqlType {
  const types: Record<SqlType, () => mssql.ISqlType> = {
    Int: () => mssql.Int(),
    BigInt: () => mssql.BigInt(),
    NVarChar: () => mssql.NVarChar(c.length === undefined || c.length > 4000 ? mssql.MAX : c.length),
    DateTime2: () => mssql.DateTime2(c.scale ?? 7),
  };
  return types[c.type]();
}

/** The rows of a bulk load as the mssql Table that `request.bulk` sends (values in column order). */
export function bulkTable(table: string, columns: BulkColumn[], rows: unknown[][]): mssql.Table {
  const t = new mssql.Table(table);
  for (const c of columns) t.columns.add(c.name, columnType(c), { nullable: c.nullable });
  for (const row of rows) t.rows.push(row as (typeof t.rows)[number]);
  return t;
}

/**
 * Runs `sql` on `request`: without parameters as a plain batch, whose #temp tables outlive it (sp_executesql
 * would drop them); with parameters through sp_executesql. The rows of every result set, in order.
 */
async function run(request: mssql.Request, sql: string, params: SqlParams): Promise<SqlRow[]> {
  const entries = Object.entries(params);
  for (const [name, p] of entries) request.input(name, parameterType(p), p.value);
  const result = entries.length === 0 ? await request.batch(sql) : await request.query(sql);
  return (result.recordsets as SqlRow[][]).flat();
}

/** The SqlExecutor on an open pool; `translate` turns each driver failure into what the caller sees. */
export function createPoolExecutor(pool: mssql.ConnectionPool, translate: (e: unknown) => unknown): SqlExecutor {
  const translated = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (e) {
      throw translate(e);
    }
  };
  const bulk = (request: mssql.Request, table: string, columns: BulkColumn[], rows: unknown[][]) =>
    request.bulk(bulkTable(table, columns, rows), { keepNulls: true }).then(() => undefined);

  return {
    query: (sql, params = {}) => translated(() => run(pool.request(), sql, params)),
    bulkLoad: (table, columns, rows) => translated(() => bulk(pool.request(), table, columns, rows)),
    async transaction(fn) {
      const tx = new mssql.Transaction(pool);
      await translated(() => tx.begin());
      let open = true;
      // mssql runs one request of a transaction at a time: calls on `inTx` queue up behind each other.
      let tail: Promise<unknown> = Promise.resolve();
      const serial = <T>(op: () => Promise<T>): Promise<T> => {
        if (!open) return Promise.reject(new Error('transaction already ended'));
        const next = tail.then(op, op);
        tail = next.catch(() => undefined);
        return translated(() => next);
      };
      const inTx: SqlExecutor = {
        query: (sql, params = {}) => serial(() => run(tx.request(), sql, params)),
        bulkLoad: (table, columns, rows) => serial(() => bulk(tx.request(), table, columns, rows)),
        transaction: (inner) => inner(inTx), // nested: part of the enclosing transaction
        close: async () => {
          throw new Error('close the executor, not a transaction');
        },
      };
      try {
        const result = await fn(inTx);
        await tail;
        open = false;
        await translated(() => tx.commit());
        return result;
      } catch (e) {
        open = false;
        await tail;
        // The server may have rolled back already (deadlock victim, XACT_ABORT): mssql then answers
        // EABORT here, and has handed the connection back itself.
        await tx.rollback().catch(() => undefined);
        throw e;
      }
    },
    close: () => pool.close(),
  };
}
