// The original API kept for existing Postman collections, in process against each test database (SQLite, PostgreSQL).
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openHarness, sums, TEST_DATABASES, type Harness } from './harness.ts';
import { expectedSample, Model, readCsv, SAMPLE_FILES } from '../helpers/sample.ts';

const expected = expectedSample();
const summaryOf = (t: keyof typeof expected.files) => {
  const e = expected.files[t];
  return { processed: e.processed, inserted: e.inserted, already_exists: e.already_exists, rejected: e.rejected };
};

describe.each(TEST_DATABASES)('%s', (kind) => {
  describe('the original Postman collection, replayed on a fresh database', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness(kind);
      await h.copySampleIntoBlob();
      h.startLoader({ pollBlob: false }); // only what the endpoints queue is loaded
    });
    afterAll(async () => {
      await h.close();
    });
    const post = (path: string) => h.request(path, { method: 'POST' });
    const summaryShape = (s: Record<string, unknown>) => {
      expect(s).toMatchObject({
        processed: expect.any(Number),
        inserted: expect.any(Number),
        already_exists: expect.any(Number),
        rejected: expect.any(Number),
        errors: expect.any(Array),
      });
      expect(sums(s as never)).toBe(true);
    };

    it('answers each of the nine requests with the original status and shape', async () => {
      // 1. POST /upload-files?start=0&limit=1000: 200, summaries of departments and jobs, hired_employees page by page.
      const all = await post('/upload-files?start=0&limit=1000');
      expect(all.status).toBe(200);
      expect(Object.keys(all.body).sort()).toEqual(['departments', 'hired_employees', 'jobs']);
      expect(all.body.departments).toMatchObject(summaryOf('departments'));
      expect(all.body.jobs).toMatchObject(summaryOf('jobs'));
      summaryShape(all.body.departments);
      const pages = all.body.hired_employees as Record<string, number>[];
      expect(pages.map((p) => p.processed)).toEqual([1000, expected.files.hired_employees.processed - 1000]);
      for (const page of pages) summaryShape(page);
      const total = (k: string) => pages.reduce((n, p) => n + p[k], 0);
      expect({ processed: total('processed'), inserted: total('inserted'), already_exists: total('already_exists'), rejected: total('rejected') })
        .toEqual(summaryOf('hired_employees'));
      const firstRejects = (pages[0].errors as unknown as { line: number; reasons: string[] }[]).map((e) => e.line);
      expect(firstRejects).toEqual(expected.files.hired_employees.rejects.filter((r) => r.line <= 1000).map((r) => r.line));

      // 2, 3. POST /jobs, POST /departments: 200 with the summary of that file's load.
      for (const [path, table] of [['/jobs', 'jobs'], ['/departments', 'departments']] as const) {
        const res = await post(path);
        expect(res.status, path).toBe(200);
        summaryShape(res.body);
        expect(res.body, path).toMatchObject(summaryOf(table));
      }

      // 4. POST /upload-hired-employees?start=1000&limit=1000: 202 {task_id, status: "accepted"}.
      const slice = await post('/upload-hired-employees?start=1000&limit=1000');
      expect(slice.status).toBe(202);
      expect(slice.body).toMatchObject({ task_id: expect.stringMatching(/^\d+$/), status: 'accepted' });

      // 5, 6. The reports: the same rows in the same order as the original's SQL.
      const byQuarter = await h.get('/report/hired-by-quarter');
      expect(byQuarter.status).toBe(200);
      expect(byQuarter.body).toEqual(expected.hiredByQuarter2021);
      const above = await h.get('/report/hiring-above-average');
      expect(above.status).toBe(200);
      expect(above.body).toEqual(expected.hiringAboveAverage2021);

      // 7. GET /: 200 with a greeting.
      const home = await h.get('/');
      expect(home.status).toBe(200);
      expect(home.body).toMatchObject({ name: 'HireDB', message: expect.stringContaining('Welcome'), links: expect.any(Object) });

      // 8. GET /health: {"status": "ok", ...}.
      const health = await h.get('/health');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');

      // 9. GET /task-list: an array of finished tasks {id, status: SUCCESS|FAILURE, result}.
      await h.settle();
      const list = await h.get('/task-list');
      expect(list.status).toBe(200);
      expect(Array.isArray(list.body)).toBe(true);
      for (const t of list.body) {
        expect(t).toMatchObject({ id: expect.stringMatching(/^\d+$/), status: expect.stringMatching(/^(SUCCESS|FAILURE)$/) });
        expect(t).toHaveProperty('result');
      }
      expect(list.body.map((t: { id: string }) => t.id)).toContain(slice.body.task_id);
      const sliceTask = list.body.find((t: { id: string }) => t.id === slice.body.task_id);
      expect(sliceTask).toMatchObject({ status: 'SUCCESS', result: { processed: expected.files.hired_employees.processed - 1000 } });
    });

    it('GET /task-status/:id is the task view; 404 for an unknown task and 400 for a bad id', async () => {
      const [first] = (await h.get('/task-list')).body;
      expect((await h.get(`/task-status/${first.id}`)).body).toMatchObject({ id: Number(first.id), status: 'done' });
      expect((await h.get('/task-status/99999')).status).toBe(404);
      expect((await h.get('/task-status/abc')).status).toBe(400);
    });

    it('GET / with Accept: text/html answers the dashboard', async () => {
      const res = await h.get('/', { accept: 'text/html' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.text).toMatch(/<script defer src="\/assets\/dashboard\.[0-9a-f]{12}\.js">/);
    });

    it('the report routes take ?year and ?format like the versioned API', async () => {
      expect((await h.get('/api/v1/reports/hired-by-quarter')).body).toEqual((await h.get('/report/hired-by-quarter')).body);
      expect((await h.get('/report/hired-by-quarter?format=csv')).text.split('\n')[0]).toBe('department,job,Q1,Q2,Q3,Q4');
      expect((await h.get('/report/hired-by-quarter?year=nope')).status).toBe(400);
      expect((await h.get('/report/nope')).status).toBe(404);
    });
  });

  describe('when a load takes longer than LEGACY_WAIT_MS', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(kind, { legacyWaitMs: 0 }); // and no loader: nothing finishes
      await h.copySampleIntoBlob();
    });
    afterEach(async () => {
      await h.close();
    });

    it('POST /departments answers 202 with its task, which a loader then finishes', async () => {
      const res = await h.request('/departments', { method: 'POST' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'accepted', task_ids: [expect.any(Number)] });
      h.startLoader({ pollBlob: false });
      await h.settle(1);
      expect((await h.get(`/task-status/${res.body.task_ids[0]}`)).body).toMatchObject({ status: 'done', summary: summaryOf('departments') });
    });

    it('POST /upload-files answers 202 and queues every file whole, so nothing is left unloaded', async () => {
      const res = await h.request('/upload-files', { method: 'POST' });
      expect(res.status).toBe(202);
      const tasks = res.body.tasks as { file: string; slice: unknown }[];
      expect(tasks.map((t) => t.file)).toEqual(['departments.csv', 'jobs.csv', 'hired_employees.csv']);
      expect(tasks.every((t) => t.slice === null)).toBe(true);
      h.startLoader({ pollBlob: false });
      await h.settle(3);
      const count = await h.query('SELECT COUNT(*) AS n FROM hired_employees');
      expect(Number(count[0].n)).toBe(expected.files.hired_employees.inserted);
    });
  });

  describe('with an empty Blob container', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(kind);
    });
    afterEach(async () => {
      await h.close();
    });

    it('queueing files that are not there is a 404 and queues nothing', async () => {
      for (const path of ['/upload-files', '/departments', '/jobs', '/upload-hired-employees?start=0&limit=10']) {
        const res = await h.request(path, { method: 'POST' });
        expect(res.status, path).toBe(404);
      }
      expect((await h.db.tasks.list({ limit: 1, offset: 0 })).total).toBe(0);
    });
  });

  describe('POST /upload-hired-employees?start=&limit=', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(kind);
      await h.copySampleIntoBlob();
      h.startLoader({ pollBlob: false });
      expect((await h.request('/departments', { method: 'POST' })).status).toBe(200);
      expect((await h.request('/jobs', { method: 'POST' })).status).toBe(200);
    });
    afterEach(async () => {
      await h.close();
    });

    const records = readCsv(readFileSync(SAMPLE_FILES.hired_employees, 'utf8'));
    const asJson = (r: { fields: string[] }) => {
      const [id, name, datetime, department_id, job_id] = r.fields;
      return { id, name, datetime, department_id, job_id };
    };

    it('limit 0, limit 1001 and bad numbers are a 400 and queue nothing', async () => {
      const before = (await h.db.tasks.list({ limit: 1, offset: 0 })).total;
      for (const q of ['start=0&limit=0', 'start=0&limit=1001', 'start=-1&limit=10', 'start=0&limit=abc', 'start=x&limit=5', 'start=0&limit=2.5']) {
        const res = await h.request(`/upload-hired-employees?${q}`, { method: 'POST' });
        expect(res.status, q).toBe(400);
        expect(res.body.error.code, q).toEqual(expect.any(String));
      }
      expect((await h.db.tasks.list({ limit: 1, offset: 0 })).total).toBe(before);
    });

    it('a slice loads exactly those rows (0-based start, limit rows)', async () => {
      // Rows 60..74 hold rejects (line 67) as well as valid rows.
      const start = 60;
      const limit = 15;
      const res = await h.request(`/upload-hired-employees?start=${start}&limit=${limit}`, { method: 'POST' });
      expect(res.status).toBe(202);
      const id = Number(res.body.task_id);
      await h.settle(3);

      const model = new Model();
      model.departments = new Map(expected.model.departments);
      model.jobs = new Map(expected.model.jobs);
      const slice = model.loadRecords('hired_employees', records.slice(start, start + limit));
      const task = await h.get(`/task-status/${id}`);
      expect(task.body).toMatchObject({
        status: 'done',
        slice: { start, limit },
        summary: { processed: limit, inserted: slice.inserted, already_exists: 0, rejected: slice.rejected },
      });
      expect(slice.rejected).toBeGreaterThan(0);

      // Exactly the slice's valid rows are in the table: posting rows 40..99 again finds those and no others.
      const window = records.slice(40, 100);
      const again = await h.postJson('/api/v1/hired-employees/batch', window.map(asJson));
      const probe = model.loadRecords('hired_employees', window);
      expect(again.body).toMatchObject({
        processed: 60,
        already_exists: slice.inserted,
        inserted: probe.inserted,
        rejected: probe.rejected,
      });
      expect(probe.already_exists).toBe(slice.inserted);
    });

    it('a slice of 1000 rows is accepted; the rejects keep their file line numbers', async () => {
      const res = await h.request('/upload-hired-employees?start=999&limit=1000', { method: 'POST' });
      expect(res.status).toBe(202);
      const id = Number(res.body.task_id);
      await h.settle(3);
      const want = expected.files.hired_employees.rejects.filter((r) => r.line >= 1000 && r.line <= 1999);
      const task = await h.get(`/task-status/${id}`);
      expect(task.body.summary).toMatchObject({ processed: 1000, rejected: want.length });
      const rejects = await h.get(`/api/v1/tasks/${id}/rejects?limit=1000`);
      expect(rejects.body.rejects.map((r: { line: number }) => r.line)).toEqual(want.map((r) => r.line));
    });
  });
});
