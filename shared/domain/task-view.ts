import type { Task } from './task.ts';

/** A task as the API shows it: status, progress with percent, summary, timings and error. */
export function taskView(t: Task) {
  const percent =
    t.status === 'done' ? 100 : t.bytes_total > 0 ? Math.min(100, Math.floor((t.bytes_read / t.bytes_total) * 1000) / 10) : 0;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: t.id,
    file: t.file_name,
    version: t.file_version,
    table: t.table_name,
    slice: t.slice_start === null ? null : { start: t.slice_start, limit: t.slice_limit },
    status: t.status,
    progress: { line: t.checkpoint_line, bytes_read: t.bytes_read, bytes_total: t.bytes_total, percent },
    summary: t.summary,
    timings: {
      created_at: iso(t.created_at),
      started_at: iso(t.started_at),
      finished_at: iso(t.finished_at),
      duration_ms: t.started_at !== null && t.finished_at !== null ? t.finished_at - t.started_at : null,
    },
    error: t.error,
    attempts: t.attempts,
  };
}
