// The Database contract on every test database: migrations.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import { openTestDatabase, PG_TEST_URL, TEST_DATABASES, useFreshDatabase, type TestDatabase } from '../helpers/databases.ts';
import { dept, job } from '../helpers/db-fixtures.ts';
import { readMigrations } from '../../shared/adapters/db/migrations.ts';

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let _t: TestDatabase;
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    _t = opened;
    db = opened.db;
  });

  describe('migrate', () => {
    it('is harmless when run again, with data in place', async () => {
      expect(db.dialect).toBe(kind);
      await db.insertBatch('departments', [dept(1, 'Sales')]);
      const version = await db.dataVersion();
      await db.migrate();
      await db.migrate();
      expect(await db.dimensionIds('departments')).toEqual(new Set([1]));
      expect(await db.dataVersion()).toBe(version);
      expect(await db.insertBatch('departments', [dept(1, 'Sales'), dept(2, 'Legal')])).toEqual({ inserted: 1, already_exists: 1 });
    });

    it('is safe when several migrators race on a fresh database', async () => {
      const fresh = await openTestDatabase(kind, { migrate: false });
      try {
        const others = await Promise.all([fresh.openAnother(), fresh.openAnother()]);
        await Promise.all([fresh.db.migrate(), others[0].migrate(), others[1].migrate(), fresh.db.migrate()]);
        const applied = await fresh.query('SELECT version FROM schema_migrations ORDER BY version');
        expect(applied.map((r) => r.version)).toEqual(readMigrations(kind).map((m) => m.version));
        expect(await fresh.db.insertBatch('jobs', [job(1, 'Analyst')])).toEqual({ inserted: 1, already_exists: 0 });
        expect(await others[0].dimensionIds('jobs')).toEqual(new Set([1]));
        expect(await others[1].dataVersion()).toBe(1);
      } finally {
        await fresh.cleanup();
      }
    });
  });
});

describe('PostgreSQL migrate on a current schema', () => {
  let t: TestDatabase;
  useFreshDatabase('postgres', (opened) => {
    t = opened;
  });

  it('reads the ledger without taking the migration lock, so it answers while a migrator holds it', async () => {
    const [{ schema }] = await t.query('SELECT current_schema() AS schema');
    const migrator = new pg.Client({ connectionString: PG_TEST_URL });
    await migrator.connect();
    try {
      await migrator.query('BEGIN');
      await migrator.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`hiredb:migrate:${schema}`]);
      const again = await t.openAnother();
      const outcome = await Promise.race([
        again.migrate().then(() => 'migrated'),
        new Promise((resolve) => setTimeout(resolve, 5_000, 'waited for the lock')),
      ]);
      expect(outcome).toBe('migrated');
    } finally {
      await migrator.end();
    }
  });

  it('still applies a migration missing from the ledger', async () => {
    await t.query("DROP TABLE api_keys; DELETE FROM schema_migrations WHERE version = '002_api_keys'");
    await t.db.migrate();
    const applied = await t.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => r.version)).toEqual(readMigrations('postgres').map((m) => m.version));
    expect(await t.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'api_keys'")).toEqual([{ n: 1 }]);
  });
});
