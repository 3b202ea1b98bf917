// What a hostile client cannot do, in process: cross-site writes, foreign Host names, CORS, security
// headers, byte limits, upload names, formula cells in CSV exports, and errors that reveal nothing.
import { readdirSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from './harness.ts';
import { SAMPLE_FILES } from '../helpers/sample.ts';
import type { Logger } from '../../shared/platform/logger.ts';

interface Captured {
  log: Logger;
  lines: { level: string; msg: string; fields?: Record<string, unknown> }[];
}

function capturingLog(): Captured {
  const lines: Captured['lines'] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

const BI = 'https://bi.example.com';
const SECURITY_HEADERS = ['x-content-type-options', 'x-frame-options', 'referrer-policy', 'content-security-policy', 'strict-transport-security'];

describe('browsers and hosts', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('sqlite', { http: { bindHost: '127.0.0.1', corsOrigins: [BI], allowedHosts: ['hiredb.example.com'] } });
    await copyFile(SAMPLE_FILES.departments, join(h.blobDir, 'departments.csv'));
  });
  afterAll(async () => {
    await h.close();
  });

  it('a cross-site form POST to /upload-files is refused with 403 and queues nothing', async () => {
    const res = await h.request('http://127.0.0.1:8787/upload-files', {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', request_id: res.headers.get('x-request-id') });
    expect((await h.get('http://127.0.0.1:8787/api/v1/tasks')).body.total).toBe(0);
  });

  it('every state-changing method is refused cross-site, by Origin or by Sec-Fetch-Site', async () => {
    const attempts: [string, string, Record<string, string>][] = [
      ['POST', '/api/v1/departments/batch', { origin: 'http://evil.example', 'content-type': 'application/json' }],
      ['PUT', '/api/v1/files/departments_x.csv', { origin: 'null' }],
      ['POST', '/departments', { 'sec-fetch-site': 'cross-site' }],
      ['POST', '/api/v1/tasks/1/retry', { origin: 'http://127.0.0.1.evil.example' }],
      ['DELETE', '/api/v1/tasks/1', { origin: 'http://evil.example' }],
    ];
    for (const [method, path, headers] of attempts) {
      const res = await h.request(`http://127.0.0.1:8787${path}`, { method, headers, body: '[{"id":1,"department":"x"}]' });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect((await h.get('http://127.0.0.1:8787/api/v1/tasks')).body.total).toBe(0);
  });

  it('writes from the same origin, from an allowed origin, and from clients that send no Origin go through', async () => {
    const batch = (headers: Record<string, string>) =>
      h.request('http://127.0.0.1:8787/api/v1/departments/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify([{ id: 90, department: 'Ninety' }]),
      });
    expect((await batch({})).status).toBe(200);
    expect((await batch({ origin: 'http://127.0.0.1:8787', 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await batch({ origin: BI, 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });

  it('a request naming a foreign Host is answered 421 (DNS rebinding), loopback names and allowed hosts are served', async () => {
    const foreign = await h.request('http://attacker.example/api/v1/tasks');
    expect(foreign.status).toBe(421);
    expect(foreign.body.error.code).toBe('MISDIRECTED_REQUEST');
    expect((await h.request('http://attacker.example:8787/health')).status).toBe(421);
    expect((await h.request('http://127.0.0.1.attacker.example/health')).status).toBe(421);
    for (const host of ['127.0.0.1:8787', 'localhost:1234', 'localhost', '[::1]:8787', 'hiredb.example.com', 'HIREDB.example.com:443']) {
      expect((await h.request(`http://${host}/health`)).status, host).toBe(200);
    }
  });

  it('answers a CORS preflight from an allowed origin, with Vary: Origin, and not from others', async () => {
    const preflight = (origin: string) =>
      h.request('http://127.0.0.1:8787/api/v1/departments/batch', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const allowed = await preflight(BI);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(BI);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('vary')).toMatch(/origin/i);
    const other = await preflight('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const read = await h.get('http://127.0.0.1:8787/api/v1/reports/hired-by-quarter', { origin: BI });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe(BI);
    expect(read.headers.get('vary')).toMatch(/origin/i);
    expect((await h.get('http://127.0.0.1:8787/health', { origin: 'http://evil.example' })).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends security headers on every answer: success, client error, refusal', async () => {
    for (const res of [
      await h.get('http://127.0.0.1:8787/health'),
      await h.get('http://127.0.0.1:8787/api/v1/tasks/999'),
      await h.get('http://127.0.0.1:8787/no/such/route'),
      await h.request('http://attacker.example/health'),
    ]) {
      for (const name of SECURITY_HEADERS) expect(res.headers.get(name), `${name} on ${res.status}`).not.toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });
});

describe('errors and request ids', () => {
  let h: Harness;
  let captured: Captured;
  beforeEach(async () => {
    captured = capturingLog();
    h = await openHarness('sqlite', { log: captured.log });
  });
  afterEach(async () => {
    await h.close();
  });

  it('every error body is {error: {code, message, request_id}} and the id is the X-Request-Id header', async () => {
    for (const res of [
      await h.get('/api/v1/tasks/999'),
      await h.get('/api/v1/tasks?limit=x'),
      await h.get('/nowhere'),
      await h.postJson('/api/v1/departments/batch', []),
      await h.request('/api/v1/departments/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
      await h.request('/api/v1/departments/batch', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
    ]) {
      expect(Object.keys(res.body)).toEqual(['error']);
      expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message', 'request_id']);
      expect(res.body.error.request_id).toBe(res.headers.get('x-request-id'));
    }
    expect((await h.get('/api/v1/tasks/999')).body.error.code).toBe('NOT_FOUND');
    expect((await h.get('/api/v1/tasks?limit=x')).body.error.code).toBe('BAD_PARAMETER');
    expect((await h.postJson('/api/v1/departments/batch', [])).body.error.code).toBe('BAD_BATCH_SIZE');
  });

  it('keeps a sane incoming X-Request-Id and replaces one that is not', async () => {
    const kept = await h.get('/api/v1/tasks/999', { 'x-request-id': 'proxy-1234_abc' });
    expect(kept.headers.get('x-request-id')).toBe('proxy-1234_abc');
    expect(kept.body.error.request_id).toBe('proxy-1234_abc');
    for (const bad of ['a b', 'x'.repeat(200), 'id\u001b[31m']) {
      const res = await h.get('/health', { 'x-request-id': bad });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const a = (await h.get('/health')).headers.get('x-request-id');
    const b = (await h.get('/health')).headers.get('x-request-id');
    expect(a).not.toBe(b);
  });

  it('a 500 says only INTERNAL and the request id; the details go to the log under that id', async () => {
    const secret = 'postgres://hiredb:s3cret@db.internal:5432/hr at /srv/hiredb/var/blob';
    h.db.tasks.list = async () => {
      throw new Error(`connect ECONNREFUSED ${secret}`);
    };
    const res = await h.get('/api/v1/tasks');
    expect(res.status).toBe(500);
    const id = res.headers.get('x-request-id')!;
    expect(res.body.error).toMatchObject({ code: 'INTERNAL', request_id: id });
    expect(res.text).not.toContain('s3cret');
    expect(res.text).not.toContain('ECONNREFUSED');
    expect(res.text).not.toContain('/srv/');
    const logged = captured.lines.find((l) => l.level === 'error' && l.fields?.request_id === id);
    expect(logged?.fields?.error).toContain('ECONNREFUSED');
  });

  it('/health names the database and the kind of Blob store, never a path', async () => {
    const res = await h.get('/health');
    expect(res.body).toEqual({ status: 'ok', database: 'sqlite', blob: 'ok' });
    expect(res.text).not.toContain(h.dir);
  });
});

describe('input limits', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness('sqlite', { http: { maxUploadBytes: 1000 } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('the batch size limit counts bytes: 4 MiB of two-byte characters is refused with 413 and nothing written', async () => {
    const name = 'é'.repeat(2_100_000); // 2.1 M UTF-16 units, 4.2 MB of UTF-8
    const body = JSON.stringify([{ id: 1, department: name }]);
    expect(body.length).toBeLessThan(4 * 1024 * 1024);
    expect(Buffer.byteLength(body)).toBeGreaterThan(4 * 1024 * 1024);
    const res = await h.request('/api/v1/departments/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('BODY_TOO_LARGE');
    expect(res.body.error.message).toContain('4194304 bytes');
    expect(await h.query('SELECT COUNT(*) AS n FROM departments')).toEqual([{ n: 0 }]);
  });

  it('a streamed batch body without Content-Length is refused as it passes the limit', async () => {
    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await h.request('/api/v1/departments/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(8 * 1024 * 1024); // stopped reading near 4 MiB, not at 64 MiB
  });

  it('a body of exactly the limit is accepted', async () => {
    const row = JSON.stringify([{ id: 1, department: 'Alpha' }]);
    const body = row + ' '.repeat(4 * 1024 * 1024 - row.length);
    const res = await h.request('/api/v1/departments/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ processed: 1, inserted: 1 });
  });

  it('an upload over HIREDB_MAX_UPLOAD_BYTES is refused with 413 and leaves no partial file', async () => {
    const big = '1,Alpha\n'.repeat(500); // 4000 bytes
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(big.slice(i * 400, (i + 1) * 400)));
        controller.close();
      },
    });
    const res = await h.request('/api/v1/files/departments_big.csv', { method: 'PUT', body: streamed, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(res.body.error.message).toContain('HIREDB_MAX_UPLOAD_BYTES');
    const declared = await h.request('/api/v1/files/departments_big.csv', { method: 'PUT', body: big });
    expect(declared.status).toBe(413);
    expect(readdirSync(h.blobDir)).toEqual([]);
    expect((await h.get('/api/v1/tasks')).body.total).toBe(0);
    const small = await h.request('/api/v1/files/departments_small.csv', { method: 'PUT', body: big.slice(0, 1000) });
    expect(small.status).toBe(202);
  });
});

describe('upload names', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('sqlite');
  });
  afterAll(async () => {
    await h.close();
  });
  const put = (name: string) => h.request(`/api/v1/files/${encodeURIComponent(name)}`, { method: 'PUT', body: '1,Alpha\n' });

  it('names with a line break or ESC are refused with 400 INVALID_NAME, shown escaped', async () => {
    const forged = 'departments.csv\n{"time":"2026-01-01T00:00:00.000Z","level":"error","msg":"forged"}';
    for (const name of [forged, 'departments\u001b[2J.csv', 'departments\r.csv', 'departments\u2028.csv', 'departments\u0085.csv']) {
      const res = await put(name);
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body.error.code).toBe('INVALID_NAME');
      expect(res.body.error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    }
    expect((await put(forged)).body.error.message).toContain('\\n{\\"time\\"');
    expect((await put('departments\u001b[2J.csv')).body.error.message).toContain('departments\\u001b[2J.csv');
  });

  it('a 255-character name is a 400 whose message holds no filesystem path', async () => {
    const res = await put(`departments_${'a'.repeat(239)}.csv`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_NAME');
    expect(res.text).not.toContain(h.dir);
    expect(res.text).not.toMatch(/\/tmp\/|ENAMETOOLONG/);
  });

  it('follows the rule: 1–200 of [A-Za-z0-9._-], no leading dot, ending in .csv or .csv.gz', async () => {
    const refused = ['.departments.csv', 'departments .csv', 'départements.csv', 'departments.csv.bak', 'departments+1.csv', `departments_${'a'.repeat(185)}.csv`];
    for (const name of refused) expect((await put(name)).status, name).toBe(400);
    for (const name of ['departments_2024-01.v2.csv', `departments_${'a'.repeat(184)}.csv`, 'JOBS.CSV']) {
      expect((await put(name)).status, name).toBe(202);
    }
  });
});

describe('CSV exports neutralise formula cells', () => {
  let h: Harness;
  // Fields are trimmed on the way in, so leading tabs and carriage returns never reach a stored name;
  // the unit tests cover those two.
  const FORMULAS = ["=cmd|' /C calc'!A0", '@SUM(1+1)', '+1+2', '-3+4'];
  beforeAll(async () => {
    h = await openHarness('sqlite');
    const departments = FORMULAS.map((department, i) => ({ id: i + 1, department }));
    expect((await h.postJson('/api/v1/departments/batch', departments)).body.inserted).toBe(FORMULAS.length);
    expect((await h.postJson('/api/v1/jobs/batch', [{ id: 1, job: '=HYPERLINK("http://evil.example")' }])).body.inserted).toBe(1);
    const hires = FORMULAS.map((_, i) => ({ id: i + 1, name: 'A', datetime: '2021-02-01T00:00:00Z', department_id: i + 1, job_id: 1 }));
    hires.push({ id: 100, name: 'B', datetime: '2021-02-01T00:00:00Z', department_id: 1, job_id: 1 });
    expect((await h.postJson('/api/v1/hired-employees/batch', hires)).body.inserted).toBe(hires.length);
    const file = "=1+2,Sales\n@SUM(1),Ops\n-5,Legal\n+7,\"=cmd|' /C calc'!A0\"\n";
    expect((await h.request('/api/v1/files/departments_evil.csv', { method: 'PUT', body: file })).status).toBe(202);
    h.startLoader({ pollBlob: false });
    await h.settle(1);
  });
  afterAll(async () => {
    await h.close();
  });

  const cells = (csv: string) => csv.split(/\n/).slice(1).join('\n');

  it('hired-by-quarter and hiring-above-average CSV prefix every formula cell with a quote; raw=true keeps them', async () => {
    const quarter = await h.get('/api/v1/reports/hired-by-quarter?format=csv');
    expect(quarter.status).toBe(200);
    for (const f of FORMULAS) expect(quarter.text).toContain(f.includes('"') || /[\r,]/.test(f) ? `"'${f.replaceAll('"', '""')}"` : `'${f}`);
    expect(quarter.text).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    for (const line of quarter.text.trim().split('\n').slice(1)) expect(line, line).toMatch(/^("?')/);

    const above = await h.get('/api/v1/reports/hiring-above-average?format=csv');
    expect(above.text).toContain(`1,'=cmd|' /C calc'!A0,2`);

    const raw = await h.get('/api/v1/reports/hired-by-quarter?format=csv&raw=true');
    expect(raw.text).toContain(`"=HYPERLINK(""http://evil.example"")"`);
    expect(raw.text).toContain('@SUM(1+1)');
    expect(raw.text).not.toContain("'@SUM");
    expect(raw.headers.get('etag')).not.toBe(quarter.headers.get('etag'));
    expect((await h.get('/api/v1/reports/hired-by-quarter?format=csv&raw=maybe')).status).toBe(400);
  });

  it('rejects CSV prefixes formula ids and raw text; raw=true keeps them', async () => {
    const [task] = (await h.get('/api/v1/tasks')).body.tasks;
    expect(task.summary.rejected).toBe(4);
    const csv = await h.get(`/api/v1/tasks/${task.id}/rejects?format=csv`);
    expect(csv.status).toBe(200);
    const body = cells(csv.text);
    expect(body).toContain(`,'=1+2,`);
    expect(body).toContain(`"'=1+2,Sales"`);
    expect(body).toContain(`"'@SUM(1),Ops"`);
    expect(body).toContain(`"'-5,Legal"`);
    expect(body).not.toMatch(/(^|\n)[^\n]*,[=+\-@]/);
    const raw = await h.get(`/api/v1/tasks/${task.id}/rejects?format=csv&raw=true`);
    expect(cells(raw.text)).toContain(`"=1+2,Sales"`);
    expect(cells(raw.text)).not.toContain(`'=`);
  });
});
