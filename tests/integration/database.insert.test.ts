// The Database contract on every test database: insertBatch, its checkpoints and leases, dataVersion,
// concurrent batches and what PostgreSQL refuses.
import { describe, expect, it, vi } from 'vitest';
import { LeaseLostError, type Database, type TaskCheckpoint } from '../../shared/ports/database.port.ts';
import type { NewTask, Task } from '../../shared/domain/task.ts';
import { sortHiredByQuarter, sortHiringAboveAverage } from '../../shared/domain/reports.ts';
import { openPostgresDatabase } from '../../shared/adapters/db/postgres.database.ts';
import { asCopyText, encodeCopyLines } from '../../shared/domain/copy-text.ts';
import { toColumns } from '../../shared/domain/row-columns.ts';
import { TEST_DATABASES, useFreshDatabase, type TestDatabase } from '../helpers/databases.ts';
import {
  claimRunningTask,
  dept,
  epochMicros,
  expectAggregatesMatchStoredRows,
  hire,
  job,
  randomHires,
  range,
  reject,
  storedHires,
} from '../helpers/db-fixtures.ts';

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let t: TestDatabase;
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    t = opened;
    db = opened.db;
  });

  /** Enqueues a task and claims it for `owner`; fails the test if another task is claimed. */
  const runningTask = (owner: string, table?: NewTask['table_name'], now?: number): Promise<Task> => claimRunningTask(db, owner, table, now);

  describe('insertBatch', () => {
    it('counts inserted and already_exists exactly and never overwrites a row', async () => {
      expect(await db.insertBatch('departments', [dept(1, 'Sales'), dept(2, 'Legal')])).toEqual({ inserted: 2, already_exists: 0 });
      expect(await db.insertBatch('departments', [dept(2, 'Legal renamed'), dept(3, 'Support'), dept(1, 'Other')])).toEqual({
        inserted: 1,
        already_exists: 2,
      });
      expect(await db.insertBatch('departments', [dept(3, 'x')])).toEqual({ inserted: 0, already_exists: 1 });
      expect(await db.insertBatch('departments', [])).toEqual({ inserted: 0, already_exists: 0 });
      expect(await t.query('SELECT id, department FROM departments ORDER BY id')).toEqual([
        { id: 1, department: 'Sales' },
        { id: 2, department: 'Legal' },
        { id: 3, department: 'Support' },
      ]);

      expect(await db.insertBatch('jobs', [job(2147483647, 'Max id'), job(1, 'Analyst')])).toEqual({ inserted: 2, already_exists: 0 });
      expect(await db.insertBatch('jobs', [job(1, 'Manager')])).toEqual({ inserted: 0, already_exists: 1 });
      expect(await db.dimensionIds('jobs')).toEqual(new Set([1, 2147483647]));
      expect(await db.dimensionIds('departments')).toEqual(new Set([1, 2, 3]));

      const first = [hire(10, '2021-01-05T10:00:00Z', 1, 1), hire(11, '2021-02-05T10:00:00Z', 2, 1)];
      expect(await db.insertBatch('hired_employees', first)).toEqual({ inserted: 2, already_exists: 0 });
      expect(
        await db.insertBatch('hired_employees', [hire(11, '2022-07-07T07:07:07Z', 3, 2147483647, 'Someone else'), hire(12, '2021-03-05T10:00:00Z', 1, 1)]),
      ).toEqual({ inserted: 1, already_exists: 1 });
      const stored = await storedHires(t, kind);
      expect(stored.find((h) => h.id === 11)).toEqual({
        id: 11,
        name: 'Employee 11',
        micros: epochMicros('2021-02-05T10:00:00Z'),
        department_id: 2,
        job_id: 1,
      });
      expect(stored.map((h) => h.id)).toEqual([10, 11, 12]);
    });

    it('stores names with tab, newline, carriage return, backslash, quotes and non-ASCII text exactly', async () => {
      const names = [
        'Tab\there',
        'Line\nbreak',
        'CR\r\nLF',
        'Back\\slash',
        '\\N',
        '\\.',
        'ends with backslash\\',
        '\\t not a tab',
        'Quote " and \' and ,',
        'Ünïcødé 😀 日本語',
        'x'.repeat(100),
      ];
      const rows = names.map((name, i) => dept(i + 1, name));
      expect(await db.insertBatch('departments', rows)).toEqual({ inserted: names.length, already_exists: 0 });
      expect(await t.query('SELECT id, department FROM departments ORDER BY id')).toEqual(rows);

      const hires = names.map((name, i) => hire(i + 1, '2021-05-05T05:05:05Z', 1, 1, name));
      await db.insertBatch('hired_employees', hires);
      expect((await storedHires(t, kind)).map((h) => h.name)).toEqual(names);
    });

    it('takes a large batch in one call (several COPY chunks on PostgreSQL) with every value intact', async () => {
      const rows = range(1, 6000).map((id) => dept(id, `${id}\t${'é\\'.repeat(id % 45)}\n`.padEnd(100, 'x')));
      expect(await db.insertBatch('departments', rows)).toEqual({ inserted: 6000, already_exists: 0 });
      expect(await db.insertBatch('departments', rows.slice(5990).concat(dept(6001, 'last')))).toEqual({ inserted: 1, already_exists: 10 });
      expect(await t.query('SELECT id, department FROM departments ORDER BY id')).toEqual([...rows, dept(6001, 'last')]);
    });

    it('answers the reports right on edge datetimes (quarter, day and year bounds, no offset, fractions)', async () => {
      await db.insertBatch('departments', [dept(1, 'A'), dept(2, 'B'), dept(3, 'C')]);
      await db.insertBatch('jobs', [job(1, 'X'), job(2, 'Y')]);
      const edge = [
        hire(1, '2021-03-31T23:59:59.999999Z', 1, 1), // last microsecond of a day and of Q1
        hire(2, '2021-04-01T00:00:00Z', 1, 1),
        hire(3, '2021-06-15T12:00:00', 1, 2), // no offset: UTC
        hire(4, '2021-07-01T08:30:15.5Z', 2, 2), // fractional second
        hire(5, '2021-12-31T23:59:59.999999Z', 2, 1),
        hire(6, '2022-01-01T00:00:00.000001Z', 2, 1),
        hire(7, '2021-03-31T00:00:00Z', 1, 1), // same key and day as id 1
        hire(8, '2021-06-15T23:59:59', 1, 2), // same day as id 3, offset-less near midnight
      ];
      expect(await db.insertBatch('hired_employees', edge)).toEqual({ inserted: 8, already_exists: 0 });
      // The last microsecond of a quarter stays in it; offset-less values are UTC.
      expect(sortHiredByQuarter(await db.reports.hiredByQuarter(2021))).toEqual([
        { department: 'A', job: 'X', Q1: 2, Q2: 1, Q3: 0, Q4: 0 },
        { department: 'A', job: 'Y', Q1: 0, Q2: 2, Q3: 0, Q4: 0 },
        { department: 'B', job: 'X', Q1: 0, Q2: 0, Q3: 0, Q4: 1 },
        { department: 'B', job: 'Y', Q1: 0, Q2: 0, Q3: 1, Q4: 0 },
      ]);
      expect(await db.reports.hiredByQuarter(2022)).toEqual([{ department: 'B', job: 'X', Q1: 1, Q2: 0, Q3: 0, Q4: 0 }]);
      expect(await db.reports.hiredByQuarter(2020)).toEqual([]);
      // 2021: A 5 (ids 1, 2, 3, 7, 8), B 2 (ids 4, 5; id 6 is in 2022), C 0 → mean 7/3: only A is above it.
      expect(sortHiringAboveAverage(await db.reports.hiringAboveAverage(2021))).toEqual([{ id: 1, department: 'A', hired: 5 }]);
      // 2022: B 1 (its first microsecond), A 0, C 0 → mean 1/3.
      expect(await db.reports.hiringAboveAverage(2022)).toEqual([{ id: 2, department: 'B', hired: 1 }]);
      expect(await db.reports.hiringAboveAverage(2020)).toEqual([]);
      await expectAggregatesMatchStoredRows(t, kind);

      // The stored instants keep microseconds, and offset-less values were read as UTC.
      const stored = await storedHires(t, kind);
      expect(stored.map((h) => h.micros)).toEqual(edge.map((h) => epochMicros(h.datetime)));

      // Overlapping batches: re-sent ids (with other values) must neither count nor change anything.
      const a = randomHires(range(100, 499), 7, 3, 2);
      const b = randomHires(range(300, 699), 8, 3, 2);
      const resent = randomHires(range(1, 8), 9, 3, 2);
      expect(await db.insertBatch('hired_employees', a)).toEqual({ inserted: 400, already_exists: 0 });
      expect(await db.insertBatch('hired_employees', b)).toEqual({ inserted: 200, already_exists: 200 });
      expect(await db.insertBatch('hired_employees', resent)).toEqual({ inserted: 0, already_exists: 8 });

      expect(await storedHires(t, kind)).toHaveLength(608);
      await expectAggregatesMatchStoredRows(t, kind);
      // What the ids 300..499 hold is batch a's values, not batch b's.
      const byId = new Map((await storedHires(t, kind)).map((h) => [h.id, h]));
      for (const h of a.filter((r) => r.id >= 300)) {
        expect(byId.get(h.id)).toMatchObject({ micros: epochMicros(h.datetime), department_id: h.department_id, job_id: h.job_id });
      }
      for (const h of edge) expect(byId.get(h.id)!.micros).toBe(epochMicros(h.datetime));
    });

    it('grows dataVersion only when something is inserted', async () => {
      const v0 = await db.dataVersion();
      expect(typeof v0).toBe('number');
      await db.insertBatch('departments', [dept(1, 'A')]);
      const v1 = await db.dataVersion();
      expect(v1).toBeGreaterThan(v0);
      await db.insertBatch('departments', [dept(1, 'A again')]);
      await db.insertBatch('departments', []);
      expect(await db.dataVersion()).toBe(v1);

      const task = await runningTask('owner-a', 'departments');
      await db.insertBatch('departments', [], { taskId: task.id, owner: 'owner-a', line: 3, bytesRead: 30, rejects: [reject(2, 'x', 'x', ['invalid_id'])] });
      await db.insertBatch('departments', [dept(1, 'A')], { taskId: task.id, owner: 'owner-a', line: 4, bytesRead: 40, rejects: [] });
      expect(await db.dataVersion()).toBe(v1);

      await db.insertBatch('jobs', [job(1, 'X'), job(2, 'Y')]);
      const v2 = await db.dataVersion();
      expect(v2).toBeGreaterThan(v1);
      // Hires bump it when they are folded into the reports' rollup, not as they are written.
      await db.insertBatch('hired_employees', [hire(1, '2021-01-01T00:00:00Z', 1, 1)]);
      expect(await db.dataVersion()).toBe(v2);
      await db.reports.foldPending();
      const v3 = await db.dataVersion();
      expect(v3).toBeGreaterThan(v2);
      await db.insertBatch('hired_employees', [hire(1, '2021-01-01T00:00:00Z', 1, 1)]);
      await db.reports.foldPending();
      expect(await db.dataVersion()).toBe(v3);
    });
  });

  describe('checkpoints', () => {
    it('stores rejects and advances the task counts in the batch transaction', async () => {
      await db.insertBatch('departments', [dept(1, 'Existing')]);
      const task = await runningTask('loader-1', 'departments');
      const rejects1 = [
        reject(3, '7', '7,', ['missing_department']),
        reject(2, null, 'garbage\twith "tab"\\ and \r\n newline ü', ['field_count']),
        reject(5, 'abc', 'abc,', ['invalid_id', 'missing_department']),
      ];
      const result = await db.insertBatch('departments', [dept(1, 'Again'), dept(2, 'New'), dept(4, 'Newer')], {
        taskId: task.id,
        owner: 'loader-1',
        line: 6,
        bytesRead: 120,
        rejects: rejects1,
      });
      expect(result).toEqual({ inserted: 2, already_exists: 1 });
      let stored = (await db.tasks.get(task.id))!;
      expect(stored).toMatchObject({ checkpoint_line: 6, bytes_read: 120, status: 'running', lease_owner: 'loader-1' });
      expect(stored.summary).toEqual({ processed: 6, inserted: 2, already_exists: 1, rejected: 3 });

      await db.insertBatch('departments', [dept(8, 'Eight')], {
        taskId: task.id,
        owner: 'loader-1',
        line: 9,
        bytesRead: 200,
        rejects: [reject(7, '2', '2,Dup', ['duplicate_id'])],
      });
      stored = (await db.tasks.get(task.id))!;
      expect(stored).toMatchObject({ checkpoint_line: 9, bytes_read: 200 });
      expect(stored.summary).toEqual({ processed: 8, inserted: 3, already_exists: 1, rejected: 4 });
      const s = stored.summary;
      expect(s.processed).toBe(s.inserted + s.already_exists + s.rejected);

      const { rejects, total } = await db.tasks.rejects(task.id, { limit: 100, offset: 0 });
      expect(total).toBe(4);
      expect(rejects).toEqual([rejects1[1], rejects1[0], rejects1[2], reject(7, '2', '2,Dup', ['duplicate_id'])]);

      // Finishing keeps the counts.
      expect(await db.tasks.finish(task.id, 'loader-1', { error: null }, 5_000)).toBe(true);
      const done = (await db.tasks.get(task.id))!;
      expect(done.summary).toEqual(s);
      expect(done).toMatchObject({ status: 'done', checkpoint_line: 9, bytes_read: 200, finished_at: 5_000, lease_owner: null });
    });

    it('throws LeaseLostError and writes nothing when the lease is not the caller’s', async () => {
      await db.insertBatch('hired_employees', [hire(1, '2021-01-01T00:00:00Z', 1, 1)]);
      const task = await runningTask('owner-a');
      await db.insertBatch('hired_employees', [hire(2, '2021-01-02T00:00:00Z', 1, 1)], {
        taskId: task.id,
        owner: 'owner-a',
        line: 2,
        bytesRead: 50,
        rejects: [reject(1, 'id', 'id,name', ['field_count'])],
      });
      const before = {
        task: await db.tasks.get(task.id),
        rejects: await db.tasks.rejects(task.id, { limit: 10, offset: 0 }),
        version: await db.dataVersion(),
        hires: await storedHires(t, kind),
      };
      const after = async () => ({
        task: await db.tasks.get(task.id),
        rejects: await db.tasks.rejects(task.id, { limit: 10, offset: 0 }),
        version: await db.dataVersion(),
        hires: await storedHires(t, kind),
      });
      const attempt = (checkpoint: TaskCheckpoint) =>
        db.insertBatch('hired_employees', [hire(1, '2021-01-01T00:00:00Z', 1, 1), hire(3, '2021-01-03T00:00:00Z', 1, 1), hire(4, '2021-01-03T01:00:00Z', 2, 2)], checkpoint);
      const lost = { line: 9, bytesRead: 900, rejects: [reject(5, '5', '5,x', ['invalid_datetime'])] };

      // Another owner.
      await expect(attempt({ taskId: task.id, owner: 'owner-b', ...lost })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await after()).toEqual(before);
      // A task that does not exist.
      await expect(attempt({ taskId: task.id + 1000, owner: 'owner-a', ...lost })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await after()).toEqual(before);

      // The lease expired and another loader took the task over.
      const takenOver = await db.tasks.claim('owner-b', 1_000 + 60_001, 60_000);
      expect(takenOver).toMatchObject({ id: task.id, lease_owner: 'owner-b', attempts: 2 });
      const beforeTakeover = { ...before, task: await db.tasks.get(task.id) };
      await expect(attempt({ taskId: task.id, owner: 'owner-a', ...lost })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await after()).toEqual(beforeTakeover);

      // A finished task takes no more checkpoints, even from its last owner.
      expect(await db.tasks.finish(task.id, 'owner-b', { error: null }, 70_000)).toBe(true);
      const finished = { ...before, task: await db.tasks.get(task.id) };
      await expect(attempt({ taskId: task.id, owner: 'owner-b', ...lost })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await after()).toEqual(finished);

      // The failed transactions left nothing behind that later batches would pick up.
      for (let i = 0; i < 8; i++) {
        expect(await db.insertBatch('hired_employees', [hire(100 + i, '2021-02-01T00:00:00Z', 1, 1)])).toEqual({ inserted: 1, already_exists: 0 });
      }
      expect((await storedHires(t, kind)).map((h) => h.id)).toEqual([1, 2, ...range(100, 107)]);
      await expectAggregatesMatchStoredRows(t, kind);
    });
  });

  describe('concurrent batches', () => {
    it('overlapping batches from several connections count every id once and keep the reports exact', async () => {
      const other = await t.openAnother();
      await db.insertBatch('departments', [dept(1, 'd1'), dept(2, 'D2'), dept(3, 'd3'), dept(4, 'd4'), dept(5, 'none')]);
      await db.insertBatch('jobs', [job(1, 'j1'), job(2, 'j2'), job(3, 'J3')]);
      const batches = [
        randomHires(range(1, 200), 1, 4, 3),
        randomHires(range(101, 300), 2, 4, 3),
        randomHires(range(51, 250), 3, 4, 3),
        randomHires(range(1, 300), 4, 4, 3),
      ];
      const results = await Promise.all(batches.map((rows, i) => (i % 2 ? other : db).insertBatch('hired_employees', rows)));
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(300);
      expect(results.reduce((n, r) => n + r.already_exists, 0)).toBe(900 - 300);
      expect(await storedHires(t, kind)).toHaveLength(300);
      await expectAggregatesMatchStoredRows(t, kind);
    });
  });

  describe('postgres deviations', () => {
    it.runIf(kind === 'postgres')('refuses U+0000 in a row or an unescaped reject (validation escapes it), never replacing it', async () => {
      const v0 = await db.dataVersion();
      await expect(db.insertBatch('departments', [dept(1, 'ok'), dept(2, 'a\u0000b')])).rejects.toThrow(/U\+0000/);
      expect(await db.dimensionIds('departments')).toEqual(new Set());
      expect(await db.dataVersion()).toBe(v0);
      const task = await runningTask('a', 'departments');
      const unescaped = reject(2, '1\u0000', '1\u0000,x', ['invalid_id', 'invalid_character']);
      await expect(db.insertBatch('departments', [], { taskId: task.id, owner: 'a', line: 2, bytesRead: 9, rejects: [unescaped] })).rejects.toThrow(/U\+0000/);
      // Rows encoded in the parse thread carry the refusal to the adapter, which raises it before sending anything.
      const asText = asCopyText('departments', { count: 2, columns: toColumns('departments', [dept(1, 'ok'), dept(2, 'a\u0000b')]) });
      const refusal = db.insertBatch('departments', asText, { taskId: task.id, owner: 'a', line: 2, bytesRead: 9, rejects: [] });
      await expect(refusal).rejects.toThrow(new RangeError('PostgreSQL cannot store the character U+0000 in a text value'));
      expect(await db.dimensionIds('departments')).toEqual(new Set());
      expect((await db.tasks.get(task.id))?.checkpoint_line).toBe(0);
      const escaped = reject(2, '1\\u0000', '1\\u0000,x', ['invalid_id', 'invalid_character']);
      await db.insertBatch('departments', [], { taskId: task.id, owner: 'a', line: 2, bytesRead: 9, rejects: [escaped] });
      expect((await db.tasks.rejects(task.id, { limit: 10, offset: 0 })).rejects).toEqual([escaped]);
    });

    it.runIf(kind === 'postgres')('a file load sent as COPY text that meets a concurrent writer falls back to INSERT, decoding the rows from the text', async () => {
      await db.insertBatch('departments', [dept(1, 'Sales')]);
      await db.insertBatch('jobs', [job(1, 'Manager')]);
      const task = await runningTask('a');
      const names = ['tab\there', 'back\\slash \\N', 'ünïcødé 日本語 🚀', 'z'.repeat(100), 'plain'];
      const rows = names.map((name, i) => hire(i + 1, `2021-0${i + 1}-02T03:04:05Z`, 1, 1, name));
      const columns = toColumns('hired_employees', rows);
      const asCopyText = { count: rows.length, columns: { id: columns.id }, copy: encodeCopyLines('hired_employees', { count: rows.length, columns }) };
      // Another writer inserts id 3 after the load's id check and commits while the load's COPY waits on it.
      await t.query('BEGIN');
      await t.query(`INSERT INTO hired_employees (id, name, datetime, department_id, job_id) VALUES (3, 'other writer', '2020-01-01T00:00:00Z', 1, 1)`);
      const [{ xid }] = await t.query('SELECT txid_current()::text AS xid');
      const loading = db.insertBatch('hired_employees', asCopyText, { taskId: task.id, owner: 'a', line: 5, fromLine: 0, bytesRead: 50, rejects: [] });
      await vi.waitFor(
        async () => {
          const waiting = await t.query(`SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' AND transactionid::text = '${xid}'`);
          expect(waiting).toHaveLength(1);
        },
        { timeout: 10_000, interval: 20 },
      );
      await t.query('COMMIT');
      expect(await loading).toEqual({ inserted: 4, already_exists: 1 });
      const stored = await storedHires(t, kind);
      expect(stored.map((h) => [h.id, h.name])).toEqual(rows.map((r) => [r.id, r.id === 3 ? 'other writer' : r.name]));
      expect((await db.tasks.get(task.id))?.summary).toMatchObject({ inserted: 4, already_exists: 1 });
    });

    it.runIf(kind === 'postgres')('accepts only plain lower-case schema names', async () => {
      await expect(openPostgresDatabase('postgres://unused', { schema: 'Bad"Name' })).rejects.toBeInstanceOf(RangeError);
    });
  });
});
