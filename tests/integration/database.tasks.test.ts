// The Database contract on every test database: the task queue (enqueue, claim, renew, finish, retry,
// list, rejects) and concurrent claims.
import { describe, expect, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import type { NewTask, Task } from '../../shared/domain/task.ts';
import { TEST_DATABASES, useFreshDatabase, type TestDatabase } from '../helpers/databases.ts';
import { claimRunningTask, dept, newTask, range, reject } from '../helpers/db-fixtures.ts';

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let t: TestDatabase;
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    t = opened;
    db = opened.db;
  });

  /** Enqueues a task and claims it for `owner`; fails the test if another task is claimed. */
  const runningTask = (owner: string, table?: NewTask['table_name'], now?: number): Promise<Task> => claimRunningTask(db, owner, table, now);

  describe('tasks', () => {
    it('enqueue dedupes by file, version and slice', async () => {
      const base = newTask('departments.csv', 'departments', { bytes_total: 100 });
      const first = await db.tasks.enqueue(base, 1_000);
      expect(first.created).toBe(true);
      expect(first.task).toEqual({
        id: first.task.id,
        file_name: 'departments.csv',
        file_version: 'etag-1',
        table_name: 'departments',
        slice_start: null,
        slice_limit: null,
        status: 'queued',
        checkpoint_line: 0,
        bytes_read: 0,
        bytes_total: 100,
        summary: { processed: 0, inserted: 0, already_exists: 0, rejected: 0 },
        error: null,
        attempts: 0,
        lease_owner: null,
        lease_expires_at: null,
        created_at: 1_000,
        started_at: null,
        finished_at: null,
        updated_at: 1_000,
      } satisfies Task);
      expect(typeof first.task.id).toBe('number');

      const again = await db.tasks.enqueue({ ...base, bytes_total: 999 }, 2_000);
      expect(again).toEqual({ task: first.task, created: false });

      const v2 = await db.tasks.enqueue({ ...base, file_version: 'etag-2' }, 3_000);
      const slice = await db.tasks.enqueue({ ...base, slice_start: 0, slice_limit: 10 }, 3_000);
      const sliceAgain = await db.tasks.enqueue({ ...base, slice_start: 0, slice_limit: 10 }, 4_000);
      const otherSlice = await db.tasks.enqueue({ ...base, slice_start: 10, slice_limit: 10 }, 4_000);
      const openSlice = await db.tasks.enqueue({ ...base, slice_start: 0, slice_limit: null }, 4_000);
      expect([v2.created, slice.created, sliceAgain.created, otherSlice.created, openSlice.created]).toEqual([true, true, false, true, true]);
      expect(sliceAgain.task.id).toBe(slice.task.id);
      expect(slice.task).toMatchObject({ slice_start: 0, slice_limit: 10 });
      const ids = new Set([first.task.id, v2.task.id, slice.task.id, otherSlice.task.id, openSlice.task.id]);
      expect(ids.size).toBe(5);
      expect((await db.tasks.list({ limit: 100, offset: 0 })).total).toBe(5);
    });

    it('enqueue of the same file from many callers at once creates one task', async () => {
      const other = await t.openAnother();
      const results = await Promise.all(
        range(1, 12).map((i) => (i % 2 ? db : other).tasks.enqueue(newTask('jobs.csv', 'jobs'), 1_000 + i)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
    });

    it('a NewTask with an error is created failed and is never claimed or retried', async () => {
      const { task, created } = await db.tasks.enqueue(
        { file_name: 'notes.txt', file_version: 'v1', table_name: null, bytes_total: 5, error: 'no table takes notes.txt' },
        3_000,
      );
      expect(created).toBe(true);
      expect(task).toMatchObject({ status: 'failed', error: 'no table takes notes.txt', table_name: null, finished_at: 3_000, attempts: 0 });
      expect(await db.tasks.claim('loader', 4_000, 1_000)).toBeNull();
      expect(await db.tasks.retry(task.id, 5_000)).toBeNull();
      expect((await db.tasks.get(task.id))!.status).toBe('failed');
    });

    it('claims departments and jobs before hired_employees, which wait while a dimension task is queued or running', async () => {
      const h1 = (await db.tasks.enqueue(newTask('hired_employees_1.csv', 'hired_employees'), 1_000)).task;
      const d = (await db.tasks.enqueue(newTask('departments.csv', 'departments'), 1_001)).task;
      const j = (await db.tasks.enqueue(newTask('jobs.csv', 'jobs'), 1_002)).task;
      const h2 = (await db.tasks.enqueue(newTask('hired_employees_2.csv', 'hired_employees'), 1_003)).task;

      const first = await db.tasks.claim('a', 2_000, 10_000);
      expect(first).toMatchObject({
        id: d.id,
        status: 'running',
        lease_owner: 'a',
        lease_expires_at: 12_000,
        attempts: 1,
        started_at: 2_000,
        updated_at: 2_000,
      });
      expect((await db.tasks.claim('b', 2_001, 10_000))?.id).toBe(j.id);
      // Both dimension tasks are running: hired_employees must wait.
      expect(await db.tasks.claim('c', 2_002, 10_000)).toBeNull();
      expect(await db.tasks.finish(d.id, 'a', { error: null }, 3_000)).toBe(true);
      expect(await db.tasks.claim('c', 3_001, 10_000)).toBeNull(); // jobs still running
      expect(await db.tasks.finish(j.id, 'b', { error: 'boom' }, 3_002)).toBe(true);
      expect((await db.tasks.claim('c', 3_003, 10_000))?.id).toBe(h1.id);

      // A dimension task queued again (retry) blocks the remaining hired_employees task.
      expect((await db.tasks.retry(j.id, 3_004))?.status).toBe('queued');
      expect((await db.tasks.claim('d', 3_005, 10_000))?.id).toBe(j.id);
      expect(await db.tasks.claim('e', 3_006, 10_000)).toBeNull();
      expect(await db.tasks.finish(j.id, 'd', { error: null }, 3_007)).toBe(true);
      expect((await db.tasks.claim('e', 3_008, 10_000))?.id).toBe(h2.id);
      expect(await db.tasks.claim('f', 3_009, 10_000)).toBeNull();

      // A queued dimension task enqueued later still goes first.
      const h3 = (await db.tasks.enqueue(newTask('hired_employees_3.csv', 'hired_employees'), 4_000)).task;
      const d2 = (await db.tasks.enqueue(newTask('departments_2.csv', 'departments'), 4_001)).task;
      expect((await db.tasks.claim('g', 4_002, 10_000))?.id).toBe(d2.id);
      expect(await db.tasks.claim('g', 4_003, 10_000)).toBeNull();
      await db.tasks.finish(d2.id, 'g', { error: null }, 4_004);
      expect((await db.tasks.claim('g', 4_005, 10_000))?.id).toBe(h3.id);
    });

    it('an expired lease lets another owner claim the task; the old owner can no longer renew or finish', async () => {
      const { task } = await db.tasks.enqueue(newTask('departments.csv', 'departments'), 500);
      expect((await db.tasks.claim('a', 1_000, 100))?.id).toBe(task.id);
      expect(await db.tasks.claim('b', 1_050, 100)).toBeNull();
      expect(await db.tasks.claim('b', 1_100, 100)).toBeNull(); // expires at 1_100: not yet past
      const taken = await db.tasks.claim('b', 1_101, 100);
      expect(taken).toMatchObject({ id: task.id, lease_owner: 'b', lease_expires_at: 1_201, attempts: 2, started_at: 1_000, status: 'running' });
      expect(await db.tasks.renew(task.id, 'a', 1_102, 100)).toBe(false);
      expect(await db.tasks.finish(task.id, 'a', { error: null }, 1_103)).toBe(false);
      expect(await db.tasks.renew(task.id, 'b', 1_150, 1_000)).toBe(true);
      expect(await db.tasks.get(task.id)).toMatchObject({ lease_owner: 'b', lease_expires_at: 2_150, updated_at: 1_150 });
      expect(await db.tasks.claim('c', 1_300, 100)).toBeNull(); // renewed: not expired
      expect(await db.tasks.finish(task.id, 'b', { error: null }, 1_400)).toBe(true);
      expect(await db.tasks.get(task.id)).toMatchObject({
        status: 'done',
        lease_owner: null,
        lease_expires_at: null,
        finished_at: 1_400,
        updated_at: 1_400,
        error: null,
      });
      expect(await db.tasks.claim('c', 999_999, 100)).toBeNull(); // done tasks are never claimed
      expect(await db.tasks.renew(task.id, 'b', 1_500, 100)).toBe(false);
      expect(await db.tasks.finish(task.id, 'b', { error: 'late' }, 1_500)).toBe(false);
    });

    it('renew, finish and retry follow the lease and the status', async () => {
      const task = await runningTask('a', 'departments', 1_000);
      await db.insertBatch('departments', [dept(1, 'A')], { taskId: task.id, owner: 'a', line: 4, bytesRead: 44, rejects: [reject(2, null, ',', ['missing_id', 'missing_department'])] });
      expect(await db.tasks.retry(task.id, 1_500)).toBeNull(); // running: not retryable
      expect(await db.tasks.renew(task.id, 'z', 1_500, 10)).toBe(false);
      expect(await db.tasks.finish(task.id, 'z', { error: 'x' }, 1_500)).toBe(false);
      expect(await db.tasks.renew(task.id, 'a', 1_600, 5_000)).toBe(true);
      expect(await db.tasks.finish(task.id, 'a', { error: 'disk on fire' }, 2_000)).toBe(true);
      const failed = (await db.tasks.get(task.id))!;
      expect(failed).toMatchObject({ status: 'failed', error: 'disk on fire', finished_at: 2_000, lease_owner: null, lease_expires_at: null });
      expect(await db.tasks.finish(task.id, 'a', { error: null }, 2_001)).toBe(false);

      const retried = await db.tasks.retry(task.id, 3_000);
      expect(retried).toMatchObject({
        id: task.id,
        status: 'queued',
        error: null,
        finished_at: null,
        updated_at: 3_000,
        checkpoint_line: 4,
        bytes_read: 44,
        attempts: 1,
        started_at: 1_000,
      });
      expect(retried!.summary).toEqual({ processed: 2, inserted: 1, already_exists: 0, rejected: 1 });
      expect(await db.tasks.retry(task.id, 3_001)).toBeNull(); // queued: not retryable
      expect(await db.tasks.retry(task.id + 1000, 3_001)).toBeNull(); // unknown
      expect(await db.tasks.get(task.id + 1000)).toBeNull();

      const again = await db.tasks.claim('b', 4_000, 1_000);
      expect(again).toMatchObject({ id: task.id, attempts: 2, started_at: 1_000, checkpoint_line: 4 });
      expect(await db.tasks.finish(task.id, 'b', { error: null }, 5_000)).toBe(true);
      expect(await db.tasks.retry(task.id, 6_000)).toBeNull(); // done: not retryable
      const done = (await db.tasks.get(task.id))!;
      expect(done.status).toBe('done');
      expect(done.summary).toEqual({ processed: 2, inserted: 1, already_exists: 0, rejected: 1 });
    });

    it('never hands one task to two owners when many claim at once', async () => {
      const other = await t.openAnother();
      const queued = [];
      for (let i = 1; i <= 5; i++) queued.push((await db.tasks.enqueue(newTask(`departments_${i}.csv`, 'departments'), i)).task.id);
      const claims = await Promise.all(
        range(1, 20).map((i) => (i % 2 ? db : other).tasks.claim(`owner-${i}`, 1_000, 60_000).then((task) => ({ owner: `owner-${i}`, task }))),
      );
      const won = claims.filter((c) => c.task !== null);
      expect(won).toHaveLength(5);
      expect(new Set(won.map((c) => c.task!.id))).toEqual(new Set(queued));
      for (const c of won) {
        expect(await db.tasks.get(c.task!.id)).toMatchObject({ lease_owner: c.owner, attempts: 1, status: 'running' });
      }
      expect(await db.tasks.claim('late', 1_001, 60_000)).toBeNull();
    });

    it('lists tasks newest first with the total', async () => {
      const ids = [];
      for (let i = 1; i <= 5; i++) ids.push((await db.tasks.enqueue(newTask(`jobs_${i}.csv`, 'jobs'), i * 10)).task.id);
      const page1 = await db.tasks.list({ limit: 2, offset: 0 });
      expect(page1.total).toBe(5);
      expect(page1.tasks.map((x) => x.id)).toEqual([ids[4], ids[3]]);
      expect(page1.tasks[0].file_name).toBe('jobs_5.csv');
      expect((await db.tasks.list({ limit: 2, offset: 4 })).tasks.map((x) => x.id)).toEqual([ids[0]]);
      expect(await db.tasks.list({ limit: 2, offset: 10 })).toEqual({ tasks: [], total: 5 });
      expect((await db.tasks.list({ limit: 100, offset: 0 })).tasks.map((x) => x.id)).toEqual([...ids].reverse());
    });

    it('pages a task’s rejects by line', async () => {
      const task = await runningTask('a', 'jobs');
      const other = await runningTask('b', 'departments');
      const lines = [9, 2, 14, 5, 3, 11, 7];
      await db.insertBatch('jobs', [], { taskId: task.id, owner: 'a', line: 9, bytesRead: 90, rejects: lines.slice(0, 4).map((l) => reject(l, String(l), `${l},`, ['missing_job'])) });
      await db.insertBatch('jobs', [], { taskId: task.id, owner: 'a', line: 14, bytesRead: 140, rejects: lines.slice(4).map((l) => reject(l, String(l), `${l},`, ['missing_job'])) });
      await db.insertBatch('departments', [], { taskId: other.id, owner: 'b', line: 1, bytesRead: 1, rejects: [reject(1, null, 'x', ['field_count'])] });

      const sorted = [...lines].sort((a, b) => a - b);
      const page = await db.tasks.rejects(task.id, { limit: 3, offset: 0 });
      expect(page.total).toBe(7);
      expect(page.rejects.map((r) => r.line)).toEqual(sorted.slice(0, 3));
      expect(page.rejects[0]).toEqual(reject(2, '2', '2,', ['missing_job']));
      expect((await db.tasks.rejects(task.id, { limit: 3, offset: 3 })).rejects.map((r) => r.line)).toEqual(sorted.slice(3, 6));
      expect((await db.tasks.rejects(task.id, { limit: 3, offset: 6 })).rejects.map((r) => r.line)).toEqual(sorted.slice(6));
      expect(await db.tasks.rejects(task.id, { limit: 3, offset: 7 })).toEqual({ rejects: [], total: 7 });
      expect(await db.tasks.rejects(other.id, { limit: 10, offset: 0 })).toEqual({ rejects: [reject(1, null, 'x', ['field_count'])], total: 1 });
      expect(await db.tasks.rejects(task.id + 1000, { limit: 10, offset: 0 })).toEqual({ rejects: [], total: 0 });
      expect((await db.tasks.get(task.id))!.summary).toEqual({ processed: 7, inserted: 0, already_exists: 0, rejected: 7 });
    });
  });
});
