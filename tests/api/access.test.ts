// API keys and roles against every route the app registers, in process, on SQLite and PostgreSQL.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, TEST_DATABASES, type Harness } from './harness.ts';
import type { Logger } from '../../shared/platform/logger.ts';
import type { ApiKeyRepository, StoredApiKey } from '../../shared/ports/api-key.port.ts';
import type { Role } from '../../shared/domain/roles.ts';
import { createApiKey } from '../../shared/service/api-keys.ts';
import type { AccessPolicy } from '../../worker/auth/access-policy.ts';
import { createApp } from '../../worker/app.ts';

/**
 * What each route needs, written here independently of worker/auth/access-rules.ts. A route the app
 * registers that is missing here fails the first test: give it a rule in both places.
 */
const EXPECTED: Record<string, 'open' | 'report' | Role> = {
  'GET /health': 'open',
  'GET /': 'open',
  'GET /assets/:name': 'open',
  'GET /docs': 'open',
  'GET /openapi.json': 'open',
  'POST /upload-files': 'ingest',
  'POST /departments': 'ingest',
  'POST /jobs': 'ingest',
  'POST /upload-hired-employees': 'ingest',
  'GET /task-list': 'read',
  'GET /task-status/:id': 'read',
  'GET /report/:name': 'report',
  'POST /api/v1/:table/batch': 'ingest',
  'PUT /api/v1/files/:name': 'ingest',
  'GET /api/v1/tasks': 'read',
  'GET /api/v1/tasks/:id': 'read',
  'GET /api/v1/tasks/:id/rejects': 'read',
  'POST /api/v1/tasks/:id/retry': 'ingest',
  'GET /api/v1/reports/:name': 'report',
  'GET /api/v1/keys': 'admin',
  'POST /api/v1/keys': 'admin',
  'DELETE /api/v1/keys/:name': 'admin',
};

/** Parameter values that make each route answer without changing anything (unknown task, no body, …). */
const SAMPLE_PARAMS: Record<string, string> = { id: '999999', table: 'departments', name: 'nobody' };
const concretePath = (pattern: string) =>
  pattern.startsWith('/api/v1/reports/') || pattern.startsWith('/report/')
    ? pattern.replace(':name', 'hired-by-quarter')
    : pattern.startsWith('/api/v1/files/')
      ? pattern.replace(':name', 'departments_unused.csv')
      : pattern.replace(/:(\w+)/g, (_, p: string) => SAMPLE_PARAMS[p]);

const registeredRoutes = (app: ReturnType<typeof createApp>) =>
  [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))].sort();

const ROLES_AND_NONE = [null, 'read', 'ingest', 'admin'] as const;
const RANK = { read: 1, ingest: 2, admin: 3 } as const;

/** Every log line of this file, for the scan that no key ever reaches a log. */
const logLines: string[] = [];
const capturing: Logger = {
  info: (message, fields) => void logLines.push(JSON.stringify({ level: 'info', message, ...fields })),
  warn: (message, fields) => void logLines.push(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => void logLines.push(JSON.stringify({ level: 'error', message, ...fields })),
};
/** Every key made in this file. */
const issued: string[] = [];

async function makeKey(keys: ApiKeyRepository, name: string, role: Role): Promise<string> {
  const { key } = await createApiKey(keys, { name, role }, Date.now());
  issued.push(key);
  return key;
}

const bearer = (key: string | null): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

afterAll(() => {
  expect(issued.length).toBeGreaterThan(10);
  expect(logLines.length).toBeGreaterThan(10);
  for (const key of issued) {
    const leaked = logLines.filter((l) => l.includes(key) || l.includes(key.slice(4)) || l.includes(sha256Hex(key)));
    expect(leaked, `log lines holding a key or its hash`).toEqual([]);
  }
});

describe.each(TEST_DATABASES)('%s', (kind) => {
  describe('with a key of each role', () => {
    let h: Harness;
    const keyOf: Record<Role, string> = { read: '', ingest: '', admin: '' };
    beforeAll(async () => {
      h = await openHarness(kind, { log: capturing });
      for (const role of ['read', 'ingest', 'admin'] as const) keyOf[role] = await makeKey(h.db.keys, `${role}-key`, role);
    });
    afterAll(async () => {
      await h?.close();
    });

    it('every registered route has an expected rule, and every rule a route', () => {
      expect(registeredRoutes(h.app)).toEqual(Object.keys(EXPECTED).sort());
    });

    it('answers each route by role: 401 without a key, 403 below the role, through with it', async () => {
      const outcomes: string[] = [];
      const wanted: string[] = [];
      for (const route of registeredRoutes(h.app)) {
        const [method, pattern] = route.split(' ');
        const needs = EXPECTED[route];
        for (const role of ROLES_AND_NONE) {
          const res = await h.request(concretePath(pattern), { method, headers: bearer(role && keyOf[role]) });
          const allowed = needs === 'open' || (role !== null && RANK[role] >= RANK[needs === 'report' ? 'read' : needs]);
          const got = res.status === 401 ? '401' : res.status === 403 ? '403' : 'through';
          outcomes.push(`${route} as ${role ?? 'nobody'}: ${got}`);
          wanted.push(`${route} as ${role ?? 'nobody'}: ${allowed ? 'through' : role === null ? '401' : '403'}`);
          if (res.status === 401) {
            expect(res.headers.get('www-authenticate')).toBe('Bearer realm="hiredb"');
            expect(res.body.error.code).toBe('AUTH_REQUIRED');
          }
          if (res.status === 403) expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(`${role}-key`) });
        }
      }
      expect(outcomes).toEqual(wanted);
    });

    it('takes the key from X-API-Key as well; refuses other schemes, two different keys and unknown keys', async () => {
      expect((await h.get('/api/v1/tasks', { 'x-api-key': keyOf.read })).status).toBe(200);
      expect((await h.get('/api/v1/tasks', { authorization: `bearer   ${keyOf.read}` })).status).toBe(200);
      expect((await h.get('/api/v1/tasks', { authorization: `Bearer ${keyOf.read}`, 'x-api-key': keyOf.read })).status).toBe(200);
      const refused: Record<string, string>[] = [
        { authorization: `Basic ${btoa(`u:${keyOf.read}`)}` },
        { authorization: `Bearer ${keyOf.read}`, 'x-api-key': keyOf.admin },
        { authorization: `Bearer hdb_${'A'.repeat(43)}` },
        { authorization: 'Bearer not-a-key' },
        { 'x-api-key': keyOf.read.slice(0, -1) },
      ];
      for (const headers of refused) {
        const res = await h.get('/api/v1/tasks', headers);
        expect(res.status, JSON.stringify(Object.keys(headers))).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="hiredb", error="invalid_token"');
        expect(res.text).not.toContain(keyOf.read);
      }
    });

    it('never takes a key from the query string', async () => {
      for (const param of ['api_key', 'key', 'access_token', 'token', 'apikey']) {
        const res = await h.get(`/api/v1/tasks?${param}=${keyOf.admin}`);
        expect(res.status, param).toBe(400);
        expect(res.body.error.message).toMatch(/not accepted in the query string/);
        expect(res.text).not.toContain(keyOf.admin);
        // Not even next to a good header.
        expect((await h.get(`/api/v1/reports/hired-by-quarter?key=${keyOf.read}`, bearer(keyOf.read))).status).toBe(400);
      }
    });

    it('manages keys over HTTP with an admin key: made once, listed without key or hash, revoked', async () => {
      const made = await h.request('/api/v1/keys', {
        method: 'POST',
        headers: { ...bearer(keyOf.admin), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bi-tool', role: 'read' }),
      });
      expect(made.status).toBe(201);
      expect(made.headers.get('cache-control')).toBe('no-store');
      expect(made.body).toMatchObject({ name: 'bi-tool', role: 'read', revoked_at: null, key: expect.stringMatching(/^hdb_[A-Za-z0-9_-]{43}$/) });
      issued.push(made.body.key);
      expect((await h.get('/api/v1/reports/hiring-above-average', bearer(made.body.key))).status).toBe(200);

      const listed = await h.get('/api/v1/keys', bearer(keyOf.admin));
      expect(listed.body.keys.map((k: { name: string }) => k.name)).toEqual(['admin-key', 'bi-tool', 'ingest-key', 'read-key']);
      expect(Object.keys(listed.body.keys[0]).sort()).toEqual(['created_at', 'last_used_at', 'name', 'revoked_at', 'role']);
      for (const key of issued) {
        expect(listed.text).not.toContain(key);
        expect(listed.text).not.toContain(sha256Hex(key));
      }

      const post = (body: unknown) =>
        h.request('/api/v1/keys', { method: 'POST', headers: { ...bearer(keyOf.admin), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post({ name: 'bi-tool', role: 'read' })).status).toBe(409);
      expect((await post({ name: 'other', role: 'owner' })).body.error).toMatchObject({ code: 'BAD_PARAMETER', message: expect.stringMatching(/role must be read, ingest, admin/) });
      expect((await post({ name: 'bad\nname', role: 'read' })).status).toBe(400);
      expect((await post({ name: 'x'.repeat(5000), role: 'read' })).status).toBe(413);

      const revoked = await h.request('/api/v1/keys/bi-tool', { method: 'DELETE', headers: bearer(keyOf.admin) });
      expect(revoked.status).toBe(200);
      expect(revoked.body.revoked_at).toEqual(expect.any(String));
      expect((await h.request('/api/v1/keys/nobody', { method: 'DELETE', headers: bearer(keyOf.admin) })).status).toBe(404);
    });

    it('logs every write with the key name (or anonymous), the route, the status and the task ids', async () => {
      await h.copySampleIntoBlob();
      const from = logLines.length;
      const queued = await h.request('/departments', { method: 'POST', headers: bearer(keyOf.ingest) });
      expect(queued.status).toBe(202);
      await h.request('/api/v1/departments/batch', {
        method: 'POST',
        headers: { ...bearer(keyOf.ingest), 'content-type': 'application/json' },
        body: JSON.stringify([{ id: 1, department: 'Sales' }]),
      });
      await h.request('/upload-files', { method: 'POST' });
      const writes = logLines.slice(from).map((l) => JSON.parse(l)).filter((l) => l.message === 'write');
      expect(writes).toEqual([
        expect.objectContaining({ key: 'ingest-key', method: 'POST', route: '/departments', status: 202, task_ids: queued.body.task_ids, request_id: null }),
        expect.objectContaining({ key: 'ingest-key', route: '/api/v1/:table/batch', path: '/api/v1/departments/batch', status: 200, table: 'departments', inserted: 1 }),
        expect.objectContaining({ key: 'anonymous', route: '/upload-files', status: 401 }),
      ]);
    });
  });

  describe('the loopback default: open while the database holds no key', () => {
    let h: Harness;
    let clock = 1_000_000;
    beforeAll(async () => {
      h = await openHarness(kind, { log: capturing, access: { keysRequired: false, publicReports: false, now: () => clock } });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('serves every route without a key, and needs keys within the cache time once the first exists', async () => {
      for (const route of registeredRoutes(h.app)) {
        const [method, pattern] = route.split(' ');
        const res = await h.request(concretePath(pattern), { method });
        expect([401, 403], route).not.toContain(res.status);
      }
      const key = await makeKey(h.db.keys, 'first', 'admin');
      clock += 5_000;
      expect((await h.get('/api/v1/tasks')).status).toBe(401);
      expect((await h.get('/api/v1/tasks', bearer(key))).status).toBe(200);
      expect((await h.get('/health')).status).toBe(200);
    });

    it('stays closed when every key is revoked (revoked keys still count)', async () => {
      const key = await makeKey(h.db.keys, 'second', 'read');
      await h.db.keys.revoke('first', Date.now());
      await h.db.keys.revoke('second', Date.now());
      clock += 5_000;
      expect((await h.get('/api/v1/tasks')).status).toBe(401);
      expect((await h.get('/api/v1/tasks', bearer(key))).body.error.message).toBe('this API key is revoked');
    });
  });

  describe('keys always required (the edge), public reports', () => {
    let h: Harness;
    const open = async (access: AccessPolicy) => (h = await openHarness(kind, { log: capturing, access }));
    afterEach(async () => {
      await h?.close();
    });

    it('needs a key even when the database holds none; /health stays open', async () => {
      await open({ keysRequired: true, publicReports: false });
      expect((await h.get('/api/v1/tasks')).status).toBe(401);
      expect((await h.get('/api/v1/reports/hired-by-quarter')).status).toBe(401);
      expect((await h.get('/report/hired-by-quarter')).status).toBe(401);
      expect((await h.request('/upload-files', { method: 'POST' })).status).toBe(401);
      expect((await h.get('/health')).status).toBe(200);
    });

    it('HIREDB_PUBLIC_REPORTS opens the two report routes (versioned and original) and nothing else', async () => {
      await open({ keysRequired: true, publicReports: true });
      await makeKey(h.db.keys, 'someone', 'admin');
      for (const path of ['/api/v1/reports/hired-by-quarter', '/api/v1/reports/hiring-above-average?format=csv', '/report/hired-by-quarter', '/report/hiring-above-average']) {
        expect((await h.get(path)).status, path).toBe(200);
      }
      for (const route of registeredRoutes(h.app).filter((r) => !['open', 'report'].includes(EXPECTED[r]))) {
        const [method, pattern] = route.split(' ');
        expect((await h.request(concretePath(pattern), { method })).status, route).toBe(401);
      }
    });
  });

  describe('key checks', () => {
    let h: Harness;
    let clock = 1_000_000;
    beforeAll(async () => {
      h = await openHarness(kind, { log: capturing, access: { keysRequired: true, publicReports: false, now: () => clock } });
    });
    afterAll(async () => {
      await h?.close();
    });

    /** The same app and database, with the key repository wrapped to record (or falsify) what it is asked. */
    const appWith = (keys: ApiKeyRepository) =>
      createApp({ db: { ...h.db, keys }, blob: h.blob, log: capturing, access: { keysRequired: true, publicReports: false, now: () => clock } });

    it('revocation takes effect within the cache time (5 s), on a key that was just used', async () => {
      const key = await makeKey(h.db.keys, 'revoke-me', 'read');
      expect((await h.get('/api/v1/tasks', bearer(key))).status).toBe(200);
      await h.db.keys.revoke('revoke-me', Date.now());
      clock += 4_000;
      expect((await h.get('/api/v1/tasks', bearer(key))).status).toBe(200); // still cached
      clock += 1_000;
      const res = await h.get('/api/v1/tasks', bearer(key));
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('this API key is revoked');
    });

    it('looks keys up by their SHA-256 only, and compares the stored hash itself', async () => {
      const key = await makeKey(h.db.keys, 'by-hash', 'read');
      const asked: string[] = [];
      const recording: ApiKeyRepository = { ...h.db.keys, findByHash: (hash) => (asked.push(hash), h.db.keys.findByHash(hash)) };
      expect((await appWith(recording).request('/api/v1/tasks', { headers: bearer(key) })).status).toBe(200);
      expect(asked).toEqual([sha256Hex(key)]);

      // A store that answers a row for any hash (as a case-insensitive or truncating index might):
      // the key is refused, because the stored hash is compared with the presented one.
      const other = await makeKey(h.db.keys, 'other', 'admin');
      const stored = (await h.db.keys.findByHash(sha256Hex(other))) as StoredApiKey;
      const lying: ApiKeyRepository = { ...h.db.keys, findByHash: async () => stored };
      expect((await appWith(lying).request('/api/v1/tasks', { headers: bearer(key) })).status).toBe(401);
      expect((await appWith(lying).request('/api/v1/tasks', { headers: bearer(other) })).status).toBe(200);

      const rows = await h.query('SELECT * FROM api_keys');
      const text = JSON.stringify(rows);
      expect(text).not.toContain(key.slice(4));
      expect(text).toContain(sha256Hex(key));
    });

    it('writes last_used_at at most once a minute per key, however many requests', async () => {
      const key = await makeKey(h.db.keys, 'busy', 'read');
      const touched: number[] = [];
      const app = appWith({ ...h.db.keys, touch: (name, now) => (touched.push(now), h.db.keys.touch(name, now)) });
      for (let i = 0; i < 20; i++) expect((await app.request('/api/v1/tasks', { headers: bearer(key) })).status).toBe(200);
      expect(touched).toEqual([clock]);
      const first = clock;
      clock += 60_000;
      for (let i = 0; i < 5; i++) await app.request('/api/v1/tasks', { headers: bearer(key) });
      expect(touched).toEqual([first, clock]);
      expect((await h.db.keys.list()).find((k) => k.name === 'busy')!.last_used_at).toBe(clock);
    });
  });
});
