import type { Task } from './task.ts';

/**
 * A running task's speed and what is left: rows per second since it started, and the seconds to its end at
 * that pace (from bytes, the only measure of the whole file known before it is read); null otherwise.
 */
export function taskPace(t: Task, now: number): { rate_rows_per_s: number | null; eta_s: number | null } {
  const elapsedMs = t.started_at === null ? 0 : now - t.started_at;
  if (t.status !== 'running' || elapsedMs <= 0 || t.bytes_read <= 0) return { rate_rows_per_s: null, eta_s: null };
  const rate = Math.round((t.summary.processed * 1000) / elapsedMs);
  const bytesLeft = Math.max(0, t.bytes_total - t.bytes_read);
  return { rate_rows_per_s: rate, eta_s: Math.ceil((bytesLeft * elapsedMs) / t.bytes_read / 1000) };
}

/** A task as the API shows it: status, progress with percent, pace, summary, timings and error. */
export function taskView(t: Task, now: number = Date.now()) {
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
    ...taskPace(t, now),
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
