// Concurrent batch writers: 16 clients post 1000-row hired_employees batches with overlapping ids, in
// shuffled order, at the same time, to a real `hiredb serve`. Every answer is 2xx, every row is inserted
// exactly once, every answer adds up, and no deadlock — on PostgreSQL as on SQLite.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_TEST_URL } from '../helpers/databases.ts';
import { http, startServer, tempHome, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { withOptions } from '../helpers/private-postgres.ts';
import BetterSqlite3 from 'better-sqlite3';

const CLIENTS = 16;
const ROWS = 1000;
const POOL = 3000; // each client draws its 1000 ids from 1..3000: every batch overlaps every other

const hire = (id: number) => ({
  id,
  name: `Person ${id}`,
  datetime: `2021-${String(1 + (id % 12)).padStart(2, '0')}-01T00:00:00Z`,
  department_id: 1 + (id % 5),
  job_id: 1 + (id % 7),
});

/** A seeded shuffle, so each client sends its ids in a different order. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Client c's ids: 1000 distinct ids drawn from the pool, in an order of its own. */
const idsOf = (c: number) => shuffled(Array.from({ length: POOL }, (_, k) => k + 1), 7 * c + 3).slice(0, ROWS);
const ALL_IDS = [...new Set(Array.from({ length: CLIENTS }, (_, c) => idsOf(c)).flat())].sort((a, b) => a - b);
const DISTINCT = ALL_IDS.length;

function expectedDigest(): string {
  const rows = ALL_IDS.map(hire).map((h) => `${h.id}|${h.name}|${h.department_id}|${h.job_id}`);
  return createHash('md5').update(rows.join('\n')).digest('hex');
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function post(server: RunningServer, path: string, body: unknown) {
  return http(`${server.url}/api/v1/${path}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
}

async function writeConcurrently(server: RunningServer) {
  expect((await post(server, 'departments', Array.from({ length: 5 }, (_, i) => ({ id: i + 1, department: `D${i + 1}` })))).status).toBe(200);
  expect((await post(server, 'jobs', Array.from({ length: 7 }, (_, i) => ({ id: i + 1, job: `J${i + 1}` })))).status).toBe(200);
  const batches = Array.from({ length: CLIENTS }, (_, c) => idsOf(c).map(hire));
  const answers = await Promise.all(batches.map((rows) => post(server, 'hired-employees', rows)));
  const failed = answers.filter((a) => a.status !== 200);
  expect(failed.map((a) => `${a.status} ${a.text.slice(0, 200)}`)).toEqual([]);
  for (const a of answers) {
    expect(a.body.processed).toBe(ROWS);
    expect(a.body.rejected).toBe(0);
    expect(a.body.inserted + a.body.already_exists + a.body.rejected).toBe(a.body.processed);
  }
  expect(answers.reduce((n, a) => n + a.body.inserted, 0)).toBe(DISTINCT);
}

describe.each(['postgres', 'sqlite'] as const)('16 concurrent batch writers with overlapping ids on %s', (kind) => {
  it('all answer 200, every row is inserted exactly once, every answer adds up', async () => {
    let home: TempHome;
    let stored: () => Promise<{ n: number; digest: string }>;
    if (kind === 'postgres') {
      const schema = `t_conc_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Pool({ connectionString: PG_TEST_URL, max: 1 });
      admin.on('error', () => {});
      cleanups.push(() => admin.end());
      await admin.query(`CREATE SCHEMA ${schema}`);
      cleanups.push(() => admin.query(`DROP SCHEMA ${schema} CASCADE`));
      home = await tempHome({ DATABASE_URL: withOptions(PG_TEST_URL, `-c search_path=${schema}`) });
      stored = async () =>
        (
          await admin.query(`SELECT COUNT(*)::int AS n,
            md5(string_agg(id || '|' || name || '|' || department_id || '|' || job_id, E'\\n' ORDER BY id)) AS digest
            FROM ${schema}.hired_employees`)
        ).rows[0];
    } else {
      home = await tempHome();
      stored = async () => {
        const db = new BetterSqlite3(home.dbFile, { readonly: true });
        try {
          const rows = db.prepare('SELECT id, name, department_id, job_id FROM hired_employees ORDER BY id').all() as Record<string, unknown>[];
          const text = rows.map((r) => `${r.id}|${r.name}|${r.department_id}|${r.job_id}`).join('\n');
          return { n: rows.length, digest: createHash('md5').update(text).digest('hex') };
        } finally {
          db.close();
        }
      };
    }
    cleanups.push(() => home.cleanup());
    const server = await startServer(['serve', '--no-loader'], { env: home.env, cwd: home.dir });
    cleanups.push(() => server.stop());
    await writeConcurrently(server);
    expect(await stored()).toEqual({ n: DISTINCT, digest: expectedDigest() });
    expect(server.child.exitCode).toBeNull();
  });
});
