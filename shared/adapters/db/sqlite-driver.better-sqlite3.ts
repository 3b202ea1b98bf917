import BetterSqlite3 from 'better-sqlite3';
import type { SqliteConnection } from './sqlite-driver.ts';

/** better-sqlite3 as it is: its statements and transactions are handed out unwrapped (the load's fast path). */
export function openBetterSqlite3(file: string): SqliteConnection {
  const db = new BetterSqlite3(file);
  return {
    driver: 'better-sqlite3',
    prepare: (sql) => db.prepare(sql),
    exec: (sql) => void db.exec(sql),
    immediate: (fn) => db.transaction(fn).immediate,
    close: () => void db.close(),
  };
}
