import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { CronJob } from 'cron';
import PQueue from 'p-queue';
import type { Task } from '../shared/domain/task.ts';
import type { BlobStore } from '../shared/ports/blob-store.port.ts';
import type { Database } from '../shared/ports/database.port.ts';
import type { Logger } from '../shared/platform/logger.ts';
import { runTask, type RunTaskOptions } from '../shared/service/run-task.ts';
import { enqueueFile } from '../shared/service/enqueue-file.ts';

export interface LoaderOptions {
  schedule: string;
  batchSize: number;
  /** Tasks loaded at the same time by this process. */
  concurrency: number;
  leaseMs: number;
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
  let filling: Promise<void> | null = null;

  const poll = async () => {
    for (const entry of await blob.list()) {
      const key = `${entry.name}\u001f${entry.version}`;
      if (seen.has(key)) continue;
      const { task, created } = await enqueueFile(db, entry);
      seen.add(key);
      if (created) opts.log.info('task queued', { task: task.id, file: entry.name, status: task.status });
    }
  };

  const run = async (task: Task) => {
    // Load only the version the task was queued for: a file overwritten since has a task of its own, and a
    // task from `hiredb load` (a local file) must never be served by a Blob file of the same name.
    const entry = await blob.stat(task.file_name);
    if (entry?.version !== task.file_version) {
      const error = entry
        ? `"${task.file_name}" changed in the Blob container since this task was queued (version ${task.file_version}, now ${entry.version}); the new version has its own task`
        : `"${task.file_name}" version ${task.file_version} is not in the Blob container (${blob.describe()})`;
      await db.tasks.finish(task.id, owner, { error }, Date.now());
      opts.log.error('task failed', { task: task.id, error });
      return;
    }
    opts.log.info('task started', { task: task.id, file: task.file_name, resume_after_line: task.checkpoint_line });
    const done = await runTask(db, task, () => blob.open(task.file_name), {
      owner,
      batchSize: opts.batchSize,
      leaseMs: opts.leaseMs,
      ...opts.text,
    });
    if (done.status === 'failed') opts.log.error('task failed', { task: task.id, error: done.error });
    else opts.log.info(`task ${done.status}`, { task: task.id, ...done.summary });
  };

  // Claims tasks while this process has free slots; a finished task frees a slot and claims again.
  const fill = (): Promise<void> => {
    filling ??= (async () => {
      while (!stopped && queue.size + queue.pending < opts.concurrency) {
        const task = await db.tasks.claim(owner, Date.now(), opts.leaseMs);
        if (!task) break;
        queue
          .add(() => run(task))
          .catch((e) => opts.log.error('task crashed', { task: task.id, error: String(e) }))
          .finally(() => void fill());
      }
    })().finally(() => (filling = null));
    return filling;
  };

  const tick = async () => {
    if (stopped) return;
    try {
      await poll();
    } catch (e) {
      opts.log.error('polling the Blob container failed', { blob: blob.describe(), error: String(e) });
    }
    try {
      await fill();
    } catch (e) {
      opts.log.error('claiming a task failed', { error: String(e) });
    }
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
      await job.stop();
      await queue.onIdle();
    },
  };
}
