// The smoke list on Deno: worker/entry/deno.ts started for real by the Deno binary of the `deno`
// devDependency, with HireDB's permissions, on PostgreSQL + Azurite and on the SQLite + local folder
// defaults (node:sqlite there), the loader in the same process.
import { request } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../shared/adapters/db/sqlite.database.ts';
import { DENO_PERMISSIONS, startDeno } from '../../worker/entry/serve-deno.ts';
import { REPO_DIR, waitFor } from '../helpers/processes.ts';
import { DEFAULT_ROUNDS, prepareSmokeFixture, seedSmokeDatabase, type SmokeFixture, type SmokeKeys } from './setup.ts';
import { runSmoke } from './smoke-requests.ts';
import { startDenoServer, type RunningDeno } from './deno-process.ts';

/** Every uploaded smoke file's task, once the loader in the Deno process has finished them all. */
async function smokeUploadsLoaded(url: string, key: string) {
  return waitFor(
    'the smoke uploads loaded by the loader on Deno',
    async () => {
      const res = await fetch(`${url}/api/v1/tasks?limit=1000`, { headers: { authorization: `Bearer ${key}` } });
      const { tasks } = (await res.json()) as { tasks: { file: string; status: string; summary: { processed: number; already_exists: number } }[] };
      const uploads = tasks.filter((t) => t.file.startsWith('departments-smoke-'));
      return uploads.length === DEFAULT_ROUNDS && uploads.every((t) => t.status === 'done') ? uploads : undefined;
    },
    30_000,
  );
}

describe('the smoke list on Deno (worker/entry/deno.ts, PostgreSQL + Azurite)', () => {
  let fixture: SmokeFixture;
  let server: RunningDeno;

  beforeAll(async () => {
    fixture = await prepareSmokeFixture();
    server = await startDenoServer({ ...fixture.env, LOAD_SCHEDULE: '*/1 * * * * *' });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await fixture?.cleanup();
  });

  it('answers every request of every round as expected, and its loader loads the uploads', async () => {
    const steps = await runSmoke(server.url, fixture, { runtime: 'deno' });
    expect(steps.length).toBeGreaterThanOrEqual(30);
    // Each upload holds the row its round's batch inserted: loaded, it finds that row there.
    const uploads = await smokeUploadsLoaded(server.url, fixture.keys.read);
    expect(uploads.map((t) => t.summary)).toEqual(uploads.map(() => expect.objectContaining({ processed: 1, already_exists: 1 })));
    expect(server.output()).toContain('"database":"postgres"');
  }, 90_000);

  it('stops on SIGTERM as hiredb serve does: exit 0, after "stopped"', async () => {
    expect(await server.stop()).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/"msg":"stopping","signal":"SIGTERM"[\s\S]*"msg":"stopped"/);
  }, 30_000);
});

describe('the smoke list on Deno with the defaults: SQLite on node:sqlite under var/, the local Blob folder', () => {
  let dir: string;
  let keys: SmokeKeys;
  let failedTaskIds: number[];
  let server: RunningDeno;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiredb-deno-'));
    // The database the Deno process will find at its default place, with keys and failed tasks to retry
    // (written here by better-sqlite3: the same file format node:sqlite reads).
    const db = openSqliteDatabase(join(dir, 'var', 'hiredb.sqlite'));
    try {
      ({ keys, failedTaskIds } = await seedSmokeDatabase(db));
    } finally {
      await db.close();
    }
    server = await startDenoServer({ LOAD_SCHEDULE: '*/1 * * * * *' }, { cwd: dir });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers every request of every round as expected, and its loader loads the uploads from var/blob', async () => {
    const steps = await runSmoke(server.url, { keys, failedTaskIds }, { runtime: 'deno (sqlite)' });
    expect(steps.length).toBeGreaterThanOrEqual(30);
    const uploads = await smokeUploadsLoaded(server.url, keys.read);
    expect(uploads.map((t) => t.summary)).toEqual(uploads.map(() => expect.objectContaining({ processed: 1, already_exists: 1 })));
    expect(await readFile(join(dir, 'var', 'blob', 'departments-smoke-1.csv'), 'utf8')).toBe('9001,Smoke 1\n');
    expect(server.output()).toContain('"database":"sqlite"');
  }, 90_000);
});

describe('Deno.serve under the limits of hiredb serve', () => {
  let dir: string;
  let server: RunningDeno;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiredb-deno-limits-'));
    server = await startDenoServer({ HIREDB_BODY_MIN_RATE: '1000', HIREDB_BODY_RATE_WINDOW_MS: '600' }, { cwd: dir, args: ['--no-loader'] });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers 408 to an upload whose body comes slower than HIREDB_BODY_MIN_RATE, and stores nothing', async () => {
    const url = new URL('/api/v1/files/departments-slow.csv', server.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'PUT', headers: { 'content-type': 'text/csv', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.write('1,');
      let sent = 0;
      // A byte every 200 ms: 5 bytes/s, far below the 1000 required.
      const drip = setInterval(() => (++sent > 100 ? (clearInterval(drip), req.end()) : req.write('x')), 200);
      req.on('close', () => clearInterval(drip));
    });
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error.code).toBe('REQUEST_TIMEOUT');
    expect(server.output()).toContain('request body too slow: cut off');
    const tasks = (await (await fetch(`${server.url}/api/v1/tasks`)).json()) as { total: number };
    expect(tasks.total).toBe(0);
    expect((await readdir(join(dir, 'var', 'blob')).catch(() => [])).filter((f) => !f.startsWith('.'))).toEqual([]);
  }, 30_000);

  it('takes an upload at a normal pace, whatever its size', async () => {
    const body = Array.from({ length: 50_000 }, (_, i) => `${i + 1},Department ${i + 1}\n`).join('');
    const res = await fetch(`${server.url}/api/v1/files/departments-fast.csv`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body });
    expect(res.status, await res.clone().text()).toBe(202);
    expect(await readFile(join(dir, 'var', 'blob', 'departments-fast.csv'), 'utf8')).toBe(body);
  }, 30_000);
});

describe('stopping Deno mid-upload', () => {
  it('lets the grace period pass, cuts the upload off (nothing stored, no task) and exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hiredb-deno-stop-'));
    const server = await startDenoServer({ HIREDB_BODY_MIN_RATE: '0' }, { cwd: dir, args: ['--no-loader'] });
    try {
      const req = request(new URL('/api/v1/files/departments-cut.csv', server.url), { method: 'PUT', headers: { 'content-type': 'text/csv', 'transfer-encoding': 'chunked' } });
      req.on('error', () => {}); // the server cuts it off
      req.on('response', (res) => res.resume());
      let line = 0;
      const drip = setInterval(() => req.write(`${++line},Department ${line}\n`), 20);
      try {
        await waitFor('the upload under way', async () => (line > 10 ? true : undefined));
        const started = Date.now();
        const ended = await server.stop();
        expect(ended).toEqual({ code: 0, signal: null });
        expect(Date.now() - started).toBeGreaterThanOrEqual(9_000); // the grace period of requests in flight
      } finally {
        clearInterval(drip);
        req.destroy();
      }
      expect(server.output()).toMatch(/"msg":"stopped"/);
      expect((await readdir(join(dir, 'var', 'blob'))).filter((f) => f.includes('departments-cut'))).toEqual([]);
      const db = openSqliteDatabase(join(dir, 'var', 'hiredb.sqlite'));
      try {
        expect((await db.tasks.list({ limit: 10, offset: 0 })).total).toBe(0);
      } finally {
        await db.close();
      }
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Deno start-up refusals, as hiredb serve', () => {
  /** Runs the Deno entry to its end; resolves with its exit code and output. */
  const runToEnd = (env: Record<string, string>, args: string[] = []) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = startDeno({ env, args, cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
      child.once('exit', (code) => resolve({ code, output }));
    });

  it('stops with exit 1 and a message naming the setting or option that is wrong', async () => {
    const badPort = await runToEnd({ PORT: 'eighty' });
    expect(badPort.code).toBe(1);
    expect(badPort.output).toMatch(/^hiredb: .*PORT/m);
    const badOption = await runToEnd({ DATABASE_URL: 'sqlite::memory:' }, ['--lodaer']);
    expect(badOption.code).toBe(1);
    expect(badOption.output).toMatch(/hiredb: .*--lodaer[\s\S]*usage: worker\/entry\/deno\.ts/);
  }, 60_000);

  it('refuses a non-loopback HOST while no API key exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hiredb-deno-open-'));
    try {
      const open = await runToEnd({ HOST: '0.0.0.0', PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'h.sqlite')}`, BLOB_DIR: join(dir, 'blob') });
      expect(open.code).toBe(1);
      expect(open.output).toMatch(/hiredb: .*API key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('deno.json', () => {
  it('its tasks run worker/entry/deno.ts with the permissions serve:deno uses, and no others', async () => {
    const config = JSON.parse(await readFile(join(REPO_DIR, 'deno.json'), 'utf8')) as { nodeModulesDir: string; tasks: Record<string, string> };
    expect(config.nodeModulesDir).toBe('manual');
    expect(Object.keys(config.tasks).length).toBeGreaterThan(0);
    for (const [name, task] of Object.entries(config.tasks)) {
      const words = task.split(/\s+/);
      expect(words.slice(0, 2), name).toEqual(['deno', 'run']);
      expect(words.filter((w) => w.startsWith('--allow-')), name).toEqual(DENO_PERMISSIONS);
      expect(words, name).toContain('worker/entry/deno.ts');
    }
  });
});
