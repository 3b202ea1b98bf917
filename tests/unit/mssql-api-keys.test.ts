// The SQL Server adapter's api_keys statements, checked as sent (no server needed), and its migration.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_KEY_SQL } from '../../shared/adapters/db/mssql-api-keys.ts';
import { splitSqlBatches } from '../../shared/adapters/db/mssql.sql.ts';
import { norm, recorder } from '../helpers/mssql-fake.ts';

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
/** A row as tedious returns it: BIGINT as strings. */
const row = (over: Record<string, unknown> = {}) => ({
  name: 'ci',
  role: 'ingest',
  created_at: '1700000000000',
  last_used_at: null,
  revoked_at: null,
  ...over,
});

describe('mssql api keys SQL', () => {
  it('creates a key only when its name is free, in one statement that answers the new row', async () => {
    const r = recorder(() => [row()]);
    const made = await r.db.keys.create({ name: 'ci', role: 'ingest', keyHash: 'a'.repeat(64), now: 1_700_000_000_000 });
    expect(made).toEqual({ name: 'ci', role: 'ingest', created_at: 1_700_000_000_000, last_used_at: null, revoked_at: null });
    const [q] = r.queries();
    expect(q.sql).toBe(API_KEY_SQL.create);
    expect(norm(q.sql)).toBe(
      'INSERT INTO api_keys (name, role, key_hash, created_at) OUTPUT inserted.name, inserted.role, inserted.created_at, inserted.last_used_at, inserted.revoked_at ' +
        'SELECT @name, @role, @hash, @now WHERE NOT EXISTS (SELECT 1 FROM api_keys WITH (UPDLOCK, HOLDLOCK) WHERE name = @name);',
    );
    expect(q.params).toEqual({
      name: { type: 'NVarChar', value: 'ci' },
      role: { type: 'NVarChar', value: 'ingest' },
      hash: { type: 'NVarChar', value: 'a'.repeat(64) },
      now: { type: 'BigInt', value: 1_700_000_000_000 },
    });
    expect(await recorder(() => []).db.keys.create({ name: 'ci', role: 'read', keyHash: 'b'.repeat(64), now: 1 })).toBeNull();
  });

  it('finds by hash (the only column it selects the hash from) and lists without it', async () => {
    const r = recorder((sql) => (sql.includes('key_hash = @hash') ? [row({ key_hash: 'a'.repeat(64), last_used_at: '5' })] : [row(), row({ name: 'zz', role: 'read' })]));
    expect(await r.db.keys.findByHash('a'.repeat(64))).toMatchObject({ name: 'ci', key_hash: 'a'.repeat(64), last_used_at: 5 });
    expect((await r.db.keys.list()).map((k) => k.name)).toEqual(['ci', 'zz']);
    const [find, list] = r.queries();
    expect(find).toMatchObject({ sql: 'SELECT name, role, created_at, last_used_at, revoked_at, key_hash FROM api_keys WHERE key_hash = @hash;', params: { hash: { type: 'NVarChar' } } });
    expect(list.sql).toBe('SELECT name, role, created_at, last_used_at, revoked_at FROM api_keys ORDER BY name;');
  });

  it('revokes keeping the first time, touches forward only, and tells whether any key exists', async () => {
    const r = recorder((sql) => (sql.startsWith('UPDATE api_keys SET revoked_at') ? [row({ revoked_at: '20' })] : sql.includes('TOP (1)') ? [{ present: 1 }] : []));
    expect(await r.db.keys.revoke('ci', 30)).toMatchObject({ revoked_at: 20 });
    await r.db.keys.touch('ci', 40);
    expect(await r.db.keys.any()).toBe(true);
    expect(await recorder(() => []).db.keys.any()).toBe(false);
    const [revoke, touch, any] = r.queries();
    expect(norm(revoke.sql)).toBe(
      'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now) OUTPUT inserted.name, inserted.role, inserted.created_at, inserted.last_used_at, inserted.revoked_at WHERE name = @name;',
    );
    expect(touch.sql).toBe('UPDATE api_keys SET last_used_at = @now WHERE name = @name AND (last_used_at IS NULL OR last_used_at < @now);');
    expect(touch.params).toEqual({ name: { type: 'NVarChar', value: 'ci' }, now: { type: 'BigInt', value: 40 } });
    expect(any.sql).toBe('SELECT TOP (1) 1 AS present FROM api_keys;');
  });
});

describe('sql/*/002_api_keys.sql', () => {
  const columns = (sql: string) =>
    [...sql.replace(/--[^\n]*/g, '').matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]);

  it('has the same columns on every database; names and hashes compare exactly on SQL Server', () => {
    const sqlite = readFileSync(`${SQL_DIR}sqlite/002_api_keys.sql`, 'utf8');
    const expected = ['id', 'name', 'role', 'key_hash', 'created_at', 'last_used_at', 'revoked_at'];
    expect(columns(sqlite)).toEqual(expected);
    expect(columns(readFileSync(`${SQL_DIR}postgres/002_api_keys.sql`, 'utf8'))).toEqual(expected);
    const mssql = readFileSync(`${SQL_DIR}mssql/002_api_keys.sql`, 'utf8');
    expect(columns(mssql)).toEqual(expected);
    expect(norm(mssql)).toContain('name NVARCHAR(64) COLLATE Latin1_General_BIN2 NOT NULL UNIQUE');
    expect(norm(mssql)).toContain('key_hash NVARCHAR(64) COLLATE Latin1_General_BIN2 NOT NULL UNIQUE');
    for (const b of splitSqlBatches(mssql)) expect(b).not.toMatch(/\bAUTOINCREMENT\b|\bTEXT\b|\bINTEGER\b|ON CONFLICT/i);
  });
});
