import { describe, expect, it } from 'vitest';
import type { Task } from '../../shared/domain/task.ts';
import { taskView } from '../../shared/domain/task-view.ts';

const task = (over: Partial<Task>): Task => ({
  id: 1, file_name: 'hired_employees.csv', file_version: 'v', table_name: 'hired_employees', slice_start: null, slice_limit: null,
  status: 'running', checkpoint_line: 0, bytes_read: 0, bytes_total: 1000,
  summary: { processed: 0, inserted: 0, already_exists: 0, rejected: 0 }, error: null, attempts: 1,
  lease_owner: 'x', lease_expires_at: 0, created_at: 0, started_at: 0, finished_at: null, updated_at: 0, ...over,
});

describe('taskView pace', () => {
  it('a running task shows rows per second since it started and the seconds left at that pace', () => {
    const t = task({ started_at: 10_000, bytes_read: 250, summary: { processed: 5000, inserted: 5000, already_exists: 0, rejected: 0 } });
    // 5000 rows in 2 s; a quarter of the bytes in 2 s leaves three quarters: 6 s.
    expect(taskView(t, 12_000)).toMatchObject({ rate_rows_per_s: 2500, eta_s: 6 });
  });

  it('is null before any byte is read, and once the task has ended', () => {
    expect(taskView(task({ started_at: 10_000 }), 12_000)).toMatchObject({ rate_rows_per_s: null, eta_s: null });
    const done = task({ status: 'done', started_at: 0, finished_at: 5_000, bytes_read: 1000 });
    expect(taskView(done, 6_000)).toMatchObject({ rate_rows_per_s: null, eta_s: null, timings: { duration_ms: 5_000 } });
  });
});
