import { openBetterSqlite3 } from './sqlite-driver.better-sqlite3.ts';
import { openNodeSqlite } from './sqlite-driver.node-sqlite.ts';

/**
 * The part of a SQLite driver HireDB uses, so that the adapter runs on better-sqlite3 (Node) and on the
 * runtime's built-in `node:sqlite` (Deno, which cannot load better-sqlite3's addon).
 *
 * Parameters follow better-sqlite3: each argument is a value, or an array of values (positional `?`), or
 * one object whose keys name `@key` parameters.
 */
export interface SqliteStatement {
  /** True when the statement returns rows (a SELECT, RETURNING), which all() and get() then read. */
  readonly reader: boolean;
  /** `changes` is a number: neither driver is asked for BigInt results. */
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** From now on get() and all() give each row's first column instead of the row. Returns the statement. */
  pluck(): SqliteStatement;
}

export interface SqliteConnection {
  readonly driver: SqliteDriverName;
  prepare(sql: string): SqliteStatement;
  /** Runs one or more statements, results ignored (schema, PRAGMA settings). */
  exec(sql: string): void;
  /** `fn` wrapped in BEGIN IMMEDIATE … COMMIT, rolled back whole when it throws. `fn` must be synchronous. */
  immediate<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
}

export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

/** better-sqlite3 wherever it loads; Deno loads only Node-API addons, so there the built-in `node:sqlite`. */
export function sqliteDriverName(): SqliteDriverName {
  return 'Deno' in globalThis ? 'node:sqlite' : 'better-sqlite3';
}

/** Opens (creating it when missing) the database file, or `:memory:`, on this runtime's driver. */
export function openSqliteConnection(file: string): SqliteConnection {
  return sqliteDriverName() === 'node:sqlite' ? openNodeSqlite(file) : openBetterSqlite3(file);
}

const SQLITE_BUSY = 5;
const SQLITE_FULL = 13;

/**
 * What a driver error means to HireDB: `busy` (another connection holds the lock beyond busy_timeout),
 * `full` (no room left on the disk or under max_page_count), or `other`. better-sqlite3 names the result
 * code (`SQLITE_BUSY_SNAPSHOT`…); Node's `node:sqlite` gives it as a number (`errcode`); Deno's only by
 * SQLite's own message for the code.
 */
export function sqliteErrorKind(e: unknown): 'busy' | 'full' | 'other' {
  const err = e as { code?: unknown; errcode?: unknown; message?: unknown } | null;
  const code = String(err?.code ?? '');
  if (code.startsWith('SQLITE_')) return code.startsWith('SQLITE_BUSY') ? 'busy' : code === 'SQLITE_FULL' ? 'full' : 'other';
  if (code !== 'ERR_SQLITE_ERROR') return 'other';
  if (typeof err?.errcode === 'number') {
    const primary = err.errcode & 0xff;
    return primary === SQLITE_BUSY ? 'busy' : primary === SQLITE_FULL ? 'full' : 'other';
  }
  const message = String(err?.message ?? '');
  return message === 'database is locked' ? 'busy' : message === 'database or disk is full' ? 'full' : 'other';
}
