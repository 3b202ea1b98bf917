/** A recording SqlExecutor for the SQL Server adapter's unit tests: no server, every call kept. */
import { expect } from 'vitest';
import { createMssqlDatabase } from '../../shared/adapters/db/mssql.database.ts';
import type { BulkColumn, SqlExecutor, SqlParams, SqlRow } from '../../shared/adapters/db/mssql-executor.ts';

export type Call =
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
export function recorder(answer: (sql: string, params: SqlParams) => SqlRow[] = () => []) {
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
