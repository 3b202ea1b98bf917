import type pg from 'pg';
import type { NewTask } from '../../domain/task.ts';
import type { TaskRepository } from '../../ports/database.port.ts';
import { taskDedupeKey, wholeFileKeys } from './migrations.ts';
import { rejectFromRecord, taskFromRecord, type TaskRecord } from './task-row.ts';
import { CLAIM, ENQUEUE, EXISTING_TASK_KEYS, FINISH, RELEASE, RENEW, RESUME, RETRY } from './postgres.sql.ts';

/** Task ids are BIGINT identities: a number that is not a safe integer names no task. */
export const isRowId = (n: number): boolean => Number.isSafeInteger(n);

/** The tasks and task_rejects tables on PostgreSQL, through the adapter's `query` (bounded, driver errors translated). */
export function postgresTasks(query: (text: string, values?: unknown[]) => Promise<pg.QueryResult>): TaskRepository {
return {
  async enqueue(t: NewTask, now: number) {
    const key = taskDedupeKey(t);
    const created = await query(ENQUEUE, [
      key,
      t.file_name,
      t.file_version,
      t.table_name,
      t.slice_start ?? null,
      t.slice_limit ?? null,
      t.error ? 'failed' : t.lease ? 'running' : 'queued',
      t.error ?? null,
      t.bytes_total,
      now,
      t.lease?.owner ?? null,
      t.lease?.expiresAt ?? null,
    ]);
    if (created.rows.length > 0) return { task: taskFromRecord(created.rows[0] as TaskRecord), created: true };
    // A concurrent enqueue of the same key has committed by now (ON CONFLICT waited for it).
    const existing = await query('SELECT * FROM tasks WHERE dedupe_key = $1', [key]);
    return { task: taskFromRecord(existing.rows[0] as TaskRecord), created: false };
  },
  async queuedVersions(files) {
    if (files.length === 0) return new Set<string>();
    const versions = wholeFileKeys(files);
    const { rows } = await query(EXISTING_TASK_KEYS, [[...versions.keys()]]);
    return new Set(rows.map((r) => versions.get(r.dedupe_key as string)!));
  },
  async claim(owner, now, leaseMs) {
    const { rows } = await query(CLAIM, [owner, now + leaseMs, now]);
    return rows.length > 0 ? taskFromRecord(rows[0] as TaskRecord) : null;
  },
  async renew(taskId, owner, now, leaseMs) {
    if (!isRowId(taskId)) return false;
    return ((await query(RENEW, [taskId, owner, now, now + leaseMs])).rowCount ?? 0) > 0;
  },
  async release(taskId, owner, now) {
    if (!isRowId(taskId)) return false;
    return ((await query(RELEASE, [taskId, owner, now])).rowCount ?? 0) > 0;
  },
  async resume(taskId, owner, now, leaseMs) {
    if (!isRowId(taskId)) return null;
    const { rows } = await query(RESUME, [taskId, owner, now, now + leaseMs]);
    return rows.length > 0 ? taskFromRecord(rows[0] as TaskRecord) : null;
  },
  async finish(taskId, owner, outcome, now) {
    if (!isRowId(taskId)) return false;
    const status = outcome.error === null ? 'done' : 'failed';
    return ((await query(FINISH, [taskId, owner, status, outcome.error, now])).rowCount ?? 0) > 0;
  },
  async retry(taskId, now) {
    if (!isRowId(taskId)) return null;
    const { rows } = await query(RETRY, [taskId, now]);
    return rows.length > 0 ? taskFromRecord(rows[0] as TaskRecord) : null;
  },
  async get(taskId) {
    if (!isRowId(taskId)) return null;
    const { rows } = await query('SELECT * FROM tasks WHERE id = $1', [taskId]);
    return rows.length > 0 ? taskFromRecord(rows[0] as TaskRecord) : null;
  },
  async list({ limit, offset }) {
    const [page, count] = await Promise.all([
      query('SELECT * FROM tasks ORDER BY id DESC LIMIT $1 OFFSET $2', [limit, offset]),
      query('SELECT COUNT(*)::int AS n FROM tasks'),
    ]);
    return { tasks: page.rows.map((r) => taskFromRecord(r as TaskRecord)), total: count.rows[0].n as number };
  },
  async rejects(taskId, { limit, offset }) {
    if (!isRowId(taskId)) return { rejects: [], total: 0 };
    const [page, count] = await Promise.all([
      query('SELECT * FROM task_rejects WHERE task_id = $1 ORDER BY line LIMIT $2 OFFSET $3', [taskId, limit, offset]),
      query('SELECT COUNT(*)::int AS n FROM task_rejects WHERE task_id = $1', [taskId]),
    ]);
    return { rejects: page.rows.map((r) => rejectFromRecord(r as TaskRecord)), total: count.rows[0].n as number };
  },
  async rejectsAfter(taskId, { afterLine, limit }) {
    if (!isRowId(taskId)) return [];
    const page = await query('SELECT * FROM task_rejects WHERE task_id = $1 AND line > $2 ORDER BY line LIMIT $3', [taskId, afterLine, limit]);
    return page.rows.map((r) => rejectFromRecord(r as TaskRecord));
  },
};
}
