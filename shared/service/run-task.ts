import PQueue from 'p-queue';
import type { Task } from '../domain/task.ts';
import type { TableName } from '../domain/tables.ts';
import { CheckpointGapError, LeaseLostError, type Database } from '../ports/database.port.ts';
import type { ByteSource } from '../csv/read-records.ts';
import type { Encoding } from '../csv/decode.ts';
import { dimensionsFor } from './dimensions.ts';
import { MAX_BATCH_RAW_CHARS } from './prepare-batches.ts';
import { prepareBatchesInThread, type ColumnBatch } from './prepare-in-thread.ts';
import { commitUnits, DEFAULT_COMMIT_LIMITS, type CommitLimits } from './commit-units.ts';
import { isTransientError } from '../domain/errors.ts';
import { withRetry, type RetryOptions } from './retry.ts';

/** Commit units of one task sending rows at the same time: one writes while the one before it commits. */
const COMMITS_IN_FLIGHT = 2;

/**
 * Reject text the commits in flight may hold together: a batch that would pass it waits until the commits
 * before it are done. Long rejected records then go one batch at a time, which keeps the text alive in
 * this thread (and so the heap V8 lets grow around it) small; ordinary units hold far less and still
 * go two at a time.
 */
const RAW_CHARS_IN_FLIGHT = 2 * MAX_BATCH_RAW_CHARS;

/** Times one run starts over from the stored checkpoint after finding an earlier commit lost. */
const GAP_RESTARTS = 5;

/** On its 10th claim, a task whose database outage still outlasts the retries ends failed instead of waiting. */
const CLAIMS_BEFORE_OUTAGE_FAILS = 10;

export interface RunTaskOptions {
  /** Who holds the task's lease (a loader process, or the CLI). */
  owner: string;
  /** Valid rows per parse batch (the unit the parse thread hands over). */
  batchSize: number;
  /** How many records, or how long, one transaction of the load holds (LOAD_COMMIT_ROWS, LOAD_COMMIT_MS). */
  commit?: CommitLimits;
  leaseMs: number;
  /** Passed to the parser: the file's encoding without a BOM, and the longest record in bytes. */
  encoding?: Encoding;
  maxRecordBytes?: number;
  now?: () => number;
  /**
   * Stops the task early: no commit is started after it fires (the batches gathered for the next one are
   * dropped, and read again on resume), the commits in flight finish (or roll back), and the task is left
   * `running` under this owner's lease at its last checkpoint, for the caller to release or end.
   */
  signal?: AbortSignal;
  /** Called after each commit with how far the task has come; `records` and `rejected` count that commit's. */
  onProgress?: (progress: { taskId: number; line: number; bytesRead: number; bytesTotal: number; records: number; rejected: number }) => void;
  /** How database calls that failed transiently are retried (attempts: HIREDB_RETRY_ATTEMPTS). */
  retry?: RetryOptions;
  /**
   * A transient failure that outlasts the retries (the database is down): 'fail' ends the task failed
   * with the error (the default, for a caller that gives up, like the CLI); 'release' leaves it to its
   * lease, which is no longer renewed, so that once the database is back a loader (this one or another)
   * claims it and resumes it from its checkpoint.
   */
  onOutage?: 'fail' | 'release';
}

/**
 * Loads one claimed task: streams its file, validates every record and commits it in units of several
 * parse batches (commit-units.ts) in file order, each unit together with the task's checkpoint and rejects,
 * so a crash loses nothing and doubles nothing. Parsing and validating run in a worker thread, overlapping
 * with the commits. Ends the task done or failed.
 */
export async function runTask(
  db: Database,
  task: Task,
  open: () => Promise<ByteSource>,
  opts: RunTaskOptions,
): Promise<Task> {
  const now = opts.now ?? Date.now;
  const renewEvery = Math.max(250, Math.floor(opts.leaseMs / 3));
  let leaseLost = false;
  // The lease is renewed only while commits proceed: once a commit has been waited for during a whole lease
  // period (it hangs, or keeps failing), renewals stop, so the lease lapses and another loader can take over.
  const commits: CommitWatch = { pending: 0, since: now() };
  const renewal = setInterval(() => {
    if (commits.pending > 0 && now() - commits.since > opts.leaseMs) return;
    db.tasks.renew(task.id, opts.owner, now(), opts.leaseMs).then(
      (held) => (leaseLost ||= !held),
      () => {}, // a failed renewal is retried on the next tick; the commit itself checks the lease
    );
  }, renewEvery);
  const latest = async () => (await db.tasks.get(task.id).catch(() => null)) ?? task;
  let error: string | null = null;
  try {
    // A server crash can lose a commit that was already answered (they do not wait for the WAL flush):
    // the next commit finds the checkpoint short of where it continues from, and the load goes on from there.
    for (let restarts = 0, from = task; ; restarts++) {
      try {
        const stopped = await loadFile(db, from, open, opts, commits);
        if (stopped) return latest();
        break;
      } catch (e) {
        if (!(e instanceof CheckpointGapError) || restarts >= GAP_RESTARTS) throw e;
        from = (await withRetry(() => db.tasks.get(task.id), opts.retry)) ?? task;
      }
    }
  } catch (e) {
    if (e instanceof LeaseLostError || leaseLost) return latest(); // another loader owns it now
    if (isTransientError(e) && opts.onOutage === 'release' && task.attempts < CLAIMS_BEFORE_OUTAGE_FAILS) {
      // Left to its lease, no longer renewed: claimed again once the database answers.
      return { ...task, error: e.message };
    }
    error = e instanceof Error ? e.message : String(e);
  } finally {
    clearInterval(renewal);
  }
  try {
    await withRetry(() => db.tasks.finish(task.id, opts.owner, { error }, now()), opts.retry);
  } catch (e) {
    // The outcome could not be recorded (the database is unreachable or full). The lease is no longer
    // renewed, so the task is claimed again once it lapses, and resumes from its checkpoint.
    const why = e instanceof Error ? e.message : String(e);
    return { ...task, error: error ? `${error} (and the task could not be marked failed: ${why})` : `the task could not be marked done: ${why}` };
  }
  return latest();
}

/**
 * Batches the parse thread may prepare ahead: a unit's worth and two more, so that it keeps parsing while
 * this thread writes a whole unit (SQLite's writes hold this thread; measured at 1e6 rows: see
 * BENCHMARKS.md, "Round two"). At most 32 batches, which bounds what waits in memory.
 */
function parseAhead(limits: CommitLimits, batchSize: number): number {
  return Math.min(32, Math.ceil(limits.rows / batchSize) + 2);
}

/** Commits started and not yet ended, and since when the oldest of them has been waited for. */
interface CommitWatch {
  pending: number;
  since: number;
}

/** Loads the file; true when the signal stopped it before its end. */
async function loadFile(
  db: Database,
  task: Task,
  open: () => Promise<ByteSource>,
  opts: RunTaskOptions,
  watch: CommitWatch,
): Promise<boolean> {
  const now = opts.now ?? Date.now;
  const table = task.table_name as TableName;
  if (opts.signal?.aborted) return true;
  const dims = await withRetry(() => dimensionsFor(db, table), opts.retry);
  const slice = task.slice_start === null ? null : { start: task.slice_start, limit: task.slice_limit ?? 0 };
  const limits = opts.commit ?? DEFAULT_COMMIT_LIMITS;
  const parsed = prepareBatchesInThread(
    await open(),
    table,
    dims,
    { batchSize: opts.batchSize, resumeAfterLine: task.checkpoint_line, slice, encoding: opts.encoding, maxRecordBytes: opts.maxRecordBytes },
    parseAhead(limits, opts.batchSize),
    // PostgreSQL takes COPY text: the parse thread encodes it, and this thread only forwards the bytes.
    db.dialect === 'postgres' ? 'copy' : 'columns',
  );
  const batches = commitUnits(table, parsed, limits, now);
  // Several units in flight: each sends its rows while earlier ones commit, and commits after them.
  const commits = new PQueue({ concurrency: COMMITS_IN_FLIGHT });
  let failure: unknown = null;
  let previous: Promise<unknown> = Promise.resolve();
  let fromLine = task.checkpoint_line;
  const commit = async (batch: ColumnBatch, after: Promise<unknown>, from: number) => {
    if (watch.pending++ === 0) watch.since = now();
    try {
      await withRetry(async (attempt) => {
        if (failure) throw failure; // an earlier batch failed: this one would only roll back behind it
        // A commit whose answer was lost may have gone through: its checkpoint says so.
        if (attempt > 1 && (await db.tasks.get(task.id))!.checkpoint_line >= batch.lastLine) return;
        await db.insertBatch(table, batch.rows, {
          taskId: task.id,
          owner: opts.owner,
          line: batch.lastLine,
          fromLine: from,
          bytesRead: batch.bytesRead,
          rejects: batch.rejects,
          after,
        });
      }, opts.retry);
    } finally {
      watch.pending--;
      watch.since = now();
    }
    opts.onProgress?.({
      taskId: task.id,
      line: batch.lastLine,
      bytesRead: batch.bytesRead,
      bytesTotal: task.bytes_total,
      records: batch.rows.count + batch.rejects.length,
      rejected: batch.rejects.length,
    });
  };
  let stopped = false;
  let rawChars = 0; // reject text held by the commits in flight
  for await (const batch of batches) {
    if (failure) break;
    await commits.onSizeLessThan(1);
    const chars = batch.rejects.reduce((n, r) => n + r.raw.length, 0);
    if (rawChars + chars > RAW_CHARS_IN_FLIGHT) await commits.onIdle();
    if (opts.signal?.aborted) {
      stopped = true;
      break;
    }
    const after = previous;
    const from = fromLine;
    fromLine = batch.lastLine;
    rawChars += chars;
    previous = commits.add(() => commit(batch, after, from).finally(() => (rawChars -= chars)));
    previous.catch((e) => (failure ??= e));
  }
  await commits.onIdle();
  if (failure) throw failure;
  return stopped;
}
