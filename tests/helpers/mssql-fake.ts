/** Fakes for the SQL Server adapter's unit tests: no server, every call kept. */
import { EventEmitter } from 'node:events';
import mssql from 'mssql';
import { Connection, type Request as TdsRequest, RequestError as TdsRequestError, TYPES } from 'tedious';
import { expect } from 'vitest';
import { createMssqlDatabase } from '../../shared/adapters/db/mssql.database.ts';
import { translateMssqlError } from '../../shared/adapters/db/mssql-errors.ts';
import type { BulkColumn, SqlExecutor, SqlParams, SqlRow } from '../../shared/adapters/db/mssql-executor.ts';

export type Call =
  | { kind: 'query'; sql: string; params: SqlParams; tx: boolean }
  | { kind: 'bulkLoad'; table: string; columns: BulkColumn[]; rows: unknown[][]; tx: boolean }
  | { kind: 'begin' | 'commit' | 'rollback' | 'close' };

/** Local variables a statement declares itself (not parameters the caller must send). */
const DECLARED = new Set(['lock', 'Resource', 'LockMode', 'LockOwner', 'LockTimeout']);

/**
 * Records every call and answers queries with `answer`; what `answer` throws comes out translated
 * (translateMssqlError), as from the real executor. It also checks what a server would: each
 * `@name` in the SQL is a parameter sent with the query (or a variable the SQL declares), and every
 * parameter sent is used; and that `#staging` is only touched inside a transaction.
 */
export function recorder(answer: (sql: string, params: SqlParams) => SqlRow[] = () => []) {
  const calls: Call[] = [];
  const make = (tx: boolean): SqlExecutor => ({
    async query(sql, params = {}) {
      const declared = new Set([...sql.matchAll(/\bDECLARE\s+@(\w+)/gi)].map((m) => m[1]));
      const used = new Set([...sql.matchAll(/(?<!@)@(\w+)/g)].map((m) => m[1]).filter((n) => !DECLARED.has(n) && !declared.has(n)));
      expect([...used].sort(), `parameters of: ${sql}`).toEqual(Object.keys(params).sort());
      if (sql.includes('#staging')) expect(tx, '#staging outside a transaction').toBe(true);
      calls.push({ kind: 'query', sql, params, tx });
      try {
        return answer(sql, params);
      } catch (e) {
        throw translateMssqlError(e); // as the pool executor hands driver errors over
      }
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

export /** A tasks row as tedious returns it: BIGINT columns come back as strings. */
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

export const norm = (sql: string) => sql.replace(/\s+/g, ' ').trim();

// ------------------------------------------------------------------------------ the driver's wire

/** What the `mssql` package asked of a tedious connection. */
export type WireCall =
  | { kind: 'batch' | 'sql'; sql: string; params: Array<{ name: string; type: string; value: unknown; length?: number; scale?: number }> }
  | { kind: 'bulk'; sql: string; rows: unknown[][] }
  | { kind: 'begin' | 'commit' | 'rollback' };

/** The server's answer to a request: result sets, or an error (which may roll the transaction back, as SQL Server does to a deadlock victim). */
export interface WireAnswer {
  recordsets?: SqlRow[][];
  error?: { number: number; message: string; rollsBack?: boolean };
}

/**
 * An `mssql` pool whose one tedious Connection never touches a network: each request reaches
 * `answer` as what tedious would send (batch or sp_executesql, typed parameters, the `insert bulk`
 * statement and rows), and the answer comes back through tedious's events as a server's would.
 * Everything between (mssql's Request, Transaction, Table, its error wrapping) is the real package.
 */
export function fakeWirePool(answer: (call: WireCall) => WireAnswer | undefined = () => undefined) {
  const calls: WireCall[] = [];
  const connection = new Connection({ server: 'localhost', authentication: { type: 'default', options: { userName: 'u', password: 'p' } } });
  const conn = connection as unknown as Record<string, unknown> & Connection;
  const emitter = connection as unknown as EventEmitter;
  const reply = (req: TdsRequest, call: WireCall) => {
    const request = req as unknown as EventEmitter;
    calls.push(call);
    const a = answer(call) ?? {};
    setImmediate(() => {
      if (a.error) {
        emitter.emit('errorMessage', { message: a.error.message, number: a.error.number, state: 1, class: 13 });
        if (a.error.rollsBack) emitter.emit('rollbackTransaction');
        (request as unknown as { callback: (e: Error) => void }).callback(new TdsRequestError(a.error.message, 'EREQUEST'));
        return;
      }
      for (const rows of a.recordsets ?? []) {
        const names = Object.keys(rows[0] ?? { n: null });
        const metadata = names.map((colName) => ({ colName, type: TYPES.NVarChar, dataLength: 8000, flags: 0 }));
        request.emit('columnMetadata', metadata);
        for (const row of rows) request.emit('row', metadata.map((m) => ({ value: row[m.colName], metadata: m })));
        request.emit('doneInProc', rows.length, true);
      }
      (request as unknown as { callback: (e?: Error) => void }).callback(undefined);
    });
  };
  const params = (request: TdsRequest) =>
    (request as unknown as { parameters: Array<{ name: string; type: { name: string }; value: unknown; length?: number; scale?: number }> }).parameters.map(
      (p) => ({ name: p.name, type: p.type.name, value: p.value, length: p.length, scale: p.scale }),
    );
  const sqlOf = (request: TdsRequest) => (request as unknown as { sqlTextOrProcedure: string }).sqlTextOrProcedure;
  conn.execSqlBatch = (request: TdsRequest) => reply(request, { kind: 'batch', sql: sqlOf(request), params: params(request) });
  conn.execSql = (request: TdsRequest) => reply(request, { kind: 'sql', sql: sqlOf(request), params: params(request) });
  conn.execBulkLoad = (bulk: { getBulkInsertSql(): string; callback: (e: Error | undefined, n: number) => void }, rows: unknown[][]) => {
    const call: WireCall = { kind: 'bulk', sql: bulk.getBulkInsertSql(), rows: [...rows] };
    calls.push(call);
    const a = answer(call) ?? {};
    setImmediate(() => bulk.callback(a.error ? new TdsRequestError(a.error.message, 'EREQUEST') : undefined, rows.length));
  };
  const step = (kind: 'begin' | 'commit' | 'rollback') => (callback: (e?: Error) => void) => {
    calls.push({ kind });
    setImmediate(callback);
  };
  conn.beginTransaction = step('begin');
  conn.commitTransaction = step('commit');
  conn.rollbackTransaction = step('rollback');

  let acquireError: Error | null = null;
  const pool = Object.assign(new EventEmitter(), {
    connected: true,
    config: { stream: false, arrayRowMode: false, parseJSON: false },
    acquire(_requester: unknown, callback: (e: Error | null, c?: Connection, config?: unknown) => void) {
      setImmediate(() => (acquireError ? callback(acquireError) : callback(null, connection, pool.config)));
      return pool;
    },
    release() {
      return pool;
    },
    request() {
      return new mssql.Request(pool as unknown as mssql.ConnectionPool);
    },
    async close() {},
  });
  return {
    pool: pool as unknown as mssql.ConnectionPool,
    calls,
    /** Every acquire fails with `e` from now on (null: succeeds again). */
    failAcquire: (e: Error | null) => (acquireError = e),
  };
}
