// `hiredb serve --sample` as a real process on an empty temporary Blob folder: the sample is seeded, the
// loader picks it up on its schedule, and the reports over real HTTP equal the independent computation.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { http, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { expectedSample, normaliseRejects, type Table } from '../helpers/sample.ts';

const expected = expectedSample();
let home: TempHome;
let server: RunningServer;
let startedAt: number;

beforeAll(async () => {
  // LOAD_CONCURRENCY above the number of files: with 2 slots a cron tick that lands while both dimension
  // files load can stall the loader for good (the fill() bug pinned in tests/api/loader-idle.test.ts).
  home = await tempHome({ LOAD_CONCURRENCY: '4' });
  startedAt = Date.now();
  server = await startServer(['serve', '--sample'], { env: home.env, cwd: home.dir });
});
afterAll(async () => {
  await server?.stop();
  await home?.cleanup();
});

/** The three sample tasks once they are done; each test that reads loaded data waits for it itself. */
const sampleTasksDone = (timeoutMs: number) =>
  waitFor(
    'the three sample tasks to be done',
    async () => {
      const res = await http(`${server.url}/api/v1/tasks`);
      const list = res.body.tasks as { status: string }[];
      return list.length === 3 && list.every((t) => t.status === 'done') ? list : undefined;
    },
    timeoutMs,
    200,
  );

it('seeds the empty Blob folder and finishes the three tasks within 15 s', async () => {
  expect(readdirSync(home.blobDir).sort()).toEqual(['departments.csv', 'hired_employees.csv', 'jobs.csv']);
  const tasks = await sampleTasksDone(15_000 - (Date.now() - startedAt));
  for (const t of tasks as unknown as { table: Table; summary: object }[]) {
    const e = expected.files[t.table];
    expect(t.summary).toEqual({ processed: e.processed, inserted: e.inserted, already_exists: e.already_exists, rejected: e.rejected });
  }
});

it('serves both reports over HTTP equal to the independent computation', async () => {
  await sampleTasksDone(30_000);
  const q = await http(`${server.url}/api/v1/reports/hired-by-quarter?year=2021`);
  expect(q.status).toBe(200);
  expect(q.body).toStrictEqual(expected.hiredByQuarter2021);
  const a = await http(`${server.url}/api/v1/reports/hiring-above-average`);
  expect(a.body).toStrictEqual(expected.hiringAboveAverage2021);
  expect((await http(`${server.url}/report/hired-by-quarter`)).body).toStrictEqual(expected.hiredByQuarter2021);
  expect((await http(`${server.url}/report/hiring-above-average`)).body).toStrictEqual(expected.hiringAboveAverage2021);
});

it('answers 304 to a matching If-None-Match over HTTP', async () => {
  const first = await http(`${server.url}/api/v1/reports/hiring-above-average`);
  const etag = first.headers.get('etag');
  expect(etag).toBeTruthy();
  const again = await http(`${server.url}/api/v1/reports/hiring-above-average`, { headers: { 'if-none-match': etag! } });
  expect(again.status).toBe(304);
});

it('keeps the rejected sample records with their lines and reasons', async () => {
  await sampleTasksDone(30_000);
  const { tasks } = (await http(`${server.url}/api/v1/tasks`)).body;
  const hired = tasks.find((t: { table: string }) => t.table === 'hired_employees');
  const res = await http(`${server.url}/api/v1/tasks/${hired.id}/rejects?limit=1000`);
  expect(normaliseRejects(res.body.rejects)).toEqual(expected.files.hired_employees.rejects);
});
