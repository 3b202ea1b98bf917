// The Database contract on every test database: migrations.
import { describe, expect, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import { openTestDatabase, TEST_DATABASES, useFreshDatabase, type TestDatabase } from '../helpers/databases.ts';
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
