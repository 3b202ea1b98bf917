// The Database contract on every test database: the api_keys table behind the ApiKeyRepository port.
import { describe, expect, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import { useFreshDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let t: TestDatabase;
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    t = opened;
    db = opened.db;
  });

  describe('keys', () => {
    it('creates a key once per name, lists them by name without hashes, finds one by hash', async () => {
      expect(await db.keys.any()).toBe(false);
      expect(await db.keys.list()).toEqual([]);
      const made = await db.keys.create({ name: 'ci', role: 'ingest', keyHash: HASH_A, now: 1_700_000_000_000 });
      expect(made).toEqual({ name: 'ci', role: 'ingest', created_at: 1_700_000_000_000, last_used_at: null, revoked_at: null });
      expect(await db.keys.create({ name: 'ci', role: 'admin', keyHash: HASH_B, now: 1 })).toBeNull();
      expect(await db.keys.create({ name: 'BI', role: 'read', keyHash: HASH_B, now: 2 })).toMatchObject({ name: 'BI' });
      expect(await db.keys.any()).toBe(true);
      // Binary order: upper case first, on every database.
      expect((await db.keys.list()).map((k) => [k.name, k.role])).toEqual([['BI', 'read'], ['ci', 'ingest']]);
      expect(JSON.stringify(await db.keys.list())).not.toContain(HASH_A);
      expect(await db.keys.findByHash(HASH_A)).toEqual({ ...made, key_hash: HASH_A });
      expect(await db.keys.findByHash(HASH_A.toUpperCase())).toBeNull();
      expect(await db.keys.findByHash('c'.repeat(64))).toBeNull();
    });

    it('names are exact: "ci" and "CI" are two keys', async () => {
      await db.keys.create({ name: 'ci', role: 'read', keyHash: HASH_A, now: 1 });
      expect(await db.keys.create({ name: 'CI', role: 'read', keyHash: HASH_B, now: 1 })).not.toBeNull();
    });

    it('refuses a role that is none of read, ingest, admin', async () => {
      await expect(db.keys.create({ name: 'x', role: 'owner' as never, keyHash: HASH_A, now: 1 })).rejects.toThrow();
      expect(await db.keys.any()).toBe(false);
    });

    it('revokes once (a second revoke keeps the first time), and keeps the row', async () => {
      await db.keys.create({ name: 'ci', role: 'ingest', keyHash: HASH_A, now: 10 });
      expect(await db.keys.revoke('ci', 20)).toMatchObject({ name: 'ci', revoked_at: 20 });
      expect(await db.keys.revoke('ci', 30)).toMatchObject({ revoked_at: 20 });
      expect(await db.keys.revoke('nobody', 30)).toBeNull();
      expect(await db.keys.findByHash(HASH_A)).toMatchObject({ revoked_at: 20 });
      expect(await db.keys.create({ name: 'ci', role: 'ingest', keyHash: HASH_B, now: 40 })).toBeNull();
    });

    it('records uses, never moving last_used_at back', async () => {
      await db.keys.create({ name: 'ci', role: 'read', keyHash: HASH_A, now: 10 });
      await db.keys.touch('ci', 100);
      expect((await db.keys.findByHash(HASH_A))!.last_used_at).toBe(100);
      await db.keys.touch('ci', 50);
      expect((await db.keys.findByHash(HASH_A))!.last_used_at).toBe(100);
      await db.keys.touch('nobody', 100);
    });

    it('is seen by another handle on the same database at once', async () => {
      const other = await t.openAnother();
      await db.keys.create({ name: 'ci', role: 'read', keyHash: HASH_A, now: 10 });
      expect(await other.keys.any()).toBe(true);
      await other.keys.revoke('ci', 20);
      expect((await db.keys.findByHash(HASH_A))!.revoked_at).toBe(20);
    });
  });
});
