import type { Role } from '../domain/roles.ts';

/** An API key as it may be shown: never the key, never its hash. Times are epoch milliseconds. */
export interface ApiKey {
  name: string;
  role: Role;
  created_at: number;
  last_used_at: number | null;
  /** Set once, when the key is revoked; a revoked key is never accepted again. */
  revoked_at: number | null;
}

/** An API key as stored: with the SHA-256 of the key (64 lower-case hex digits). */
export interface StoredApiKey extends ApiKey {
  key_hash: string;
}

/**
 * The `api_keys` table. Keys are looked up by hash only; the key itself is never stored. Every process
 * and the edge worker read the same table, so a key created or revoked anywhere counts everywhere.
 */
export interface ApiKeyRepository {
  /** Stores a new key; null (nothing written) when a key of that name exists, revoked or not. */
  create(key: { name: string; role: Role; keyHash: string; now: number }): Promise<ApiKey | null>;
  /** Every key, revoked ones included, by name. */
  list(): Promise<ApiKey[]>;
  /** Revokes the key (a second revoke keeps the first time); null when no key has that name. */
  revoke(name: string, now: number): Promise<ApiKey | null>;
  findByHash(keyHash: string): Promise<StoredApiKey | null>;
  /** Records a use of the key. */
  touch(name: string, now: number): Promise<void>;
  /** Whether any key exists, revoked ones included (revoking every key does not reopen a server). */
  any(): Promise<boolean>;
}
