// The SQLite driver surface the adapter is written against, on this runtime's driver: better-sqlite3 on
// Node, node:sqlite on Deno (run there by tests/runtime/deno-sqlite-contract.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteConnection, sqliteErrorKind, type SqliteConnection } from '../../shared/adapters/db/sqlite-driver.ts';

const caught = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
};

describe('SQLite driver', () => {
  let dir: string;
  const open: SqliteConnection[] = [];
  const connect = (name = 'db.sqlite') => {
    const c = openSqliteConnection(join(dir, name));
    open.push(c);
    return c;
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiredb-driver-'));
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is node:sqlite on Deno and better-sqlite3 elsewhere', () => {
    expect(connect().driver).toBe(process.versions.deno ? 'node:sqlite' : 'better-sqlite3');
  });

  // (U+0000 is not among the texts: node:sqlite on Deno cuts a string there, and HireDB rejects it before
  // any database sees it.)
  it('binds positional arrays, single values and @named objects, and counts changes', () => {
    const db = connect();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT');
    const many = db.prepare('INSERT INTO t (id, name) VALUES (?, ?), (?, ?) ON CONFLICT (id) DO NOTHING');
    expect(many.run([1, 'a', 2, 'b']).changes).toBe(2);
    expect(many.run([2, 'x', 3, 'c']).changes).toBe(1);
    expect(db.prepare('INSERT INTO t (id, name) VALUES (@id, @name)').run({ id: 4, name: 'd\te\n😀' }).changes).toBe(1);
    expect(db.prepare('SELECT name FROM t WHERE id = ?').get(4)).toEqual({ name: 'd\te\n😀' });
    expect(db.prepare('SELECT name FROM t WHERE id = ?').get(99)).toBeUndefined();
    expect(db.prepare('SELECT id, name FROM t WHERE id > ? ORDER BY id').all(1)).toEqual([
      { id: 2, name: 'b' },
      { id: 3, name: 'c' },
      { id: 4, name: 'd\te\n😀' },
    ]);
    expect(db.prepare('SELECT ? AS big, ? AS max').get(2147483647, 8_640_000_000_000_000)).toEqual({ big: 2147483647, max: 8_640_000_000_000_000 });
    expect(db.prepare('UPDATE t SET name = @name WHERE id = @id').run({ id: 99, name: 'none' }).changes).toBe(0);
    expect(db.prepare('SELECT id FROM t WHERE id BETWEEN ? AND ? ORDER BY id').pluck().all(2, 3)).toEqual([2, 3]);
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(4);
    expect(db.prepare('SELECT id FROM t WHERE id = 99').pluck().get()).toBeUndefined();
    expect([db.prepare('SELECT 1').reader, db.prepare('DELETE FROM t WHERE id = 99').reader, db.prepare('DELETE FROM t WHERE id = 99 RETURNING id').reader]).toEqual([true, false, true]);
  });

  it('commits an immediate transaction whole, or rolls it back whole when its function throws', () => {
    const db = connect();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
    const both = db.immediate((a: number, b: number) => {
      insert.run(a);
      insert.run(b);
      return a + b;
    });
    expect(both(1, 2)).toBe(3);
    expect(caught(() => both(3, 1))).toBeInstanceOf(Error); // 1 exists: 3 must go too
    expect(db.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 1 }, { id: 2 }]);
    expect(both(5, 6)).toBe(11); // no transaction was left open
    expect(connect().prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 4 });
  });

  it('names a write lock held by another connection "busy", a full database "full", and other failures neither', () => {
    const holder = connect();
    holder.exec('PRAGMA journal_mode = WAL');
    holder.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)');
    const waiter = connect();
    waiter.exec('PRAGMA busy_timeout = 0');
    const hold = holder.immediate(() => caught(() => waiter.immediate(() => waiter.prepare('INSERT INTO t (id) VALUES (1)').run())()));
    expect(sqliteErrorKind(hold())).toBe('busy');

    const small = connect('small.sqlite');
    small.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)');
    small.exec('PRAGMA max_page_count = 8');
    const fill = small.prepare('INSERT INTO t (payload) VALUES (zeroblob(4096))');
    const full = caught(() => {
      for (let i = 0; i < 100; i++) fill.run();
    });
    expect(sqliteErrorKind(full)).toBe('full');

    expect(sqliteErrorKind(caught(() => small.prepare('INSERT INTO t (id) VALUES (1), (1)').run()))).toBe('other');
    expect(sqliteErrorKind(caught(() => small.prepare('SELEKT 1')))).toBe('other');
    expect(sqliteErrorKind(new Error('database is locked'))).toBe('other'); // not a driver error
  });
});
