// PUT /api/v1/files/:name, GET /api/v1/tasks[/:id[/rejects]], POST /api/v1/tasks/:id/retry — in process.
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openHarness, sums, TEST_DATABASES, type Harness } from './harness.ts';
import { expectedSample, normaliseRejects } from '../helpers/sample.ts';

const put = (h: Harness, name: string, body: string | null = '1,Alpha\n2,Beta\n') =>
  h.request(`/api/v1/files/${name}`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, ...(body === null ? {} : { body }) });

describe.each(TEST_DATABASES)('%s', (kind) => {
  describe('PUT /api/v1/files/:name', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(kind);
    });
    afterEach(async () => {
      await h.close();
    });

    it('stores the body in the Blob container and answers 202 with a queued task', async () => {
      const body = '10,Research\r\n11,"Sales, North"\r\n';
      const res = await put(h, 'departments_2024.csv', body);
      expect(res.status).toBe(202);
      expect(res.body.task).toMatchObject({ file: 'departments_2024.csv', table: 'departments', status: 'queued', slice: null });
      expect(res.body.task.id).toEqual(expect.any(Number));
      expect(res.body.task.progress).toMatchObject({ bytes_total: Buffer.byteLength(body), percent: 0 });
      expect(await readFile(join(h.blobDir, 'departments_2024.csv'), 'utf8')).toBe(body);

      const task = await h.get(`/api/v1/tasks/${res.body.task.id}`);
      expect(task.status).toBe(200);
      expect(task.body).toMatchObject({ id: res.body.task.id, status: 'queued' });

      h.startLoader();
      await h.settle(1);
      const done = await h.get(`/api/v1/tasks/${res.body.task.id}`);
      expect(done.body).toMatchObject({
        status: 'done',
        summary: { processed: 2, inserted: 2, already_exists: 0, rejected: 0 },
        progress: { percent: 100, bytes_read: Buffer.byteLength(body), bytes_total: Buffer.byteLength(body) },
        error: null,
      });
      expect(done.body.timings.started_at).toEqual(expect.any(String));
      expect(done.body.timings.finished_at).toEqual(expect.any(String));
      expect(done.body.timings.duration_ms).toBeGreaterThanOrEqual(0);
      // The loader's own poll of the container found the same file version: still one task.
      expect((await h.get('/api/v1/tasks')).body.total).toBe(1);
    });

    it('a new upload under the same name is a new version and a new task, which finds the rows already there', async () => {
      h.startLoader();
      const first = await put(h, 'jobs.csv', '1,Engineer\n2,Analyst\n');
      await h.settle(1);
      await new Promise((r) => setTimeout(r, 20)); // a different modification time
      const second = await put(h, 'jobs.csv', '1,Engineer\n2,Analyst\n3,Designer\n');
      expect(second.status).toBe(202);
      expect(second.body.task.id).not.toBe(first.body.task.id);
      await h.settle(2);
      const done = await h.get(`/api/v1/tasks/${second.body.task.id}`);
      expect(done.body).toMatchObject({ status: 'done', summary: { processed: 3, inserted: 1, already_exists: 2, rejected: 0 } });
    });

    it('refuses names with .. or encoded path separators (400) and writes nothing outside the container', async () => {
      const names = [
        '..%2Fdepartments.csv',
        '..%2F..%2Fdepartments.csv',
        'departments%2F..%2Fx.csv',
        '%2E%2E%2Fjobs.csv',
        'departments%5C..%5Cx.csv',
        'departments%5Cx.csv',
        'departments..csv',
        '..departments.csv',
        'departments%00.csv',
      ];
      for (const name of names) {
        const res = await put(h, name);
        expect(res.status, name).toBe(400);
        expect(res.body.error.code, name).toEqual(expect.any(String));
      }
      expect(readdirSync(h.blobDir)).toEqual([]);
      expect(readdirSync(dirname(h.blobDir)).sort()).toEqual(readdirSync(dirname(h.blobDir)).filter((n) => !n.endsWith('.csv')).sort());
      expect((await h.get('/api/v1/tasks')).body.total).toBe(0);
    });

    it('refuses names that match no table (400)', async () => {
      for (const name of ['employees.csv', 'departments.txt', 'departments', 'report.csv', 'hired.csv']) {
        const res = await put(h, name);
        expect(res.status, name).toBe(400);
      }
      expect(readdirSync(h.blobDir)).toEqual([]);
      expect((await h.get('/api/v1/tasks')).body.total).toBe(0);
    });

    it('table prefixes are matched without regard to case', async () => {
      const res = await put(h, 'Hired_Employees_2022.CSV', '1,A,2021-01-01T00:00:00Z,1,1\n');
      expect(res.status).toBe(202);
      expect(res.body.task).toMatchObject({ table: 'hired_employees' });
    });

    it('a percent-encoded file name is decoded once', async () => {
      const res = await put(h, 'departments%2D2022.csv');
      expect(res.status).toBe(202);
      expect(res.body.file.name).toBe('departments-2022.csv');
      expect(existsSync(join(h.blobDir, 'departments-2022.csv'))).toBe(true);
      // Decoded twice it would be valid; decoded once it holds a "%", which no name may.
      expect((await put(h, 'departments%252D.csv')).status).toBe(400);
    });

    it('a PUT without a body is a 400', async () => {
      const res = await put(h, 'departments.csv', null);
      expect(res.status).toBe(400);
      expect((await h.get('/api/v1/tasks')).body.total).toBe(0);
    });
  });

  describe('tasks, rejects and retry', () => {
    let h: Harness;
    const expected = expectedSample();
    let ids: Record<string, number>;

    beforeAll(async () => {
      h = await openHarness(kind);
      await h.copySampleIntoBlob();
      h.startLoader();
      await h.settle(3);
      const list = await h.get('/api/v1/tasks');
      ids = Object.fromEntries(list.body.tasks.map((t: { file: string; id: number }) => [t.file, t.id]));
    });
    afterAll(async () => {
      await h.close();
    });

    it('GET /api/v1/tasks lists every task newest first with total, limit and offset', async () => {
      const res = await h.get('/api/v1/tasks');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 3, limit: expect.any(Number), offset: 0 });
      const tasks = res.body.tasks as { id: number; file: string; table: string; status: string; summary: object }[];
      expect(tasks.map((t) => t.id)).toEqual([...tasks.map((t) => t.id)].sort((a, b) => b - a));
      for (const t of tasks) {
        const e = expected.files[t.table as keyof typeof expected.files];
        expect(t.status).toBe('done');
        expect(t.summary).toEqual({ processed: e.processed, inserted: e.inserted, already_exists: e.already_exists, rejected: e.rejected });
        expect(sums(t.summary as never)).toBe(true);
      }
    });

    it('pages the task list', async () => {
      const all = (await h.get('/api/v1/tasks')).body.tasks.map((t: { id: number }) => t.id);
      const page = await h.get('/api/v1/tasks?limit=1&offset=1');
      expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(page.body.tasks.map((t: { id: number }) => t.id)).toEqual([all[1]]);
      expect((await h.get('/api/v1/tasks?limit=0')).status).toBe(400);
      expect((await h.get('/api/v1/tasks?offset=-1')).status).toBe(400);
    });

    it('GET /api/v1/tasks/:id shows status, progress with percent, summary, timings and error; 404 when unknown', async () => {
      const res = await h.get(`/api/v1/tasks/${ids['hired_employees.csv']}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: ids['hired_employees.csv'],
        file: 'hired_employees.csv',
        table: 'hired_employees',
        status: 'done',
        progress: { percent: 100 },
        summary: { processed: 1999, inserted: expected.files.hired_employees.inserted, rejected: expected.files.hired_employees.rejected },
        error: null,
      });
      expect(Object.keys(res.body.timings).sort()).toEqual(['created_at', 'duration_ms', 'finished_at', 'started_at']);
      expect((await h.get('/api/v1/tasks/99999')).status).toBe(404);
      expect((await h.get('/api/v1/tasks/abc')).status).toBe(400);
    });

    it('GET /api/v1/tasks/:id/rejects pages the rejected records, which match the independent computation', async () => {
      const id = ids['hired_employees.csv'];
      const collected: { line: number; id: string | null; raw: string; reasons: string[] }[] = [];
      for (let offset = 0; ; offset += 25) {
        const res = await h.get(`/api/v1/tasks/${id}/rejects?limit=25&offset=${offset}`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ task_id: id, total: expected.files.hired_employees.rejected, limit: 25, offset });
        if (res.body.rejects.length === 0) break;
        expect(res.body.rejects.length).toBeLessThanOrEqual(25);
        for (const r of res.body.rejects) expect(Object.keys(r).sort()).toEqual(['id', 'line', 'raw', 'reasons']);
        collected.push(...res.body.rejects);
      }
      expect(collected.map((r) => r.line)).toEqual([...collected.map((r) => r.line)].sort((a, b) => a - b));
      expect(normaliseRejects(collected)).toEqual(expected.files.hired_employees.rejects);
    });

    it('a task without rejects has an empty list; an unknown task is a 404', async () => {
      const res = await h.get(`/api/v1/tasks/${ids['departments.csv']}/rejects`);
      expect(res.body).toMatchObject({ total: 0, rejects: [] });
      expect((await h.get('/api/v1/tasks/99999/rejects')).status).toBe(404);
    });

    it('?format=csv downloads every reject as CSV', async () => {
      const res = await h.get(`/api/v1/tasks/${ids['hired_employees.csv']}/rejects?format=csv`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.headers.get('content-disposition') ?? '').toMatch(/attachment/);
      expect(res.text.split('\n')[0]).toBe('line,id,reasons,raw');
      const rows = parse(res.text, { columns: true }) as { line: string; id: string; reasons: string; raw: string }[];
      expect(
        normaliseRejects(rows.map((r) => ({ line: Number(r.line), id: r.id === '' ? null : r.id, raw: r.raw, reasons: r.reasons.split(/[ ,;|]+/) }))),
      ).toEqual(expected.files.hired_employees.rejects);
    });

    it('POST /api/v1/tasks/:id/retry on a task that is not failed is a 409; on an unknown task a 404', async () => {
      const res = await h.request(`/api/v1/tasks/${ids['jobs.csv']}/retry`, { method: 'POST' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toEqual(expect.any(String));
      expect((await h.get(`/api/v1/tasks/${ids['jobs.csv']}`)).body.status).toBe('done');
      expect((await h.request('/api/v1/tasks/99999/retry', { method: 'POST' })).status).toBe(404);
    });
  });

  describe('a failed task', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(kind);
    });
    afterEach(async () => {
      await h.close();
    });

    it('a .csv that matches no table gets a failed task saying why', async () => {
      await writeFile(join(h.blobDir, 'salaries.csv'), '1,100\n');
      h.startLoader();
      await h.settle(1);
      const { tasks } = (await h.get('/api/v1/tasks')).body;
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ file: 'salaries.csv', status: 'failed', table: null });
      expect(tasks[0].error).toMatch(/salaries\.csv/);
    });

    it('fails when its file cannot be read, and POST retry queues it again (202) so it loads', async () => {
      const queued = await put(h, 'departments_late.csv', '1,Alpha\n2,Beta\n3,Gamma\n');
      const id = queued.body.task.id;
      const aside = join(h.blobDir, '..', 'departments_late.csv.aside');
      await rename(join(h.blobDir, 'departments_late.csv'), aside);
      h.startLoader({ pollBlob: false });
      await h.settle(1);
      const failed = await h.get(`/api/v1/tasks/${id}`);
      expect(failed.body.status).toBe('failed');
      expect(failed.body.error).toEqual(expect.any(String));

      // The same file version comes back (moved back, so the same size and modification time): the retry loads it.
      await rename(aside, join(h.blobDir, 'departments_late.csv'));
      const retried = await h.request(`/api/v1/tasks/${id}/retry`, { method: 'POST' });
      expect(retried.status).toBe(202);
      expect(retried.body).toMatchObject({ id, status: 'queued', error: null });
      await h.settle(1);
      expect((await h.get(`/api/v1/tasks/${id}`)).body).toMatchObject({
        status: 'done',
        summary: { processed: 3, inserted: 3, already_exists: 0, rejected: 0 },
      });
      expect((await h.request(`/api/v1/tasks/${id}/retry`, { method: 'POST' })).status).toBe(409);
    });
  });
});
