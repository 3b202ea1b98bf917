import { isRole } from '../../domain/roles.ts';
import type { ApiKey, StoredApiKey } from '../../ports/api-key.port.ts';

/** An api_keys row as a driver returns it (BIGINT times may come back as strings). */
export type ApiKeyRecord = Record<string, unknown>;

const time = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function apiKeyFromRecord(r: ApiKeyRecord): ApiKey {
  const role = r.role;
  if (!isRole(role)) throw new Error(`api_keys row "${String(r.name)}" has an unknown role "${String(role)}"`);
  return {
    name: String(r.name),
    role,
    created_at: Number(r.created_at),
    last_used_at: time(r.last_used_at),
    revoked_at: time(r.revoked_at),
  };
}

export const storedApiKeyFromRecord = (r: ApiKeyRecord): StoredApiKey => ({ ...apiKeyFromRecord(r), key_hash: String(r.key_hash) });
