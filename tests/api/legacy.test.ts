// The original API kept for existing Postman collections, in process against each test database (SQLite, PostgreSQL).
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openHarness, TEST_DATABASES, type Harness } from './harness.ts';
import { expectedSample, Model, readCsv, SAMPLE_FILES } from '../helpers/sample.ts';

const expected = expectedSample();
const summaryOf = (t: keyof typeof expected.files) => {
  const e = expected.files[t];
  return { processed: e.processed, inserted: e.inserted, already_exists: e.already_exists, rejected: e.rejected };
};

describe.each(TEST_DATABASES)('%s', (kind) => {
  describe('with the sample in the Blob container', () => {
    let h: Harness;
    let taskIds: number[];
    beforeAll(async () => {
      h = await openHarness(kind);
      await h.copySampleIntoBlob();
      h.startLoader({ pollBlob: false }); // only what the endpoints queue is loaded
    });
    afterAll(async () => {
      await h.close();
    });

    it('GET /health answers ok', async () => {
      const res = await h.get('/health');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', database: kind });
    });

    it('POST /upload-files queues the three standard files (202 with task ids) and they load', async () => {
      const res = await h.request('/upload-files', { method: 'POST' });
      expect(res.status).toBe(202);
      expect(res.body.task_ids).toHaveLength(3);
      taskIds = res.body.task_ids;
      await h.settle(3);
      const byTable: Record<string, unknown> = {};
      for (const id of taskIds) {
        const t = await h.get(`/task-status/${id}`);
        expect(t.status).toBe(200);
        expect(t.body.status).toBe('done');
        byTable[t.body.table] = t.body.summary;
      }
      expect(byTable).toEqual({
        departments: summaryOf('departments'),
        jobs: summaryOf('jobs'),
        hired_employees: summaryOf('hired_employees'),
      });
    });

    it('GET /task-list lists them; GET /task-status/:id is 404 for an unknown task and 400 for a bad id', async () => {
      const res = await h.get('/task-list');
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(3);
      expect(res.body.tasks.map((t: { id: number }) => t.id).sort()).toEqual([...taskIds].sort());
      expect((await h.get('/task-status/99999')).status).toBe(404);
      expect((await h.get('/task-status/abc')).status).toBe(400);
    });

    it('GET /report/... answers the same rows as the versioned API, equal to the independent computation', async () => {
      const legacyQ = await h.get('/report/hired-by-quarter');
      const legacyA = await h.get('/report/hiring-above-average?year=2021');
      expect(legacyQ.status).toBe(200);
      expect(legacyQ.body).toEqual(expected.hiredByQuarter2021);
      expect(legacyA.body).toEqual(expected.hiringAboveAverage2021);
      expect((await h.get('/api/v1/reports/hired-by-quarter')).body).toEqual(legacyQ.body);
      expect((await h.get('/api/v1/reports/hiring-above-average')).body).toEqual(legacyA.body);
      expect((await h.get('/report/hired-by-quarter?format=csv')).text.split('\n')[0]).toBe('department,job,Q1,Q2,Q3,Q4');
      expect((await h.get('/report/hired-by-quarter?year=nope')).status).toBe(400);
      expect((await h.get('/report/nope')).status).toBe(404);
    });

    it('POST /departments and POST /jobs queue that file (202, one task id)', async () => {
      for (const path of ['/departments', '/jobs']) {
        const res = await h.request(path, { method: 'POST' });
        expect(res.status, path).toBe(202);
        expect(res.body.task_ids, path).toHaveLength(1);
        expect(res.body.task_ids[0], path).toEqual(expect.any(Number));
      }
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
      expect((await h.get('/task-list')).body.total).toBe(0);
    });
  });

  describe('POST /upload-hired-employees?start=&limit=', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(kind);
      await h.copySampleIntoBlob();
      h.startLoader({ pollBlob: false });
      expect((await h.request('/departments', { method: 'POST' })).status).toBe(202);
      expect((await h.request('/jobs', { method: 'POST' })).status).toBe(202);
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
      const before = (await h.get('/task-list')).body.total;
      for (const q of ['start=0&limit=0', 'start=0&limit=1001', 'start=-1&limit=10', 'start=0&limit=abc', 'start=x&limit=5', 'start=0&limit=2.5']) {
        const res = await h.request(`/upload-hired-employees?${q}`, { method: 'POST' });
        expect(res.status, q).toBe(400);
        expect(res.body.error.code, q).toEqual(expect.any(String));
      }
      expect((await h.get('/task-list')).body.total).toBe(before);
    });

    it('a slice loads exactly those rows (0-based start, limit rows)', async () => {
      // Rows 60..74 hold rejects (line 67) as well as valid rows.
      const start = 60;
      const limit = 15;
      const res = await h.request(`/upload-hired-employees?start=${start}&limit=${limit}`, { method: 'POST' });
      expect(res.status).toBe(202);
      expect(res.body.task_ids).toHaveLength(1);
      const id = res.body.task_ids[0];
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
      const id = res.body.task_ids[0];
      await h.settle(3);
      const want = expected.files.hired_employees.rejects.filter((r) => r.line >= 1000 && r.line <= 1999);
      const task = await h.get(`/task-status/${id}`);
      expect(task.body.summary).toMatchObject({ processed: 1000, rejected: want.length });
      const rejects = await h.get(`/api/v1/tasks/${id}/rejects?limit=1000`);
      expect(rejects.body.rejects.map((r: { line: number }) => r.line)).toEqual(want.map((r) => r.line));
    });
  });
});
