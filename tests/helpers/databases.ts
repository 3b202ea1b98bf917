import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Database } from '../../shared/ports/database.port.ts';
import { openSqliteDatabase } from '../../shared/adapters/db/sqlite.database.ts';
import { openSqliteConnection, sqliteDriverName, type SqliteConnection } from '../../shared/adapters/db/sqlite-driver.ts';
import { openPostgresDatabase } from '../../shared/adapters/db/postgres.database.ts';

export type TestDatabaseKind = 'sqlite' | 'postgres';
/**
 * Every database the contract runs on. Under Deno (the contract run on the node:sqlite driver, see
 * tests/runtime/deno-sqlite-contract.test.ts) only SQLite: PostgreSQL's adapter is the same code there.
 */
export const TEST_DATABASES: readonly TestDatabaseKind[] = sqliteDriverName() === 'node:sqlite' ? ['sqlite'] : ['sqlite', 'postgres'];

export const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  db: Database;
  /** Closes every handle opened here and drops the SQLite file or the PostgreSQL schema. */
  cleanup(): Promise<void>;
  /** Another, independent handle on the same database (another process would see it this way). */
  openAnother(): Promise<Database>;
  /** Raw read for assertions that look behind the port (e.g. stored rows); SQL in the database's dialect. */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/**
 * A fresh, empty database of that kind: a temporary SQLite file, or a uniquely named PostgreSQL schema
 * (`t_<random>`) in PG_TEST_URL, migrated unless `migrate: false`.
 */
export async function openTestDatabase(
  kind: TestDatabaseKind,
  opts: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const handles: Database[] = [];
  let open: () => Promise<Database>;
  let query: (sql: string) => Promise<Record<string, unknown>[]>;
  let drop: () => Promise<void>;

  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'hiredb-test-'));
    const file = join(dir, 'hiredb.sqlite');
    open = async () => openSqliteDatabase(file);
    let raw: SqliteConnection | undefined;
    query = async (sql) => {
      raw ??= openSqliteConnection(file);
      const statement = raw.prepare(sql);
      if (!statement.reader) return statement.run(), [];
      return statement.all() as Record<string, unknown>[];
    };
    drop = async () => {
      raw?.close();
      await rm(dir, { recursive: true, force: true });
    };
  } else {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    // The sessions start in a zone far from UTC: the adapter must not depend on the server's default.
    const url = withSessionOptions(PG_TEST_URL, '-c TimeZone=Pacific/Chatham');
    open = () => openPostgresDatabase(url, { schema, poolSize: 4 });
    const admin = new pg.Pool({ connectionString: withSessionOptions(PG_TEST_URL, `-c search_path=${schema} -c TimeZone=UTC`), max: 1 });
    admin.on('error', () => {});
    query = async (sql) => (await admin.query(sql)).rows as Record<string, unknown>[];
    drop = async () => {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    };
  }

  const openHandle = async () => {
    const handle = await open();
    handles.push(handle);
    return handle;
  };
  const cleanup = async () => {
    const closing = await Promise.allSettled(handles.map((h) => h.close()));
    await drop();
    const failed = closing.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  };
  try {
    const db = await openHandle();
    if (opts.migrate !== false) await db.migrate();
    return { db, openAnother: openHandle, query, cleanup };
  } catch (err) {
    await cleanup().catch(() => {});
    throw err;
  }
}

/** The URL with extra libpq `options` (appended to any it already has). */
function withSessionOptions(url: string, options: string): string {
  const parsed = new URL(url);
  const existing = parsed.searchParams.get('options');
  parsed.searchParams.set('options', existing ? `${existing} ${options}` : options);
  return parsed.toString();
}

/** Gives every test of the enclosing suite a fresh, migrated database of `kind`, dropped after it. */
export function useFreshDatabase(kind: TestDatabaseKind, onOpen: (t: TestDatabase) => void): void {
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    current = await openTestDatabase(kind);
    onOpen(current);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
}
