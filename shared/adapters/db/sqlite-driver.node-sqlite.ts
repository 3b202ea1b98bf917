import type { SqliteConnection, SqliteStatement } from './sqlite-driver.ts';

/** The few members of `node:sqlite` used here (Node 20's type definitions do not have the module). */
interface StatementSync {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  columns(): unknown[];
  setReturnArrays(enabled: boolean): void;
}
interface DatabaseSync {
  readonly isTransaction: boolean;
  prepare(sql: string): StatementSync;
  exec(sql: string): void;
  close(): void;
}
type NodeSqlite = { DatabaseSync: new (path: string) => DatabaseSync };

function loadNodeSqlite(): NodeSqlite {
  const mod = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined;
  if (!mod?.DatabaseSync) throw new Error(`SQLite: this runtime has no node:sqlite module (${process.release?.name ?? 'unknown'} ${process.version})`);
  return mod;
}

/** better-sqlite3 takes an array as the positional parameters; node:sqlite wants them as arguments. */
function spread(params: unknown[]): unknown[] {
  return params.length === 1 && Array.isArray(params[0]) ? params[0] : params;
}

function statement(st: StatementSync): SqliteStatement {
  let plucked = false;
  const self: SqliteStatement = {
    reader: st.columns().length > 0,
    run: (...params) => st.run(...spread(params)),
    get: (...params) => {
      const row = st.get(...spread(params));
      return plucked && row !== undefined ? (row as unknown[])[0] : row;
    },
    all: (...params) => {
      const rows = st.all(...spread(params));
      return plucked ? rows.map((r) => (r as unknown[])[0]) : rows;
    },
    pluck: () => {
      st.setReturnArrays(true);
      plucked = true;
      return self;
    },
  };
  return self;
}

/** The runtime's built-in `node:sqlite` (`DatabaseSync`), behind the same surface as better-sqlite3. */
export function openNodeSqlite(file: string): SqliteConnection {
  const { DatabaseSync } = loadNodeSqlite();
  const db = new DatabaseSync(file);
  return {
    driver: 'node:sqlite',
    prepare: (sql) => statement(db.prepare(sql)),
    exec: (sql) => db.exec(sql),
    immediate:
      (fn) =>
      (...args) => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = fn(...args);
          db.exec('COMMIT');
          return result;
        } catch (e) {
          if (db.isTransaction) db.exec('ROLLBACK');
          throw e;
        }
      },
    close: () => db.close(),
  };
}
