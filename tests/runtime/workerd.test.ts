import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../shared/adapters/db/postgres.database.ts';
import { PG_TEST_URL } from '../helpers/databases.ts';
import { REPO_DIR } from '../helpers/processes.ts';
import { buildEdge } from '../../worker/entry/build-edge.ts';
import { runSmoke } from './smoke-requests.ts';
import { prepareSmokeFixture, type SmokeFixture } from './setup.ts';
import { startWorkerdServer, type RunningWorkerd } from './workerd-process.ts';

describe('the smoke list on workerd (the edge bundle, PostgreSQL + Azurite)', () => {
  let fixture: SmokeFixture;
  let server: RunningWorkerd;

  beforeAll(async () => {
    await buildEdge();
    fixture = await prepareSmokeFixture();
    server = await startWorkerdServer(fixture.env);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await fixture?.cleanup();
  });

  it('answers every request of every round as expected, each on its own connection', async () => {
    const steps = await runSmoke(server.url, fixture, { runtime: 'workerd' });
    expect(steps.length).toBeGreaterThanOrEqual(30);
  }, 60_000);

  it('serves requests in flight at the same time, each on its own connection', async () => {
    const get = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${fixture.keys.read}` } }).then((r) => r.status);
    const paths = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? '/health' : i % 3 === 1 ? '/api/v1/tasks' : '/api/v1/reports/hiring-above-average?year=2021'));
    expect(await Promise.all(paths.map(get))).toEqual(paths.map(() => 200));
  }, 60_000);

  it('stores an upload larger than one staged block (4 MiB) whole, in Azure Blob', async () => {
    const lines = Array.from({ length: 400_000 }, (_, i) => `${i + 1},Department number ${i + 1}\n`).join('');
    const res = await fetch(`${server.url}/api/v1/files/departments-large.csv`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${fixture.keys.ingest}`, 'content-type': 'text/csv' },
      body: lines,
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const size = Buffer.byteLength(lines);
    expect(size).toBeGreaterThan(2 * 4 * 1024 * 1024);
    expect(((await res.json()) as { file: { size: number } }).file.size).toBe(size);
    const container = BlobServiceClient.fromConnectionString(fixture.env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(fixture.env.AZURE_BLOB_CONTAINER);
    const stored = await container.getBlobClient('departments-large.csv').downloadToBuffer();
    expect(stored.toString('utf8') === lines).toBe(true);
  }, 60_000);

  it('queues the new files of the Blob container on a scheduled event, once per file version', async () => {
    const container = BlobServiceClient.fromConnectionString(fixture.env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(fixture.env.AZURE_BLOB_CONTAINER);
    await container.getBlockBlobClient('jobs-scheduled.csv').upload('1,Scheduled\n', 12);
    const tasksOf = async () => {
      const res = await fetch(`${server.url}/api/v1/tasks?limit=1000`, { headers: { authorization: `Bearer ${fixture.keys.read}` } });
      return ((await res.json()) as { tasks: { id: number; file: string; status: string }[] }).tasks.filter((t) => t.file === 'jobs-scheduled.csv');
    };
    expect(await tasksOf()).toEqual([]);

    const first = await fetch(`${server.schedulerUrl}?cron=*/5+*+*+*+*`, { method: 'POST' });
    expect(first.status, server.output()).toBe(200);
    const queued = await tasksOf();
    expect(queued).toMatchObject([{ file: 'jobs-scheduled.csv', status: 'queued' }]);

    const second = await fetch(server.schedulerUrl, { method: 'POST' });
    expect(second.status).toBe(200);
    expect(await tasksOf()).toEqual(queued);
    expect(server.output()).toContain('scheduled poll of the Blob container');
  }, 60_000);
});

describe('workerd on a database that is not migrated', () => {
  it('answers 500 naming `hiredb migrate` until the database is migrated, then serves without a restart', async () => {
    const fixture = await prepareSmokeFixture({ rounds: 0 });
    const name = `hiredb_bare_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(PG_TEST_URL);
    url.pathname = `/${name}`;
    let server: RunningWorkerd | undefined;
    try {
      await buildEdge();
      // /health is a 503 on a database without tables: the dashboard, which needs no database, says it is up.
      server = await startWorkerdServer({ ...fixture.env, DATABASE_URL: url.toString() }, { ready: '/' });
      const refused = await fetch(`${server.url}/api/v1/tasks`, { headers: { authorization: `Bearer hdb_${'A'.repeat(43)}` } });
      expect(refused.status).toBe(500);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/lacks migrations 001_.*hiredb migrate/);

      const db = await openPostgresDatabase(url.toString(), { poolSize: 1 });
      await db.migrate();
      await db.close();
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
    } finally {
      await server?.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await fixture.cleanup();
    }
  }, 60_000);
});

describe('npm run serve:workerd', () => {
  const serve = (env: Record<string, string>) =>
    new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, ['bin/run-ts.mjs', 'worker/entry/serve-workerd.ts'], { cwd: REPO_DIR, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, _stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stderr });
      });
    });

  it('refuses a DATABASE_URL that is not PostgreSQL, saying so, before building or starting anything', async () => {
    const run = await serve({ DATABASE_URL: 'sqlite:var/hiredb.sqlite', AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
  }, 30_000);

  it('refuses to start without Azure Blob settings, naming AZURE_STORAGE_CONNECTION_STRING', async () => {
    const run = await serve({ DATABASE_URL: PG_TEST_URL });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/AZURE_STORAGE_CONNECTION_STRING is not set/);
  }, 30_000);

  it('refuses a PORT that is not a port number', async () => {
    const run = await serve({ DATABASE_URL: PG_TEST_URL, AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', PORT: '80000' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/PORT="80000" must be an integer from 0 to 65535/);
  }, 30_000);
});
