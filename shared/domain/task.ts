import type { TableName } from './tables.ts';

export type TaskStatus = 'queued' | 'running' | 'done' | 'failed';

/** Counts every load and batch answers with: processed = inserted + already_exists + rejected. */
export interface Summary {
  processed: number;
  inserted: number;
  already_exists: number;
  rejected: number;
}

/** One load of one file version (or of a slice of its rows), as kept in the status table. */
export interface Task {
  id: number;
  file_name: string;
  file_version: string;
  /** null when the file name matches no table (such a task is created failed). */
  table_name: TableName | null;
  /** 0-based index of the first data record to load, and how many; null loads the whole file. */
  slice_start: number | null;
  slice_limit: number | null;
  status: TaskStatus;
  /** Last file line whose outcome is committed; a resumed task continues after it. */
  checkpoint_line: number;
  bytes_read: number;
  bytes_total: number;
  summary: Summary;
  error: string | null;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface NewTask {
  file_name: string;
  file_version: string;
  table_name: TableName | null;
  bytes_total: number;
  slice_start?: number | null;
  slice_limit?: number | null;
  /** Creates the task already failed with this error (a file no table takes). */
  error?: string;
  /** Creates the task already running under this lease (a load the caller runs itself, like the CLI's). */
  lease?: { owner: string; expiresAt: number };
}

/** One version of one file of the Blob container, as a task names it. */
export interface FileVersion {
  file_name: string;
  file_version: string;
}

/** A file version as one string: what TaskRepository.queuedVersions answers, and a poller's `seen` holds. */
export const fileVersionKey = (f: FileVersion): string => `${f.file_name}\u001f${f.file_version}`;
