// GET /api/v1/reports/{hired-by-quarter|hiring-above-average}: rows against an independent computation,
// CSV, year parameter, ETag / If-None-Match, and invalidation by committed inserts.
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openHarness, TEST_DATABASES, type Harness } from './harness.ts';
import { cloneModel, expectedSample, Model, type Table } from '../helpers/sample.ts';

const Q = '/api/v1/reports/hired-by-quarter';
const A = '/api/v1/reports/hiring-above-average';

const COLUMNS: Record<Table, string[]> = {
  departments: ['id', 'department'],
  jobs: ['id', 'job'],
  hired_employees: ['id', 'name', 'datetime', 'department_id', 'job_id'],
};
const PATHS: Record<Table, string> = { departments: 'departments', jobs: 'jobs', hired_employees: 'hired-employees' };

/** Posts rows through the batch endpoint and applies them to the model the same way. */
async function postBoth(h: Harness, model: Model, table: Table, rows: Record<string, string | number>[]) {
  const res = await h.postJson(`/api/v1/${PATHS[table]}/batch`, rows);
  expect(res.status).toBe(200);
  const outcome = model.loadRecords(
    table,
    rows.map((r, i) => ({ line: i, raw: JSON.stringify(r), fields: COLUMNS[table].map((c) => String(r[c] ?? '')) })),
  );
  expect(res.body).toMatchObject({ inserted: outcome.inserted, already_exists: outcome.already_exists, rejected: outcome.rejected });
  return res;
}

describe.each(TEST_DATABASES)('%s', (kind) => {
  describe('the sample loaded by the loader', () => {
    const expected = expectedSample();
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness(kind);
      await h.copySampleIntoBlob();
      h.startLoader();
      await h.settle(3);
    });
    afterAll(async () => {
      await h.close();
    });

    it('loads with the counts of the independent computation', async () => {
      const { tasks } = (await h.get('/api/v1/tasks')).body;
      expect(tasks).toHaveLength(3);
      for (const t of tasks) {
        const e = expected.files[t.table as Table];
        expect(t.status).toBe('done');
        expect(t.summary).toEqual({ processed: e.processed, inserted: e.inserted, already_exists: e.already_exists, rejected: e.rejected });
      }
    });

    it('hired-by-quarter (default year 2021) rows are exactly {department, job, Q1..Q4}, in order', async () => {
      const res = await h.get(Q);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      for (const row of res.body) expect(Object.keys(row)).toEqual(['department', 'job', 'Q1', 'Q2', 'Q3', 'Q4']);
      expect(res.body).toStrictEqual(expected.hiredByQuarter2021);
      expect((await h.get(`${Q}?year=2021`)).body).toStrictEqual(expected.hiredByQuarter2021);
    });

    it('hiring-above-average (default year 2021) rows are exactly {id, department, hired}, in order', async () => {
      const res = await h.get(A);
      expect(res.status).toBe(200);
      for (const row of res.body) expect(Object.keys(row)).toEqual(['id', 'department', 'hired']);
      expect(res.body).toStrictEqual(expected.hiringAboveAverage2021);
      expect((await h.get(`${A}?year=2021`)).body).toStrictEqual(expected.hiringAboveAverage2021);
    });

    it('other years: 2022 from the data, and an empty year gives no rows', async () => {
      expect((await h.get(`${Q}?year=2022`)).body).toStrictEqual(expected.model.hiredByQuarter(2022));
      expect((await h.get(`${A}?year=2022`)).body).toStrictEqual(expected.model.hiringAboveAverage(2022));
      expect((await h.get(`${Q}?year=1999`)).body).toEqual([]);
      expect((await h.get(`${A}?year=1999`)).body).toEqual([]);
    });

    it('?format=csv answers the same rows as CSV with a header line', async () => {
      const q = await h.get(`${Q}?format=csv`);
      expect(q.status).toBe(200);
      expect(q.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(q.text.split(/\r?\n/)[0]).toBe('department,job,Q1,Q2,Q3,Q4');
      const qRows = parse(q.text, { columns: true }) as Record<string, string>[];
      expect(qRows).toEqual(
        expected.hiredByQuarter2021.map((r) => ({ ...r, Q1: String(r.Q1), Q2: String(r.Q2), Q3: String(r.Q3), Q4: String(r.Q4) })),
      );
      const a = await h.get(`${A}?format=csv&year=2021`);
      expect(a.text.split(/\r?\n/)[0]).toBe('id,department,hired');
      expect(parse(a.text, { columns: true })).toEqual(
        expected.hiringAboveAverage2021.map((r) => ({ id: String(r.id), department: r.department, hired: String(r.hired) })),
      );
    });

    it('a bad year or format is a 400; an unknown report a 404', async () => {
      for (const year of ['abc', '0', '-1', '20211', '2021.5', '2021abc', '1e3']) {
        const res = await h.get(`${Q}?year=${encodeURIComponent(year)}`);
        expect(res.status, year).toBe(400);
        expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
        expect((await h.get(`${A}?year=${encodeURIComponent(year)}`)).status, year).toBe(400);
      }
      expect((await h.get(`${Q}?format=xml`)).status).toBe(400);
      expect((await h.get('/api/v1/reports/hired-by-month')).status).toBe(404);
    });

    it('sends an ETag and answers 304 to a matching If-None-Match', async () => {
      for (const path of [Q, A, `${Q}?format=csv`, `${A}?year=2022`]) {
        const first = await h.get(path);
        const etag = first.headers.get('etag');
        expect(etag, path).toBeTruthy();
        const cached = await h.get(path, { 'if-none-match': etag! });
        expect(cached.status, path).toBe(304);
        expect(cached.text, path).toBe('');
        expect((await h.get(path, { 'if-none-match': '"something-else"' })).status, path).toBe(200);
        expect((await h.get(path, { 'if-none-match': `"x", ${etag}` })).status, path).toBe(304);
      }
      // JSON and CSV of the same report are different representations: different tags.
      const json = (await h.get(Q)).headers.get('etag')!;
      const csv = (await h.get(`${Q}?format=csv`)).headers.get('etag')!;
      expect(csv).not.toBe(json);
      expect((await h.get(`${Q}?format=csv`, { 'if-none-match': json })).status).toBe(200);
      // And different years are different tags.
      expect((await h.get(`${Q}?year=2022`)).headers.get('etag')).not.toBe(json);
    });

    it('a committed insert through the batch endpoint changes the ETag and the content', async () => {
      const model = cloneModel(expected.model);
      const beforeQ = await h.get(Q);
      const beforeA = await h.get(A);
      const tagQ = beforeQ.headers.get('etag')!;
      const tagA = beforeA.headers.get('etag')!;

      // 2021-03-31T23:30-01:00 is 2021-04-01T00:30Z: Q2 in UTC.
      await postBoth(h, model, 'hired_employees', [
        { id: 900001, name: 'New Hire', datetime: '2021-03-31T23:30:00-01:00', department_id: 1, job_id: 1 },
      ]);
      const afterQ = await h.get(Q, { 'if-none-match': tagQ });
      expect(afterQ.status).toBe(200);
      expect(afterQ.headers.get('etag')).not.toBe(tagQ);
      expect(afterQ.body).not.toEqual(beforeQ.body);
      expect(afterQ.body).toStrictEqual(model.hiredByQuarter(2021));
      const row = afterQ.body.find((r: { department: string; job: string }) => r.department === model.departments.get(1) && r.job === model.jobs.get(1));
      expect(row.Q2).toBeGreaterThanOrEqual(1);

      // A department with no hires counts in the mean: the report changes with it.
      await postBoth(h, model, 'departments', [{ id: 13, department: 'Quiet Department' }]);
      const afterA = await h.get(A, { 'if-none-match': tagA });
      expect(afterA.status).toBe(200);
      expect(afterA.headers.get('etag')).not.toBe(tagA);
      expect(afterA.body).toStrictEqual(model.hiringAboveAverage(2021));

      // And the new tag is honoured until the next insert.
      expect((await h.get(A, { 'if-none-match': afterA.headers.get('etag')! })).status).toBe(304);
    });
  });

  describe('report rules on hand-made data', () => {
    let h: Harness;
    let model: Model;
    beforeEach(async () => {
      h = await openHarness(kind);
      model = new Model();
    });
    afterEach(async () => {
      await h.close();
    });

    it('orders by department then job, case-insensitively, then by exact text', async () => {
      await postBoth(h, model, 'departments', [
        { id: 1, department: 'beta' },
        { id: 2, department: 'Alpha' },
        { id: 3, department: 'alpha' },
        { id: 4, department: 'Zeta' },
        { id: 5, department: 'Beta' },
      ]);
      await postBoth(h, model, 'jobs', [
        { id: 1, job: 'b job' },
        { id: 2, job: 'A job' },
        { id: 3, job: 'a job' },
        { id: 4, job: 'Z job' },
      ]);
      const hires: Record<string, string | number>[] = [];
      let id = 1;
      for (const d of [1, 2, 3, 4, 5]) for (const j of [4, 3, 2, 1]) hires.push({ id: id++, name: `P${id}`, datetime: '2021-08-01T00:00:00Z', department_id: d, job_id: j });
      await postBoth(h, model, 'hired_employees', hires);
      const res = await h.get(Q);
      expect(res.body).toStrictEqual(model.hiredByQuarter(2021));
      expect(res.body.slice(0, 5).map((r: { department: string; job: string }) => `${r.department}/${r.job}`)).toEqual([
        'Alpha/A job',
        'Alpha/a job',
        'Alpha/b job',
        'Alpha/Z job',
        'alpha/A job',
      ]);
    });

    it('takes years and quarters in UTC', async () => {
      await postBoth(h, model, 'departments', [{ id: 1, department: 'D' }]);
      await postBoth(h, model, 'jobs', [{ id: 1, job: 'J' }]);
      await postBoth(h, model, 'hired_employees', [
        { id: 1, name: 'a', datetime: '2022-01-01T00:30:00+01:00', department_id: 1, job_id: 1 }, // 2021 Q4
        { id: 2, name: 'b', datetime: '2021-12-31T23:30:00-02:00', department_id: 1, job_id: 1 }, // 2022 Q1
        { id: 3, name: 'c', datetime: '2021-07-01T00:00:00', department_id: 1, job_id: 1 }, // no offset: UTC, Q3
        { id: 4, name: 'd', datetime: '2021-06-30T23:59:59.999Z', department_id: 1, job_id: 1 }, // Q2
        { id: 5, name: 'e', datetime: '2021-01-01T03:00:00+05:00', department_id: 1, job_id: 1 }, // 2020 Q4
      ]);
      expect((await h.get(Q)).body).toStrictEqual([{ department: 'D', job: 'J', Q1: 0, Q2: 1, Q3: 1, Q4: 1 }]);
      expect((await h.get(`${Q}?year=2022`)).body).toStrictEqual([{ department: 'D', job: 'J', Q1: 1, Q2: 0, Q3: 0, Q4: 0 }]);
      expect((await h.get(`${Q}?year=2020`)).body).toStrictEqual([{ department: 'D', job: 'J', Q1: 0, Q2: 0, Q3: 0, Q4: 1 }]);
      expect((await h.get(Q)).body).toStrictEqual(model.hiredByQuarter(2021));
    });

    it('the mean counts every department, those without hires as 0; ties ordered by id', async () => {
      // Hires 2021: A 3, B 2, C 2, D 0, E 0 (and one 2020 hire for D) → mean 7/5 = 1.4 → A, B, C.
      // A mean over departments with hires only (7/3 ≈ 2.33) would give A alone.
      await postBoth(h, model, 'departments', ['A', 'B', 'C', 'D', 'E'].map((department, i) => ({ id: 5 - i, department })));
      await postBoth(h, model, 'jobs', [{ id: 1, job: 'J' }]);
      const plan: [number, string][] = [
        [5, '2021-02-01T00:00:00Z'],
        [5, '2021-05-01T00:00:00Z'],
        [5, '2021-09-01T00:00:00Z'],
        [4, '2021-03-01T00:00:00Z'],
        [4, '2021-04-01T00:00:00Z'],
        [3, '2021-11-01T00:00:00Z'],
        [3, '2021-12-01T00:00:00Z'],
        [2, '2020-06-01T00:00:00Z'],
      ];
      await postBoth(
        h,
        model,
        'hired_employees',
        plan.map(([department_id, datetime], i) => ({ id: i + 1, name: `P${i}`, datetime, department_id, job_id: 1 })),
      );
      const res = await h.get(A);
      expect(res.body).toStrictEqual([
        { id: 5, department: 'A', hired: 3 },
        { id: 3, department: 'C', hired: 2 },
        { id: 4, department: 'B', hired: 2 },
      ]);
      expect(res.body).toStrictEqual(model.hiringAboveAverage(2021));
    });

    it('a department exactly at the mean is not above it', async () => {
      await postBoth(h, model, 'departments', [
        { id: 1, department: 'X' },
        { id: 2, department: 'Y' },
      ]);
      await postBoth(h, model, 'jobs', [{ id: 1, job: 'J' }]);
      await postBoth(h, model, 'hired_employees', [
        { id: 1, name: 'a', datetime: '2021-01-01T00:00:00Z', department_id: 1, job_id: 1 },
        { id: 2, name: 'b', datetime: '2021-01-02T00:00:00Z', department_id: 2, job_id: 1 },
      ]);
      expect((await h.get(A)).body).toEqual([]);
    });

    it('an empty database gives empty reports', async () => {
      expect((await h.get(Q)).body).toEqual([]);
      expect((await h.get(A)).body).toEqual([]);
      expect((await h.get(`${Q}?format=csv`)).text.trim()).toBe('department,job,Q1,Q2,Q3,Q4');
    });
  });
});
