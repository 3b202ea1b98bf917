// The API's JSON as the page reads it.
export interface Summary {
  processed: number;
  inserted: number;
  already_exists: number;
  rejected: number;
}

export interface TaskView {
  id: number;
  file: string;
  table: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  progress: { line: number; bytes_read: number; bytes_total: number; percent: number };
  rate_rows_per_s: number | null;
  eta_s: number | null;
  summary: Summary;
  timings: { created_at: string; started_at: string | null; finished_at: string | null; duration_ms: number | null };
  error: string | null;
}

export interface RejectView {
  line: number;
  id: string | null;
  raw: string;
  reasons: string[];
}

export type { HiredByQuarterRow, HiringAboveAverageRow } from '../../../shared/domain/reports.ts';
