import type { Reject, ReasonCode } from '../../domain/reasons.ts';
import type { Task } from '../../domain/task.ts';
import type { TableName } from '../../domain/tables.ts';

/** A status-table row as every driver returns it (numbers may come back as strings or bigints). */
export type TaskRecord = Record<string, unknown>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function taskFromRecord(r: TaskRecord): Task {
  return {
    id: num(r.id),
    file_name: String(r.file_name),
    file_version: String(r.file_version),
    table_name: (r.table_name ?? null) as TableName | null,
    slice_start: numOrNull(r.slice_start),
    slice_limit: numOrNull(r.slice_limit),
    status: r.status as Task['status'],
    checkpoint_line: num(r.checkpoint_line),
    bytes_read: num(r.bytes_read),
    bytes_total: num(r.bytes_total),
    summary: {
      processed: num(r.processed),
      inserted: num(r.inserted),
      already_exists: num(r.already_exists),
      rejected: num(r.rejected),
    },
    error: (r.error ?? null) as string | null,
    attempts: num(r.attempts),
    lease_owner: (r.lease_owner ?? null) as string | null,
    lease_expires_at: numOrNull(r.lease_expires_at),
    created_at: num(r.created_at),
    started_at: numOrNull(r.started_at),
    finished_at: numOrNull(r.finished_at),
    updated_at: num(r.updated_at),
  };
}

export function rejectFromRecord(r: TaskRecord): Reject {
  return {
    line: num(r.line),
    id: (r.record_id ?? null) as string | null,
    raw: String(r.raw),
    reasons: String(r.reasons).split(',') as ReasonCode[],
  };
}
