/**
 * API keys: made, hashed, compared, created and revoked in one place, for the CLI and the HTTP API.
 * Web-standard APIs only (crypto.getRandomValues, crypto.subtle), so the edge worker uses the same code.
 */
import { HireDbError } from '../domain/errors.ts';
import { isRole, ROLES, type Role } from '../domain/roles.ts';
import type { ApiKey, ApiKeyRepository } from '../ports/api-key.port.ts';

const KEY_PREFIX = 'hdb_';
const KEY_BYTES = 32; // 256 random bits
/** What every key HireDB makes looks like: the prefix and 43 base64url characters. */
export const KEY_FORMAT = /^hdb_[A-Za-z0-9_-]{43}$/;
/** Names appear in logs and listings, so they are plain: letters, digits, `.`, `_`, `-`. */
export const KEY_NAME_FORMAT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A new random key: `hdb_` and 32 random bytes in base64url. */
export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return KEY_PREFIX + btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** SHA-256 of the key's UTF-8 bytes. Enough for random keys of 256 bits: nothing to brute-force. */
export async function hashApiKey(key: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
}

export const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Compares two byte strings in time that depends only on their length: every byte is read and no
 * branch depends on the data, so a mismatch early in the hash answers as late as a match.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false; // lengths are public (a SHA-256 is always 32 bytes)
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Creates a key; the key is in the answer and nowhere else, so the caller shows it once. */
export async function createApiKey(
  keys: ApiKeyRepository,
  request: { name: unknown; role: unknown },
  now: number,
): Promise<{ key: string; record: ApiKey }> {
  const { name, role } = request;
  if (typeof name !== 'string' || !KEY_NAME_FORMAT.test(name)) {
    throw new HireDbError('BAD_PARAMETER', `a key name is 1 to 64 of A-Z a-z 0-9 . _ - starting with a letter or digit, got ${JSON.stringify(name ?? null)}`);
  }
  if (!isRole(role)) throw new HireDbError('BAD_PARAMETER', `role must be ${ROLES.join(', ')}, got ${JSON.stringify(role ?? null)}`);
  const key = generateApiKey();
  const record = await keys.create({ name, role: role as Role, keyHash: toHex(await hashApiKey(key)), now });
  if (!record) throw new HireDbError('CONFLICT', `a key named "${name}" exists already (names are never reused, revoked or not)`);
  return { key, record };
}

/** Revokes a key by name; it is refused everywhere within seconds (see the worker's key cache). */
export async function revokeApiKey(keys: ApiKeyRepository, name: string, now: number): Promise<ApiKey> {
  const record = KEY_NAME_FORMAT.test(name) ? await keys.revoke(name, now) : null;
  if (!record) throw new HireDbError('NOT_FOUND', `no key named ${JSON.stringify(name)}`);
  return record;
}

/** A key as the API and the CLI list it: times in ISO 8601, never the key or its hash. */
export function apiKeyView(k: ApiKey) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { name: k.name, role: k.role, created_at: iso(k.created_at), last_used_at: iso(k.last_used_at), revoked_at: iso(k.revoked_at) };
}
