// A task's life through the real HTTP server and the real loader in one `hiredb serve` process:
// PUT a file over HTTP, then watch /api/v1/tasks/:id go queued → running (with progress) → done.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { http, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';
import { expectedSample, Model, normaliseRejects, SAMPLE_FILES } from '../helpers/sample.ts';

let home: TempHome;
let server: RunningServer;

beforeAll(async () => {
  // Small batches make a large file take long enough to be seen running.
  home = await tempHome({ BATCH_SIZE: '100' });
  server = await startServer(['serve'], { env: home.env, cwd: home.dir });
});
afterAll(async () => {
  await server?.stop();
  await home?.cleanup();
});

const put = (name: string, body: string) =>
  http(`${server.url}/api/v1/files/${name}`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body });

const waitDone = (id: number) =>
  waitFor(`task ${id} to finish`, async () => {
    const t = (await http(`${server.url}/api/v1/tasks/${id}`)).body;
    return t.status === 'done' || t.status === 'failed' ? t : undefined;
  });

/** 60 000 hires over 2021 and 2022, every 500th one without a name. */
function bigHiredFile(): string {
  const lines: string[] = [];
  for (let i = 1; i <= 60_000; i++) {
    const month = String(1 + (i % 12)).padStart(2, '0');
    const day = String(1 + (i % 28)).padStart(2, '0');
    const name = i % 500 === 0 ? '' : `Person ${i}`;
    lines.push(`${i},${name},${2021 + (i % 2)}-${month}-${day}T${String(i % 24).padStart(2, '0')}:15:00Z,${1 + (i % 12)},${1 + (i % 183)}`);
  }
  return lines.join('\n') + '\n';
}

it('an uploaded file goes queued → running → done, with progress and its summary', async () => {
  const model = new Model();
  for (const table of ['departments', 'jobs'] as const) {
    const text = readFileSync(SAMPLE_FILES[table], 'utf8');
    const res = await put(`${table}.csv`, text);
    expect(res.status).toBe(202);
    const done = await waitDone(res.body.task.id);
    const e = model.load(table, text);
    expect(done).toMatchObject({ status: 'done', summary: { processed: e.processed, inserted: e.inserted, rejected: e.rejected } });
  }

  const text = bigHiredFile();
  const expected = model.load('hired_employees', text);
  const res = await put('hired_employees_big.csv', text);
  expect(res.status).toBe(202);
  expect(res.body.task).toMatchObject({ status: 'queued', table: 'hired_employees', progress: { percent: 0 } });
  const id = res.body.task.id as number;

  const seen: { status: string; percent: number; line: number }[] = [];
  const final = await waitFor(
    `task ${id} to finish`,
    async () => {
      const t = (await http(`${server.url}/api/v1/tasks/${id}`)).body;
      seen.push({ status: t.status, percent: t.progress.percent, line: t.progress.line });
      return t.status === 'done' || t.status === 'failed' ? t : undefined;
    },
    30_000,
    10,
  );

  // Statuses only move forward: queued*, running*, done.
  const order = ['queued', 'running', 'done'];
  const ranks = seen.map((s) => order.indexOf(s.status));
  expect(ranks.every((r) => r >= 0)).toBe(true);
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  const running = seen.filter((s) => s.status === 'running');
  expect(running.length, JSON.stringify(seen.slice(0, 5))).toBeGreaterThan(0);
  // Progress is written after committed batches: it grows and stays within 0..100 while running.
  for (let i = 1; i < running.length; i++) expect(running[i].line).toBeGreaterThanOrEqual(running[i - 1].line);
  expect(running.some((s) => s.percent > 0 && s.percent < 100), JSON.stringify(running.slice(0, 5))).toBe(true);

  expect(final).toMatchObject({
    status: 'done',
    error: null,
    summary: { processed: 60_000, inserted: expected.inserted, already_exists: 0, rejected: expected.rejected },
    progress: { percent: 100, bytes_total: Buffer.byteLength(text), bytes_read: Buffer.byteLength(text) },
  });
  expect(final.timings.duration_ms).toBeGreaterThan(0);
  const rejects = await http(`${server.url}/api/v1/tasks/${id}/rejects?limit=1000`);
  expect(normaliseRejects(rejects.body.rejects)).toEqual(expected.rejects);

  // The reports see the new rows.
  const report = await http(`${server.url}/api/v1/reports/hired-by-quarter?year=2022`);
  expect(report.body).toStrictEqual(model.hiredByQuarter(2022));
});

it('the same file uploaded again loads as already_exists only (plus the same rejects)', async () => {
  // Uploaded once here (its rows may already be in from the test before), then again: the second load
  // finds every row already there.
  const text = readFileSync(SAMPLE_FILES.departments, 'utf8');
  const first = await put('departments_again.csv', text);
  expect(first.status).toBe(202);
  expect((await waitDone(first.body.task.id)).status).toBe('done');
  const res = await put('departments_again.csv', text);
  expect(res.status).toBe(202);
  expect(res.body.task.id).not.toBe(first.body.task.id);
  const done = await waitDone(res.body.task.id);
  const e = expectedSample().reload.departments;
  expect(done.summary).toEqual({ processed: e.processed, inserted: 0, already_exists: e.already_exists, rejected: e.rejected });
});

it('a bad upload name is refused over real HTTP too', async () => {
  expect((await put('..%2Fescape.csv', '1,A\n')).status).toBe(400);
  expect((await put('notes.csv', '1,A\n')).status).toBe(400);
});
