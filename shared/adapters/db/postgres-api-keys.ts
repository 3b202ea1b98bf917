import type pg from 'pg';
import type { ApiKeyRepository } from '../../ports/api-key.port.ts';
import { apiKeyFromRecord, storedApiKeyFromRecord } from './api-key-row.ts';

const SHOWN = 'name, role, created_at, last_used_at, revoked_at';

export const API_KEY_SQL = {
  create: `INSERT INTO api_keys (name, role, key_hash, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO NOTHING RETURNING ${SHOWN}`,
  list: `SELECT ${SHOWN} FROM api_keys ORDER BY name COLLATE "C"`,
  revoke: `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE name = $1 RETURNING ${SHOWN}`,
  findByHash: `SELECT ${SHOWN}, key_hash FROM api_keys WHERE key_hash = $1`,
  touch: 'UPDATE api_keys SET last_used_at = $2 WHERE name = $1 AND (last_used_at IS NULL OR last_used_at < $2)',
  any: 'SELECT 1 FROM api_keys LIMIT 1',
} as const;

/** The api_keys table on PostgreSQL, through the adapter's `query` (bounded, driver errors translated). */
export function postgresApiKeys(query: (text: string, values?: unknown[]) => Promise<pg.QueryResult>): ApiKeyRepository {
  const rows = async (text: string, values?: unknown[]) => (await query(text, values)).rows;
  return {
    async create({ name, role, keyHash, now }) {
      const [row] = await rows(API_KEY_SQL.create, [name, role, keyHash, now]);
      return row ? apiKeyFromRecord(row) : null;
    },
    async list() {
      return (await rows(API_KEY_SQL.list)).map(apiKeyFromRecord);
    },
    async revoke(name, now) {
      const [row] = await rows(API_KEY_SQL.revoke, [name, now]);
      return row ? apiKeyFromRecord(row) : null;
    },
    async findByHash(keyHash) {
      const [row] = await rows(API_KEY_SQL.findByHash, [keyHash]);
      return row ? storedApiKeyFromRecord(row) : null;
    },
    async touch(name, now) {
      await query(API_KEY_SQL.touch, [name, now]);
    },
    async any() {
      return (await rows(API_KEY_SQL.any)).length > 0;
    },
  };
}
