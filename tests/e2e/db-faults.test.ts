// Database faults under a real `hiredb serve` (HTTP + loader) on a private PostgreSQL cluster that the
// tests stop, kill -9, restart, black-hole (a TCP proxy that keeps sockets open but drops every byte) and
// flood with pg_terminate_backend. Whatever happens, the server stays up, /health says what is down, and
// every load ends exactly once with exact tables and summary.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { http, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { startPrivatePostgres, withOptions, type PrivatePostgres } from '../helpers/private-postgres.ts';
import { startProxy, type Proxy } from '../helpers/tcp-proxy.ts';

const DEPARTMENTS = 6;
const JOBS = 20;
const HIRES = 40_000;
const LEASE_MS = 2_000;

const departments = Array.from({ length: DEPARTMENTS }, (_, i) => `${i + 1},Department ${i + 1}`).join('\n') + '\n';
const jobs = Array.from({ length: JOBS }, (_, i) => `${i + 1},Job ${i + 1}`).join('\n') + '\n';

/** Every 100th record is rejected (unknown department); the others are inserted. */
const hireLine = (i: number) =>
  `${i},Person ${i},2021-${String(1 + (i % 12)).padStart(2, '0')}-15T10:00:00Z,${i % 100 === 0 ? 99 : 1 + (i % DEPARTMENTS)},${1 + (i % JOBS)}`;
const hiredText = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => hireLine(from + k)).join('\n') + '\n';

/** The rows a complete load of hires from..to leaves, as one digest. */
function expectedDigest(to: number): { count: number; digest: string } {
  const rows: string[] = [];
  for (let i = 1; i <= to; i++) {
    if (i % 100 === 0) continue;
    rows.push(`${i}|Person ${i}|${1 + (i % DEPARTMENTS)}|${1 + (i % JOBS)}`);
  }
  return { count: rows.length, digest: createHash('md5').update(rows.join('\n')).digest('hex') };
}

let pg: PrivatePostgres;
const servers: RunningServer[] = [];
const homes: TempHome[] = [];
const proxies: Proxy[] = [];

beforeAll(async () => {
  pg = await startPrivatePostgres();
}, 60_000);

afterEach(async () => {
  await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
  await Promise.allSettled(proxies.splice(0).map((p) => p.close()));
  await Promise.allSettled(homes.splice(0).map((h) => h.cleanup()));
  if (!pg.running) await pg.start();
});

afterAll(async () => {
  await pg?.destroy();
});

interface Setup {
  server: RunningServer;
  home: TempHome;
  schema: string;
  q: <T = Record<string, any>>(sql: string, values?: unknown[]) => Promise<T[]>;
}

/** A fresh schema and a `hiredb serve` on it (through `via` when given), short leases and timeouts. */
async function serve(files: Record<string, string>, via?: (url: string) => Promise<string>): Promise<Setup> {
  const schema = `t_${randomBytes(5).toString('hex')}`;
  await pg.query(`CREATE SCHEMA ${schema}`);
  const url = withOptions(via ? await via(pg.url) : pg.url, `-c search_path=${schema}`);
  const home = await tempHome({
    DATABASE_URL: url,
    LOAD_LEASE_MS: String(LEASE_MS),
    BATCH_SIZE: '250',
    // A commit per batch: the faults below are timed against a load of many small commits.
    LOAD_COMMIT_ROWS: '250',
    HIREDB_RETRY_ATTEMPTS: '3',
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    DATABASE_STATEMENT_TIMEOUT_MS: '2000',
  });
  homes.push(home);
  await mkdir(home.blobDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(home.blobDir, name), text);
  const server = await startServer(['serve'], { env: home.env, cwd: home.dir });
  servers.push(server);
  const q = <T,>(sql: string, values?: unknown[]) => pg.query<T>(sql.replaceAll('$schema', schema), values);
  return { server, home, schema, q };
}

const ALL_FILES = { 'departments.csv': departments, 'jobs.csv': jobs, 'hired_employees.csv': hiredText(1, HIRES) };

/** The hired_employees task's progress, read straight from the private cluster (not through any proxy). */
async function hiredTask(s: Setup) {
  const rows = await s
    .q<{ status: string; line: number; attempts: number; lease_expires_at: number | null; error: string | null }>(
      `SELECT status, checkpoint_line::int AS line, attempts, lease_expires_at::float8 AS lease_expires_at, error
       FROM $schema.tasks WHERE table_name = 'hired_employees'`,
    )
    .catch(() => []);
  return rows[0];
}

const waitForLine = (s: Setup, line: number) =>
  waitFor(`the hired_employees task past line ${line}`, async () => ((await hiredTask(s))?.line >= line ? true : undefined), 60_000, 20);

/** Every task done exactly once, hired_employees' summary and rows exact, and the server still up. */
async function expectExactEnd(s: Setup, hires = HIRES, tasks = 3) {
  const all = await waitFor(
    'every task to end',
    async () => {
      expect(s.server.child.exitCode, `hiredb serve exited:\n${s.server.output().stderr}`).toBeNull();
      const rows = await s.q<{ status: string }>(`SELECT status FROM $schema.tasks`);
      return rows.length === tasks && rows.every((r) => r.status === 'done' || r.status === 'failed') ? rows : undefined;
    },
    90_000,
    100,
  );
  expect(all.map((t) => t.status)).toEqual(Array(tasks).fill('done'));
  const summary = await s.q(
    `SELECT SUM(processed)::int AS processed, SUM(inserted)::int AS inserted, SUM(already_exists)::int AS already_exists,
       SUM(rejected)::int AS rejected FROM $schema.tasks WHERE table_name = 'hired_employees'`,
  );
  const rejected = Math.floor(hires / 100);
  expect(summary[0]).toEqual({ processed: hires, inserted: hires - rejected, already_exists: 0, rejected });
  const [stored] = await s.q<{ n: number; digest: string }>(
    `SELECT COUNT(*)::int AS n, md5(string_agg(id || '|' || name || '|' || department_id || '|' || job_id, E'\\n' ORDER BY id)) AS digest
     FROM $schema.hired_employees`,
  );
  const expected = expectedDigest(hires);
  expect(stored).toEqual({ n: expected.count, digest: expected.digest });
  const [rejects] = await s.q(`SELECT COUNT(*)::int AS n FROM $schema.task_rejects`);
  expect(rejects.n).toBe(rejected);
  expect(s.server.child.exitCode).toBeNull();
}

const health = async (s: Setup) => http(`${s.server.url}/health`);

describe('hiredb serve on a PostgreSQL that goes away', { timeout: 180_000 }, () => {
  it('outage while idle: the server stays up, /health answers 503 naming the database, then 200, and the next file loads', async () => {
    const s = await serve({ 'departments.csv': departments, 'jobs.csv': jobs });
    await waitFor('the dimension loads', async () => ((await s.q(`SELECT 1 FROM $schema.tasks WHERE status = 'done'`)).length === 2 ? true : undefined));
    await pg.stop();
    const down = await waitFor('/health to report the database down', async () => {
      const res = await health(s);
      return res.status === 503 ? res : undefined;
    });
    expect(down.body).toEqual({ status: 'unavailable', database: 'down', blob: 'ok' });
    expect(down.text).not.toContain(s.home.blobDir);
    expect(down.text).not.toContain(String(pg.port));
    // A batch that cannot reach the database after its retries: 503, Retry-After, code TRANSIENT.
    const batch = await http(`${s.server.url}/api/v1/departments/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 100, department: 'Late' }]),
    });
    expect(batch.status).toBe(503);
    expect(batch.headers.get('retry-after')).toBe('5');
    expect(batch.body.error.code).toBe('TRANSIENT');
    expect(batch.text).not.toContain(String(pg.port));
    // The loader keeps polling and claiming through the outage.
    await waitFor('the loader to fail a few polls', async () =>
      (s.server.output().stderr.match(/polling the Blob container failed|claiming a task failed/g) ?? []).length >= 2 ? true : undefined,
    );
    expect(s.server.child.exitCode).toBeNull();
    await pg.start();
    const up = await waitFor('/health to answer 200', async () => {
      const res = await health(s);
      return res.status === 200 ? res : undefined;
    });
    expect(up.body).toEqual({ status: 'ok', database: 'postgres', blob: 'ok' });
    await writeFile(join(s.home.blobDir, 'hired_employees.csv'), hiredText(1, 5_000));
    await expectExactEnd(s, 5_000);
  });

  it('outage mid-load (refused for many lease periods): the server survives, and the task completes once the database is back', async () => {
    const s = await serve(ALL_FILES);
    await waitForLine(s, 5_000);
    await pg.stop();
    // Long enough for the load's retries to run out and for several claims to fail.
    await waitFor('the load to give up and claims to fail', async () => {
      const err = s.server.output().stderr;
      return /task interrupted/.test(err) && (err.match(/claiming a task failed/g) ?? []).length >= 3 ? true : undefined;
    }, 60_000);
    expect(s.server.child.exitCode, s.server.output().stderr).toBeNull();
    expect((await health(s)).status).toBe(503);
    await pg.start();
    await expectExactEnd(s);
    expect((await health(s)).status).toBe(200);
  });

  it('restart mid-load (kill -9, then start): the task resumes from its checkpoint and completes', async () => {
    const s = await serve(ALL_FILES);
    await waitForLine(s, 5_000);
    await pg.kill();
    await pg.start();
    await expectExactEnd(s);
  });

  it('half-open connections (live sockets fall silent, new ones refused for a while): detected, and the task completes', async () => {
    let proxy!: Proxy;
    const s = await serve(ALL_FILES, async (url) => {
      proxy = await startProxy(new URL(url));
      proxies.push(proxy);
      return proxy.url;
    });
    await waitForLine(s, 5_000);
    proxy.blackHole();
    expect(proxy.stats.blackHoled).toBeGreaterThan(0);
    // While the network is silent the task's commits cannot proceed: it stops renewing its lease.
    await waitFor('the lease to lapse', async () => {
      const t = await hiredTask(s);
      return t.status === 'running' && t.lease_expires_at! < Date.now() ? true : undefined;
    }, 30_000);
    await waitFor('reconnections to be refused', async () => (proxy.stats.refused >= 3 ? true : undefined), 30_000);
    const before = (await hiredTask(s)).line;
    proxy.restore(); // new connections work again; the silent ones stay silent
    await expectExactEnd(s);
    expect(before).toBeLessThan(HIRES);
    expect(proxy.stats.droppedBytes).toBeGreaterThan(0);
  });

  it('connection storm (pg_terminate_backend in a loop): every load completes exactly once', async () => {
    const s = await serve(ALL_FILES);
    await waitForLine(s, 2_000);
    let killed = 0;
    let storming = true;
    const storm = (async () => {
      while (storming && killed < 40) {
        const at = (await hiredTask(s))?.line ?? 0;
        const rows = await pg
          .query<{ t: boolean }>(
            `SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()`,
          )
          .catch(() => []);
        killed += rows.filter((r) => r.t).length;
        // The next cut once the load has committed again after this one: the storm keeps the load's pace.
        await waitFor('a commit after the cut', async () => {
          const t = await hiredTask(s);
          return !storming || !t || t.line > at || t.status !== 'running' ? true : undefined;
        }, 90_000, 20);
      }
    })();
    try {
      await waitFor('the hired task to end', async () => {
        const t = await hiredTask(s);
        return t?.status === 'done' || t?.status === 'failed' ? true : undefined;
      }, 90_000);
    } finally {
      storming = false;
      await storm;
    }
    expect(killed, "connections the storm cut while the load ran").toBeGreaterThan(10);
    await expectExactEnd(s);
  });
});
