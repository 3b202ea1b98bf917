import type { ApiKeyRepository } from '../../ports/api-key.port.ts';
import { apiKeyFromRecord, storedApiKeyFromRecord, type ApiKeyRecord } from './api-key-row.ts';
import type { SqliteConnection } from './sqlite-driver.ts';

const SHOWN = 'name, role, created_at, last_used_at, revoked_at';

/** The api_keys table on SQLite. Statements are prepared on first use (after migrations made the table). */
export function sqliteApiKeys(db: SqliteConnection): ApiKeyRepository {
  let st: ReturnType<typeof prepare> | undefined;
  const s = () => (st ??= prepare(db));
  return {
    async create({ name, role, keyHash, now }) {
      const row = s().create.get({ name, role, hash: keyHash, now }) as ApiKeyRecord | undefined;
      return row ? apiKeyFromRecord(row) : null;
    },
    async list() {
      return (s().list.all() as ApiKeyRecord[]).map(apiKeyFromRecord);
    },
    async revoke(name, now) {
      const row = s().revoke.get({ name, now }) as ApiKeyRecord | undefined;
      return row ? apiKeyFromRecord(row) : null;
    },
    async findByHash(keyHash) {
      const row = s().findByHash.get(keyHash) as ApiKeyRecord | undefined;
      return row ? storedApiKeyFromRecord(row) : null;
    },
    async touch(name, now) {
      s().touch.run({ name, now });
    },
    async any() {
      return s().any.get() !== undefined;
    },
  };
}

function prepare(db: SqliteConnection) {
  return {
    create: db.prepare(`INSERT INTO api_keys (name, role, key_hash, created_at) VALUES (@name, @role, @hash, @now)
      ON CONFLICT (name) DO NOTHING RETURNING ${SHOWN}`),
    list: db.prepare(`SELECT ${SHOWN} FROM api_keys ORDER BY name`),
    revoke: db.prepare(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now) WHERE name = @name RETURNING ${SHOWN}`),
    findByHash: db.prepare(`SELECT ${SHOWN}, key_hash FROM api_keys WHERE key_hash = ?`),
    touch: db.prepare('UPDATE api_keys SET last_used_at = @now WHERE name = @name AND (last_used_at IS NULL OR last_used_at < @now)'),
    any: db.prepare('SELECT 1 FROM api_keys LIMIT 1'),
  };
}
