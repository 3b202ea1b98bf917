import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { CronJob } from 'cron';
import PQueue from 'p-queue';
import type { Task } from '../shared/domain/task.ts';
import type { BlobStore } from '../shared/ports/blob-store.port.ts';
import type { Database } from '../shared/ports/database.port.ts';
import type { Logger } from '../shared/platform/logger.ts';
import { runTask, type RunTaskOptions } from '../shared/service/run-task.ts';
import { queueNewFiles } from '../shared/service/queue-new-files.ts';
import type { RetryOptions } from '../shared/service/retry.ts';

export interface LoaderOptions {
  schedule: string;
  batchSize: number;
  /** How much one transaction of a file load holds (LOAD_COMMIT_ROWS, LOAD_COMMIT_MS). */
  commit?: RunTaskOptions['commit'];
  /** Tasks loaded at the same time by this process. */
  concurrency: number;
  leaseMs: number;
  /** How database calls that failed transiently are retried (attempts: HIREDB_RETRY_ATTEMPTS). */
  retry?: RetryOptions;
  /** Passed to each task's parser (LOAD_ENCODING, MAX_RECORD_BYTES). */
  text?: Pick<RunTaskOptions, 'encoding' | 'maxRecordBytes'>;
  log: Logger;
  owner?: string;
}

export interface Loader {
  readonly owner: string;
  /** Lists the container, queues new file versions, and starts as many tasks as there are free slots. */
  tick(): Promise<void>;
  /** Resolves when no task is running and none is claimable. */
  idle(): Promise<void>;
  /**
   * Stops claiming and polling; running tasks stop after the batches in flight commit and go back to the
   * queue with their checkpoints. Resolves when none of this process's tasks is running.
   */
  stop(): Promise<void>;
}

/**
 * The long-running loader: on each cron tick it polls the Blob container, and it claims and runs tasks
 * from the status table under a p-queue (several loader processes may share one database).
 */
export function startLoader(db: Database, blob: BlobStore, opts: LoaderOptions): Loader {
  const owner = opts.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const queue = new PQueue({ concurrency: opts.concurrency });
  const seen = new Set<string>();
  let stopped = false;
  const stopping = new AbortController();
  let filling: Promise<void> | null = null;
  let refill = false;
  // Tasks this process is running: a claim that returns one of them (its lease lapsed while a commit was
  // stuck) must not start it a second time.
  const running = new Set<number>();

  const poll = () => queueNewFiles(db, blob, { log: opts.log, seen });

  const run = async (task: Task) => {
    if (stopping.signal.aborted) return release(task);
    opts.log.info('task started', { task: task.id, file: task.file_name, resume_after_line: task.checkpoint_line });
    // The store reads only the bytes of the version the task was queued for, up to the size it had then:
    // a file overwritten since fails the task (its new version has a task of its own), and a task from
    // `hiredb load` (a local file) is never served by a Blob file of the same name.
    const open = () => blob.open(task.file_name, { version: task.file_version, end: task.bytes_total });
    const done = await runTask(db, task, open, {
      owner,
      batchSize: opts.batchSize,
      commit: opts.commit,
      leaseMs: opts.leaseMs,
      signal: stopping.signal,
      retry: opts.retry,
      onOutage: 'release',
      ...opts.text,
    });
    if (done.status === 'running' && stopping.signal.aborted && done.lease_owner === owner) return release(done);
    if (done.status === 'running') {
      opts.log.error('task interrupted; it resumes from its checkpoint once its lease lapses', { task: task.id, error: done.error });
    } else if (done.status === 'failed') opts.log.error('task failed', { task: task.id, error: done.error });
    else {
      opts.log.info(`task ${done.status}`, { task: task.id, ...done.summary });
      await foldReports(task);
    }
  };

  // The reports fold the hires a load inserted on their first read after it; done here instead, a BI tool's
  // first request after a large load answers from the rollup at once. A failure only leaves that to the reader.
  const foldReports = async (task: Task) => {
    if (task.table_name !== 'hired_employees') return;
    const started = Date.now();
    try {
      await db.reports.foldPending();
      opts.log.info('reports brought up to date', { task: task.id, ms: Date.now() - started });
    } catch (err) {
      opts.log.warn('reports not brought up to date; the next report request does it', { task: task.id, error: String(err) });
    }
  };

  // Stopping: the task goes back to the queue with its checkpoint, for this or another loader to resume.
  const release = async (task: Task) => {
    const released = await db.tasks.release(task.id, owner, Date.now());
    if (released) opts.log.info('task released', { task: task.id, checkpoint_line: task.checkpoint_line });
  };

  // Claims tasks while this process has free slots; a finished task frees a slot and claims again.
  // Never rejects: a claim that fails (the database is down) is logged and tried again on the next tick.
  const fill = (): Promise<void> => {
    if (filling) {
      // A claim in flight may have missed a task queued since it asked: the loop claims once more.
      refill = true;
      return filling;
    }
    filling = (async () => {
      do {
        refill = false;
        await claimWhileFree();
      } while (refill && !stopped);
    })()
      .catch((e) => opts.log.error('claiming a task failed', { error: String(e) }))
      .finally(() => (filling = null));
    return filling;
  };

  const claimWhileFree = async () => {
    while (!stopped && queue.size + queue.pending < opts.concurrency) {
      const task = await db.tasks.claim(owner, Date.now(), opts.leaseMs);
      if (!task) break;
      if (running.has(task.id)) continue;
      running.add(task.id);
      queue
        .add(() => run(task))
        .catch((e) => opts.log.error('task stopped by an error; it resumes once its lease lapses', { task: task.id, error: String(e) }))
        .finally(() => {
          running.delete(task.id);
          void fill();
        });
    }
  };

  const tick = async () => {
    if (stopped) return;
    try {
      await poll();
    } catch (e) {
      opts.log.error('polling the Blob container failed', { blob: blob.describe(), error: String(e) });
    }
    await fill();
  };

  const job = CronJob.from({ cronTime: opts.schedule, onTick: tick, start: true, waitForCompletion: true });
  void tick();

  return {
    owner,
    tick,
    async idle() {
      for (;;) {
        await queue.onIdle();
        await fill();
        if (queue.size + queue.pending === 0) return;
      }
    },
    async stop() {
      stopped = true;
      stopping.abort();
      await job.stop();
      await filling?.catch(() => {});
      await queue.onIdle();
    },
  };
}
