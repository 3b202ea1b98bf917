import type { ApiKeyRepository } from '../../ports/api-key.port.ts';
import { apiKeyFromRecord, storedApiKeyFromRecord } from './api-key-row.ts';
import { bigint, nvarchar, type SqlExecutor } from './mssql-executor.ts';

const SHOWN = 'name, role, created_at, last_used_at, revoked_at';

/** The T-SQL of the api_keys table (the table's name and key_hash columns use a binary collation). */
export const API_KEY_SQL = {
  create: `INSERT INTO api_keys (name, role, key_hash, created_at)
OUTPUT ${SHOWN.split(', ').map((c) => `inserted.${c}`).join(', ')}
SELECT @name, @role, @hash, @now
WHERE NOT EXISTS (SELECT 1 FROM api_keys WITH (UPDLOCK, HOLDLOCK) WHERE name = @name);`,
  list: `SELECT ${SHOWN} FROM api_keys ORDER BY name;`,
  revoke: `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now)
OUTPUT ${SHOWN.split(', ').map((c) => `inserted.${c}`).join(', ')}
WHERE name = @name;`,
  findByHash: `SELECT ${SHOWN}, key_hash FROM api_keys WHERE key_hash = @hash;`,
  touch: 'UPDATE api_keys SET last_used_at = @now WHERE name = @name AND (last_used_at IS NULL OR last_used_at < @now);',
  any: 'SELECT TOP (1) 1 AS present FROM api_keys;',
} as const;

/** The api_keys table on SQL Server / Azure SQL. */
export function mssqlApiKeys(exec: SqlExecutor): ApiKeyRepository {
  return {
    async create({ name, role, keyHash, now }) {
      const [row] = await exec.query(API_KEY_SQL.create, { name: nvarchar(name), role: nvarchar(role), hash: nvarchar(keyHash), now: bigint(now) });
      return row ? apiKeyFromRecord(row) : null;
    },
    async list() {
      return (await exec.query(API_KEY_SQL.list)).map(apiKeyFromRecord);
    },
    async revoke(name, now) {
      const [row] = await exec.query(API_KEY_SQL.revoke, { name: nvarchar(name), now: bigint(now) });
      return row ? apiKeyFromRecord(row) : null;
    },
    async findByHash(keyHash) {
      const [row] = await exec.query(API_KEY_SQL.findByHash, { hash: nvarchar(keyHash) });
      return row ? storedApiKeyFromRecord(row) : null;
    },
    async touch(name, now) {
      await exec.query(API_KEY_SQL.touch, { name: nvarchar(name), now: bigint(now) });
    },
    async any() {
      return (await exec.query(API_KEY_SQL.any)).length > 0;
    },
  };
}
