import type { ApiKey, ApiKeyRepository, StoredApiKey } from '../../shared/ports/api-key.port.ts';
import type { Logger } from '../../shared/platform/logger.ts';
import { constantTimeEqual, fromHex, hashApiKey, KEY_FORMAT, toHex } from '../../shared/service/api-keys.ts';
import { ttlCache } from './ttl-cache.ts';

export type Verdict = { ok: true; key: ApiKey } | { ok: false; reason: 'unknown' | 'revoked' };

/**
 * Checks presented keys against the api_keys table. The key is hashed (SHA-256) and looked up by hash;
 * the stored hash is then compared with the presented one in constant time. Answers are cached by hash
 * for `cacheMs`, so a revocation takes effect within that time on every process, and last_used_at is
 * written at most every `touchEveryMs` per key.
 */
export function keyVerifier(keys: ApiKeyRepository, opts: { cacheMs: number; touchEveryMs: number; now: () => number; log: Logger }) {
  const { now } = opts;
  const byHash = ttlCache<string, StoredApiKey | null>(opts.cacheMs, 10_000, now);
  const lastTouch = new Map<string, number>();
  let keysExist = false; // once true, true for good: rows are never deleted
  let keysCheckedAt = -Infinity;

  return {
    /** Whether the database holds any key (revoked ones too); a "no" is trusted for `cacheMs`. */
    async anyKeyExists(): Promise<boolean> {
      if (keysExist || now() - keysCheckedAt < opts.cacheMs) return keysExist;
      keysExist = await keys.any();
      keysCheckedAt = now();
      return keysExist;
    },

    async verify(presented: string): Promise<Verdict> {
      if (!KEY_FORMAT.test(presented)) return { ok: false, reason: 'unknown' };
      const digest = await hashApiKey(presented);
      const hash = toHex(digest);
      let stored = byHash.get(hash);
      if (stored === undefined) {
        stored = await keys.findByHash(hash);
        byHash.set(hash, stored);
      }
      if (!stored || !constantTimeEqual(digest, fromHex(stored.key_hash))) return { ok: false, reason: 'unknown' };
      keysExist = true;
      if (stored.revoked_at !== null) return { ok: false, reason: 'revoked' };
      await touch(stored.name);
      const { key_hash: _, ...key } = stored;
      return { ok: true, key };
    },
  };

  async function touch(name: string) {
    const at = now();
    if (at - (lastTouch.get(name) ?? -Infinity) < opts.touchEveryMs) return;
    lastTouch.set(name, at);
    try {
      await keys.touch(name, at);
    } catch (e) {
      opts.log.error('could not record the use of an API key', { key: name, error: String(e) });
    }
  }
}
