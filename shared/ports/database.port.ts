import type { DimensionTable, TableName } from '../domain/tables.ts';
import type { RowsIn } from '../domain/row-columns.ts';
import type { Reject } from '../domain/reasons.ts';
import type { FileVersion, NewTask, Task } from '../domain/task.ts';
import type { HiredByQuarterRow, HiringAboveAverageRow } from '../domain/reports.ts';
import type { ApiKeyRepository } from './api-key.port.ts';

/** What one committed batch advances its task by; applied in the batch's transaction. */
export interface TaskCheckpoint {
  taskId: number;
  /** The lease holder; the commit fails with LeaseLostError when another loader took the task over. */
  owner: string;
  /** Last file line covered by this batch (its outcome is committed with it). */
  line: number;
  /**
   * The checkpoint this batch continues from (the previous batch's line). When given and the task's
   * checkpoint is elsewhere (an earlier commit was lost in a server crash), the commit writes nothing and
   * throws CheckpointGapError.
   */
  fromLine?: number;
  bytesRead: number;
  /** Rejected records of this batch; stored in the rejects table and added to the task's counts. */
  rejects: Reject[];
  /**
   * The commit of the task's previous batch. This batch may do its work meanwhile but commits only after
   * that one did, and rolls back if it failed, so checkpoints advance in file order with nothing skipped.
   */
  after?: Promise<unknown>;
}

export interface BatchResult {
  inserted: number;
  already_exists: number;
}

export class LeaseLostError extends Error {
  constructor(taskId: number, owner: string) {
    super(`task ${taskId}: lease of ${owner} was lost to another loader`);
    this.name = 'LeaseLostError';
  }
}

export class CheckpointGapError extends Error {
  constructor(taskId: number, expected: number, found: number) {
    super(`task ${taskId}: its checkpoint is at line ${found}, not ${expected} (an earlier commit was lost); the load resumes from line ${found}`);
    this.name = 'CheckpointGapError';
  }
}

/**
 * The database behind HireDB: data tables, status table, rejects and reports.
 * Adapters: SQLite (better-sqlite3), PostgreSQL (pg + COPY), SQL Server / Azure SQL (tedious).
 */
export interface Database {
  readonly dialect: 'sqlite' | 'postgres' | 'mssql';
  /** Applies pending schema migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Inserts already-validated rows (ids unique within the call; as objects, or as columns straight from the
   * parse thread) in one transaction; rows whose id is
   * present are left untouched and counted as already_exists. With a checkpoint, the same transaction
   * stores the rejects and advances the task (checkpoint line, bytes, summary counts); it throws
   * LeaseLostError, writing nothing, when the task's lease is no longer the caller's.
   */
  insertBatch<T extends TableName>(table: T, rows: RowsIn<T>, checkpoint?: TaskCheckpoint): Promise<BatchResult>;

  /** Every id present in a dimension table (used to validate department_id and job_id). */
  dimensionIds(table: DimensionTable): Promise<Set<number>>;

  /**
   * Grows each time the data the reports read changes; report caches key on it. Departments and jobs bump
   * it as they are inserted, hires as ReportQueries.foldPending folds them (so concurrent batches of hires
   * share no row): call foldPending first.
   */
  dataVersion(): Promise<number>;

  readonly tasks: TaskRepository;
  readonly reports: ReportQueries;
  /** API keys (see api-key.port.ts). */
  readonly keys: ApiKeyRepository;
}

export interface TaskRepository {
  /** Creates a task unless one exists for the same file, version and slice; returns the task either way. */
  enqueue(task: NewTask, now: number): Promise<{ task: Task; created: boolean }>;
  /**
   * Which of these file versions already have a whole-file task (no slice), as their fileVersionKey; one
   * query however long the list (none when it is empty), so a poll of a large container costs the same
   * round trip whether it holds ten files or ten thousand. A version not in the answer may still have been
   * queued since by another poller: enqueue remains the way to create a task.
   */
  queuedVersions(files: readonly FileVersion[]): Promise<Set<string>>;
  /**
   * Atomically takes the next runnable task for `owner` with a lease until now + leaseMs: a queued one,
   * or a running one whose lease expired (its owner died). hired_employees tasks wait while any
   * departments or jobs task is queued or running. Returns null when there is nothing to do.
   */
  claim(owner: string, now: number, leaseMs: number): Promise<Task | null>;
  /** Extends the lease; false when the task is no longer this owner's. */
  renew(taskId: number, owner: string, now: number, leaseMs: number): Promise<boolean>;
  /**
   * Gives the lease up without ending the task: it goes back to `queued` with its checkpoint, counts and
   * rejects kept, for any loader to claim and resume. False when the task is no longer this owner's.
   */
  release(taskId: number, owner: string, now: number): Promise<boolean>;
  /**
   * Takes one task for `owner` with a lease until now + leaseMs, to resume it from its checkpoint: a failed
   * or queued one, or a running one whose lease expired. Null when it is none of these (done, or running
   * under a live lease).
   */
  resume(taskId: number, owner: string, now: number, leaseMs: number): Promise<Task | null>;
  /** Ends the task done, or failed with the error; false when the task is no longer this owner's. */
  finish(taskId: number, owner: string, outcome: { error: string | null }, now: number): Promise<boolean>;
  /** Puts a failed task back in the queue (it resumes from its checkpoint); null unless it was failed. */
  retry(taskId: number, now: number): Promise<Task | null>;
  get(taskId: number): Promise<Task | null>;
  /** Newest first. */
  list(opts: { limit: number; offset: number }): Promise<{ tasks: Task[]; total: number }>;
  /** Rejected records of a task by line. */
  rejects(taskId: number, opts: { limit: number; offset: number }): Promise<{ rejects: Reject[]; total: number }>;
  /**
   * At most `limit` rejects of a task whose line is after `afterLine`, by line: paging by the last line
   * seen costs the same at the millionth reject as at the first (exports read a whole task this way).
   */
  rejectsAfter(taskId: number, opts: { afterLine: number; limit: number }): Promise<Reject[]>;
}

export interface ReportQueries {
  /** Hires per department and job per quarter of `year` (UTC); any order (the domain sorts). */
  hiredByQuarter(year: number): Promise<HiredByQuarterRow[]>;
  /** Hires per department in `year`, for departments above the mean over all departments; any order. */
  hiringAboveAverage(year: number): Promise<HiringAboveAverageRow[]>;
  /**
   * Folds the writes committed so far into the reports' rollup. The two reports do this themselves before they
   * read; the loader calls it after each task, so the first report after a large load does not pay for it.
   */
  foldPending(): Promise<void>;
}

