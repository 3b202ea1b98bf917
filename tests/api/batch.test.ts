// POST /api/v1/{departments|jobs|hired-employees}/batch, in process against each test database (SQLite, PostgreSQL).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHarness, sums, TEST_DATABASES, type Harness } from './harness.ts';

type Row = Record<string, string | number | null>;

interface TableCase {
  path: 'departments' | 'jobs' | 'hired-employees';
  columns: string[];
  row(id: number): Row;
  csv(id: number): string;
  /** A row that breaks a rule, and the reason it must give. */
  bad: Row;
  badReason: string;
}

const CASES: TableCase[] = [
  {
    path: 'departments',
    columns: ['id', 'department'],
    row: (id) => ({ id, department: `Department ${id}` }),
    csv: (id) => `${id},Department ${id}`,
    bad: { id: 'x1', department: 'Nope' },
    badReason: 'invalid_id',
  },
  {
    path: 'jobs',
    columns: ['id', 'job'],
    row: (id) => ({ id, job: `Job ${id}` }),
    csv: (id) => `${id},Job ${id}`,
    bad: { id: 7, job: '' },
    badReason: 'missing_job',
  },
  {
    path: 'hired-employees',
    columns: ['id', 'name', 'datetime', 'department_id', 'job_id'],
    row: (id) => ({ id, name: `Person ${id}`, datetime: '2021-05-01T10:00:00Z', department_id: 1, job_id: 2 }),
    csv: (id) => `${id},Person ${id},2021-05-01T10:00:00Z,1,2`,
    bad: { id: 9, name: 'Bad Date', datetime: '2021-02-30T10:00:00Z', department_id: 1, job_id: 2 },
    badReason: 'invalid_datetime',
  },
];

describe.each(TEST_DATABASES)('%s', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(kind);
    // hired_employees rows refer to departments 1..3 and jobs 1..3.
    const seeded = [
      await h.postJson('/api/v1/departments/batch', [1, 2, 3].map((id) => ({ id, department: `Seed department ${id}` }))),
      await h.postJson('/api/v1/jobs/batch', [1, 2, 3].map((id) => ({ id, job: `Seed job ${id}` }))),
    ];
    for (const s of seeded) expect(s.status).toBe(200);
  });
  afterEach(async () => {
    await h.close();
  });

  /** Ids used by the tests start above the seeded ones. */
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

  describe.each(CASES)('POST /api/v1/$path/batch', (t) => {
    const url = `/api/v1/${t.path}/batch`;

    it('partial (the default) inserts the valid rows of a JSON array and reports each rejected one', async () => {
      const res = await h.postJson(url, [t.row(101), t.bad, t.row(102)]);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['already_exists', 'errors', 'inserted', 'processed', 'rejected']);
      expect(res.body).toMatchObject({ processed: 3, inserted: 2, already_exists: 0, rejected: 1 });
      expect(sums(res.body)).toBe(true);
      expect(res.body.errors).toHaveLength(1);
      const [err] = res.body.errors;
      expect(Object.keys(err).sort()).toEqual(['id', 'index', 'message', 'reasons']);
      expect(err).toMatchObject({ index: 1, id: String(t.bad.id), reasons: [t.badReason] });
      expect(typeof err.message).toBe('string');
      expect(err.message.length).toBeGreaterThan(0);

      const again = await h.postJson(url, [t.row(101), t.row(102)]);
      expect(again.body).toMatchObject({ processed: 2, inserted: 0, already_exists: 2, rejected: 0, errors: [] });
    });

    it('?mode=partial explicitly behaves as the default', async () => {
      const res = await h.postJson(`${url}?mode=partial`, [t.row(111), t.bad]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ processed: 2, inserted: 1, already_exists: 0, rejected: 1 });
    });

    it('accepts a text/csv body (CRLF, header line, blank lines, spaces, quotes)', async () => {
      const header = t.columns.join(',');
      const quoted = t.csv(203).replace(/^(\d+),([^,]+)/, (_m, id, name) => `${id},"${name}, ""quoted"""`);
      const body = `${header}\r\n${t.csv(201)}\r\n\r\n  ${t.csv(202).replaceAll(',', ' , ')}  \r\n${quoted}`;
      const res = await h.postCsv(url, body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ processed: 3, inserted: 3, already_exists: 0, rejected: 0, errors: [] });
      // The same rows sent as JSON are now already there: the CSV values were trimmed and unquoted to the same ids.
      const again = await h.postJson(url, [t.row(201), t.row(202), t.row(203)]);
      expect(again.body).toMatchObject({ inserted: 0, already_exists: 3 });
    });

    it('CSV rows are validated with 0-based indexes in the errors', async () => {
      const res = await h.postCsv(url, `${t.csv(211)}\nnot-a-number,${t.csv(1).split(',').slice(1).join(',')}\n${t.csv(212)}\n`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ processed: 3, inserted: 2, already_exists: 0, rejected: 1 });
      expect(res.body.errors).toEqual([expect.objectContaining({ index: 1, id: 'not-a-number', reasons: ['invalid_id'] })]);
    });

    it('atomic with a bad row answers 422 and writes nothing', async () => {
      const res = await h.postJson(`${url}?mode=atomic`, [t.row(301), t.row(302), t.bad]);
      expect(res.status).toBe(422);
      expect(res.body.inserted).toBe(0);
      expect(res.body.processed).toBe(3);
      expect(sums(res.body)).toBe(true);
      expect(res.body.errors).toEqual([expect.objectContaining({ index: 2, reasons: [t.badReason] })]);
      // Nothing was written: the valid rows are still new.
      const after = await h.postJson(url, [t.row(301), t.row(302)]);
      expect(after.body).toMatchObject({ inserted: 2, already_exists: 0 });
    });

    it('atomic with only valid rows inserts them all', async () => {
      const res = await h.postCsv(`${url}?mode=atomic`, [t.csv(311), t.csv(312)].join('\n'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ processed: 2, inserted: 2, already_exists: 0, rejected: 0, errors: [] });
    });

    it('atomic with rows already present is not a failure: they count as already_exists', async () => {
      await h.postJson(url, [t.row(321)]);
      const res = await h.postJson(`${url}?mode=atomic`, [t.row(321), t.row(322)]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ processed: 2, inserted: 1, already_exists: 1, rejected: 0 });
    });

    it('a repeated id inside one batch is rejected as duplicate_id, the first one is inserted', async () => {
      const dup = { ...t.row(401) };
      const res = await h.postJson(url, [t.row(401), dup, t.row(402)]);
      expect(res.body).toMatchObject({ processed: 3, inserted: 2, already_exists: 0, rejected: 1 });
      expect(res.body.errors).toEqual([expect.objectContaining({ index: 1, id: '401', reasons: ['duplicate_id'] })]);
    });

    it('a repeat of an id that was already present still counts as duplicate_id after the first', async () => {
      await h.postJson(url, [t.row(411)]);
      const res = await h.postJson(url, [t.row(411), t.row(411)]);
      expect(res.body).toMatchObject({ processed: 2, inserted: 0, already_exists: 1, rejected: 1 });
      expect(res.body.errors[0]).toMatchObject({ index: 1, reasons: ['duplicate_id'] });
    });

    it('a row with a key that is not a column is rejected, not trimmed', async () => {
      const res = await h.postJson(url, [{ ...t.row(501), extra: 'surprise' }, t.row(502)]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ processed: 2, inserted: 1, rejected: 1 });
      expect(res.body.errors[0]).toMatchObject({ index: 0, reasons: ['field_count'] });
      // It was not inserted with the extra key dropped.
      expect((await h.postJson(url, [t.row(501)])).body).toMatchObject({ inserted: 1 });
    });

    it('missing keys and null values are missing_<column>', async () => {
      const withoutLast = { ...t.row(601) };
      delete withoutLast[t.columns.at(-1)!];
      const withNull = { ...t.row(602), [t.columns[1]]: null };
      const res = await h.postJson(url, [withoutLast, withNull]);
      expect(res.body).toMatchObject({ processed: 2, inserted: 0, rejected: 2 });
      expect(res.body.errors[0].reasons).toEqual([`missing_${t.columns.at(-1)}`]);
      expect(res.body.errors[1].reasons).toEqual([`missing_${t.columns[1]}`]);
    });

    it('0 rows is a 400 (JSON [] and an empty CSV body)', async () => {
      for (const res of [await h.postJson(url, []), await h.postCsv(url, ''), await h.postCsv(url, '\n\r\n\n')]) {
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      }
    });

    it('1001 rows is a 400 and nothing is written', async () => {
      const rows = ids(1000, 1001).map((id) => t.row(id));
      const json = await h.postJson(url, rows);
      expect(json.status).toBe(400);
      const csv = await h.postCsv(url, ids(1000, 1001).map((id) => t.csv(id)).join('\n'));
      expect(csv.status).toBe(400);
      const probe = await h.postJson(url, [t.row(1000), t.row(2000)]);
      expect(probe.body).toMatchObject({ inserted: 2, already_exists: 0 });
    });

    it('exactly 1000 rows is accepted and inserted in full', async () => {
      const res = await h.postJson(url, ids(5000, 1000).map((id) => t.row(id)));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ processed: 1000, inserted: 1000, already_exists: 0, rejected: 0, errors: [] });
      const csv = await h.postCsv(`${url}?mode=atomic`, ids(5000, 1000).map((id) => t.csv(id)).join('\n'));
      expect(csv.status).toBe(200);
      expect(csv.body).toMatchObject({ processed: 1000, inserted: 0, already_exists: 1000 });
    });

    it('ids are integers in 1..2147483647', async () => {
      const res = await h.postJson(url, [t.row(2147483647), t.row(0), t.row(2147483648), { ...t.row(1), id: '1.5' }, { ...t.row(1), id: -3 }]);
      expect(res.body).toMatchObject({ processed: 5, inserted: 1, rejected: 4 });
      expect(res.body.errors.map((e: { index: number; reasons: string[] }) => [e.index, e.reasons])).toEqual([
        [1, ['invalid_id']],
        [2, ['invalid_id']],
        [3, ['invalid_id']],
        [4, ['invalid_id']],
      ]);
    });
  });

  describe('request bodies that are not a batch', () => {
    const url = '/api/v1/departments/batch';

    it('bad JSON is a 400 and writes nothing', async () => {
      for (const body of ['[{"id": 1, "department": "A"}', '{not json', '']) {
        const res = await h.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect(res.status, body).toBe(400);
        expect(res.body.error.code).toEqual(expect.any(String));
      }
      expect((await h.postJson(url, [{ id: 1000, department: 'A' }])).body).toMatchObject({ inserted: 1 });
    });

    it('JSON that is not an array of flat objects is a 400', async () => {
      for (const body of [{ id: 1, department: 'A' }, [1, 2], ['a'], [{ id: 1, department: { nested: true } }], null]) {
        const res = await h.postJson(url, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
      }
    });

    it('an array of arrays is not an array of objects: 400', async () => {
      const res = await h.postJson(url, [[1001, 'A']]);
      expect(res.status).toBe(400);
    });

    it('a JSON content type with a charset is accepted', async () => {
      const res = await h.request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify([{ id: 77, department: 'Charset' }]),
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ inserted: 1 });
    });

    it('other content types are a 415', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
        const res = await h.request(url, { method: 'POST', headers: { 'content-type': type }, body: '1,A' });
        expect(res.status, type).toBe(415);
      }
      const none = await h.request(url, { method: 'POST', body: new Uint8Array([49, 44, 65]) });
      expect(none.status).toBe(415);
      expect((await h.postJson(url, [{ id: 1001, department: 'A' }])).body).toMatchObject({ inserted: 1 });
    });

    it('an unknown mode is a 400 and an unknown table a 404', async () => {
      expect((await h.postJson(`${url}?mode=yolo`, [{ id: 1, department: 'A' }])).status).toBe(400);
      expect((await h.postJson('/api/v1/employees/batch', [{ id: 1 }])).status).toBe(404);
      expect((await h.postJson(url, [{ id: 1001, department: 'A' }])).body).toMatchObject({ inserted: 1 });
    });
  });

  describe('hired employees rules through the batch endpoint', () => {
    const url = '/api/v1/hired-employees/batch';
    const person = (id: number, over: Row = {}): Row => ({
      id,
      name: `Person ${id}`,
      datetime: '2021-07-01T00:00:00Z',
      department_id: 1,
      job_id: 1,
      ...over,
    });

    it('unknown_department and unknown_job name the missing dimension rows', async () => {
      const res = await h.postJson(url, [
        person(1, { department_id: 99 }),
        person(2, { job_id: 98 }),
        person(3, { department_id: 97, job_id: 96 }),
        person(4),
      ]);
      expect(res.body).toMatchObject({ processed: 4, inserted: 1, already_exists: 0, rejected: 3 });
      const reasons = res.body.errors.map((e: { index: number; reasons: string[] }) => [e.index, [...e.reasons].sort()]);
      expect(reasons).toEqual([
        [0, ['unknown_department']],
        [1, ['unknown_job']],
        [2, ['unknown_department', 'unknown_job']],
      ]);
    });

    it('a department inserted by an earlier batch is known to the next one', async () => {
      expect((await h.postJson(url, [person(10, { department_id: 50 })])).body).toMatchObject({ rejected: 1 });
      await h.postJson('/api/v1/departments/batch', [{ id: 50, department: 'Fifty' }]);
      expect((await h.postJson(url, [person(10, { department_id: 50 })])).body).toMatchObject({ inserted: 1, rejected: 0 });
    });

    it('checks department_id, job_id, datetime and name lengths', async () => {
      const res = await h.postJson(url, [
        person(20, { department_id: 'one' }),
        person(21, { job_id: 0 }),
        person(22, { datetime: '2021-13-01T00:00:00Z' }),
        person(23, { datetime: '2021-06-01 10:00:00' }),
        person(24, { datetime: '2020-02-29T12:00:00.123456+05:30' }),
        person(25, { name: 'x'.repeat(101) }),
        person(26, { name: 'y'.repeat(100) }),
        person(27, { name: '   ' }),
        person(28, { datetime: '2021-02-29T00:00:00Z' }),
      ]);
      const byIndex = Object.fromEntries(
        res.body.errors.map((e: { index: number; reasons: string[] }) => [e.index, [...e.reasons].sort()]),
      );
      expect(byIndex).toEqual({
        0: ['invalid_department_id'],
        1: ['invalid_job_id'],
        2: ['invalid_datetime'],
        3: ['invalid_datetime'],
        5: ['too_long_name'],
        7: ['missing_name'],
        8: ['invalid_datetime'],
      });
      expect(res.body).toMatchObject({ processed: 9, inserted: 2, rejected: 7 });
    });

    it('several problems in one row are all listed', async () => {
      const res = await h.postJson(url, [{ id: '', name: '', datetime: 'yesterday', department_id: 'x', job_id: '' }]);
      expect(res.body.errors).toHaveLength(1);
      expect([...res.body.errors[0].reasons].sort()).toEqual(
        ['invalid_datetime', 'invalid_department_id', 'missing_id', 'missing_job_id', 'missing_name'].sort(),
      );
      expect(res.body.errors[0].id).toBeNull();
    });
  });
});
