// API keys and access decisions without a database: key format, hashing, the constant-time comparison,
// the start-up access rules, the header parsing, the cache and the settings.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, fromHex, generateApiKey, hashApiKey, KEY_FORMAT, toHex } from '../../shared/service/api-keys.ts';
import { accessAtStart, isLoopbackHost } from '../../worker/auth/access-policy.ts';
import { presentedKey } from '../../worker/auth/access-control.ts';
import { ttlCache } from '../../worker/auth/ttl-cache.ts';
import { roleGrants } from '../../shared/domain/roles.ts';
import { loadConfig } from '../../shared/config/config.ts';

describe('keys', () => {
  it('are hdb_ and 32 random bytes in base64url (256 bits), all different', () => {
    const keys = Array.from({ length: 2000 }, generateApiKey);
    for (const k of keys) expect(k).toMatch(KEY_FORMAT);
    expect(new Set(keys).size).toBe(keys.length);
    const bytes = Buffer.from(keys[0].slice(4), 'base64url');
    expect(bytes.length).toBe(32);
    // Every bit position takes both values across the sample: no fixed bits.
    const seen = new Uint8Array(32).fill(0);
    const unseen = new Uint8Array(32).fill(0);
    for (const k of keys) {
      const b = Buffer.from(k.slice(4), 'base64url');
      for (let i = 0; i < 32; i++) {
        seen[i] |= b[i];
        unseen[i] |= ~b[i] & 0xff;
      }
    }
    expect([...seen, ...unseen].every((v) => v === 0xff)).toBe(true);
  });

  it('are hashed with SHA-256 (Web Crypto), hex encoded', async () => {
    const key = generateApiKey();
    const digest = await hashApiKey(key);
    expect(toHex(digest)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(fromHex(toHex(digest))).toEqual(digest);
  });
});

describe('constantTimeEqual', () => {
  /** Counts the element reads a comparison makes. */
  const counted = (bytes: Uint8Array) => {
    const reads = { n: 0 };
    const proxy = new Proxy(bytes, {
      get(target, prop) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) reads.n++;
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return { proxy, reads };
  };

  it('tells equal from different', () => {
    const a = new Uint8Array(32).map((_, i) => i);
    expect(constantTimeEqual(a, a.slice())).toBe(true);
    for (let i = 0; i < 32; i++) {
      const b = a.slice();
      b[i] ^= 1;
      expect(constantTimeEqual(a, b), `byte ${i}`).toBe(false);
    }
    expect(constantTimeEqual(a, a.slice(0, 31))).toBe(false);
  });

  it('reads every byte whether the first, the last or no byte differs', () => {
    const a = new Uint8Array(32).fill(7);
    for (const differAt of [0, 31, -1]) {
      const b = a.slice();
      if (differAt >= 0) b[differAt] = 8;
      const x = counted(a);
      const y = counted(b);
      constantTimeEqual(x.proxy, y.proxy);
      expect([x.reads.n, y.reads.n], `differing at ${differAt}`).toEqual([32, 32]);
    }
  });
});

describe('roles', () => {
  it('each includes the ones below it', () => {
    expect(roleGrants('admin', 'ingest')).toBe(true);
    expect(roleGrants('ingest', 'read')).toBe(true);
    expect(roleGrants('read', 'ingest')).toBe(false);
    expect(roleGrants('ingest', 'admin')).toBe(false);
  });
});

describe('access at start-up', () => {
  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'example.com', '128.0.0.1', 'localhost.example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('opens a loopback server with no key, refuses any other unless HIREDB_AUTH=off, and needs keys once one exists', () => {
    const at = (host: string, auth: 'auto' | 'off', keysExist: boolean) => accessAtStart({ host, auth, publicReports: false, keysExist });
    expect(at('127.0.0.1', 'auto', false)).toMatchObject({ ok: true, policy: { keysRequired: false }, notice: { warning: false } });
    expect(at('0.0.0.0', 'auto', false)).toMatchObject({ ok: false, message: expect.stringMatching(/not a loopback address.*HIREDB_AUTH=off/) });
    expect(at('0.0.0.0', 'off', false)).toMatchObject({ ok: true, policy: { keysRequired: false }, notice: { warning: true } });
    expect(at('0.0.0.0', 'auto', true)).toMatchObject({ ok: true, policy: { keysRequired: true }, notice: null });
    expect(at('127.0.0.1', 'auto', true)).toMatchObject({ ok: true, notice: null });
  });
});

describe('presented keys', () => {
  const h = (init: Record<string, string>) => presentedKey(new Headers(init));
  it('come from Authorization: Bearer or X-API-Key, never both different', () => {
    expect(h({})).toBeNull();
    expect(h({ authorization: 'Bearer abc' })).toEqual({ key: 'abc' });
    expect(h({ authorization: 'bearer\tabc ' })).toEqual({ key: 'abc' });
    expect(h({ 'x-api-key': ' abc ' })).toEqual({ key: 'abc' });
    expect(h({ authorization: 'Bearer abc', 'x-api-key': 'abc' })).toEqual({ key: 'abc' });
    expect(h({ authorization: 'Bearer abc', 'x-api-key': 'abd' })).toEqual({ problem: expect.any(String) });
    expect(h({ authorization: 'Basic abc' })).toEqual({ problem: expect.any(String) });
    expect(h({ authorization: 'Bearer a b' })).toEqual({ problem: expect.any(String) });
  });
});

describe('ttlCache', () => {
  it('forgets entries after the ttl and the oldest past the size limit', () => {
    let t = 0;
    const c = ttlCache<string, number | null>(5_000, 2, () => t);
    c.set('a', 1);
    c.set('n', null);
    expect(c.get('a')).toBe(1);
    expect(c.get('n')).toBeNull();
    t = 4_999;
    expect(c.get('a')).toBe(1);
    t = 5_000;
    expect(c.get('a')).toBeUndefined();
    c.set('x', 1);
    c.set('y', 2);
    c.set('z', 3);
    expect([c.get('x'), c.get('y'), c.get('z')]).toEqual([undefined, 2, 3]);
  });
});

describe('settings', () => {
  it('HIREDB_AUTH is auto or off; HIREDB_PUBLIC_REPORTS true or false', () => {
    expect(loadConfig({})).toMatchObject({ auth: 'auto', publicReports: false });
    expect(loadConfig({ HIREDB_AUTH: 'off', HIREDB_PUBLIC_REPORTS: 'true' })).toMatchObject({ auth: 'off', publicReports: true });
    expect(() => loadConfig({ HIREDB_AUTH: 'no' })).toThrow(/HIREDB_AUTH="no" must be auto or off/);
    expect(() => loadConfig({ HIREDB_PUBLIC_REPORTS: 'yes' })).toThrow(/HIREDB_PUBLIC_REPORTS="yes" must be true or false/);
  });
});
