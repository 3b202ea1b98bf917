// The Database contract on every test database: release (a stopping loader gives a task back to the queue
// with its checkpoint) and resume (`hiredb load` takes its own interrupted task back).
import { describe, expect, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import { TEST_DATABASES, useFreshDatabase } from '../helpers/databases.ts';
import { claimRunningTask, dept, newTask, reject } from '../helpers/db-fixtures.ts';

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    db = opened.db;
  });

  it('release puts a running task back in the queue with its checkpoint, counts and rejects; only its owner can', async () => {
    const task = await claimRunningTask(db, 'loader-a', 'departments');
    await db.insertBatch('departments', [dept(1, 'Sales'), dept(2, 'Legal')], {
      taskId: task.id,
      owner: 'loader-a',
      line: 3,
      bytesRead: 30,
      rejects: [reject(3, 'x', 'x,Bad', ['invalid_id'])],
    });
    expect(await db.tasks.release(task.id, 'loader-b', 2_000)).toBe(false);
    expect(await db.tasks.release(task.id, 'loader-a', 2_000)).toBe(true);
    const released = (await db.tasks.get(task.id))!;
    expect(released).toMatchObject({
      status: 'queued',
      lease_owner: null,
      lease_expires_at: null,
      checkpoint_line: 3,
      bytes_read: 30,
      summary: { processed: 3, inserted: 2, already_exists: 0, rejected: 1 },
      error: null,
      finished_at: null,
      updated_at: 2_000,
    });
    expect(await db.tasks.release(task.id, 'loader-a', 2_100)).toBe(false); // no longer running
    expect((await db.tasks.rejects(task.id, { limit: 10, offset: 0 })).total).toBe(1);

    // Another loader claims it and goes on from the checkpoint.
    const again = await db.tasks.claim('loader-b', 3_000, 60_000);
    expect(again).toMatchObject({ id: task.id, status: 'running', lease_owner: 'loader-b', checkpoint_line: 3, attempts: 2 });
  });

  it('resume takes a failed, queued or lease-expired task for its owner, never a done one or one under a live lease', async () => {
    const { task } = await db.tasks.enqueue(newTask('departments.csv', 'departments', { lease: { owner: 'cli:1', expiresAt: 61_000 } }), 1_000);
    expect(await db.tasks.resume(task.id, 'cli:2', 2_000, 60_000)).toBeNull(); // cli:1's lease is live
    expect(await db.tasks.finish(task.id, 'cli:1', { error: 'interrupted' }, 3_000)).toBe(true);

    const resumed = await db.tasks.resume(task.id, 'cli:2', 4_000, 60_000);
    expect(resumed).toMatchObject({ id: task.id, status: 'running', lease_owner: 'cli:2', lease_expires_at: 64_000, error: null, finished_at: null, attempts: 2 });
    // Its process died: once the lease ran out, the next run takes it back.
    expect(await db.tasks.resume(task.id, 'cli:3', 63_999, 60_000)).toBeNull();
    expect(await db.tasks.resume(task.id, 'cli:3', 64_001, 60_000)).toMatchObject({ lease_owner: 'cli:3', attempts: 3 });

    expect(await db.tasks.finish(task.id, 'cli:3', { error: null }, 65_000)).toBe(true);
    expect(await db.tasks.resume(task.id, 'cli:4', 66_000, 60_000)).toBeNull();
    expect((await db.tasks.get(task.id))!.status).toBe('done');
    expect(await db.tasks.resume(987_654, 'cli:4', 66_000, 60_000)).toBeNull();
  });
});
