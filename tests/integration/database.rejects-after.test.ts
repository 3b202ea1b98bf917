// The Database contract for reading a task's rejects after a given line (what exports page with).
import { describe, expect, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import { TEST_DATABASES, useFreshDatabase } from '../helpers/databases.ts';
import { claimRunningTask, reject } from '../helpers/db-fixtures.ts';

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    db = opened.db;
  });

  it('rejectsAfter pages a task’s rejects by the last line read, in line order, and no other task’s', async () => {
    const task = await claimRunningTask(db, 'a', 'jobs');
    const other = await claimRunningTask(db, 'b', 'departments');
    const lines = [9, 2, 14, 5, 3, 11, 7];
    await db.insertBatch('jobs', [], { taskId: task.id, owner: 'a', line: 9, bytesRead: 90, rejects: lines.slice(0, 4).map((l) => reject(l, String(l), `${l},`, ['missing_job'])) });
    await db.insertBatch('jobs', [], { taskId: task.id, owner: 'a', line: 14, bytesRead: 140, rejects: lines.slice(4).map((l) => reject(l, String(l), `${l},`, ['missing_job'])) });
    await db.insertBatch('departments', [], { taskId: other.id, owner: 'b', line: 1, bytesRead: 1, rejects: [reject(1, null, 'x', ['field_count'])] });

    const first = await db.tasks.rejectsAfter(task.id, { afterLine: 0, limit: 3 });
    expect(first).toEqual([2, 3, 5].map((l) => reject(l, String(l), `${l},`, ['missing_job'])));
    expect((await db.tasks.rejectsAfter(task.id, { afterLine: 5, limit: 3 })).map((r) => r.line)).toEqual([7, 9, 11]);
    expect((await db.tasks.rejectsAfter(task.id, { afterLine: 6, limit: 100 })).map((r) => r.line)).toEqual([7, 9, 11, 14]);
    expect(await db.tasks.rejectsAfter(task.id, { afterLine: 14, limit: 3 })).toEqual([]);
    expect((await db.tasks.rejectsAfter(other.id, { afterLine: 0, limit: 3 })).map((r) => r.line)).toEqual([1]);
    expect(await db.tasks.rejectsAfter(task.id + 1000, { afterLine: 0, limit: 3 })).toEqual([]);
  });
});
