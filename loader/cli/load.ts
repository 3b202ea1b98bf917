import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { TABLES, tableForFile, type TableName } from '../../shared/domain/tables.ts';
import type { Task } from '../../shared/domain/task.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { openFileRange } from '../../shared/adapters/blob/file-range.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import { runTask, type RunTaskOptions } from '../../shared/service/run-task.ts';
import type { RetryOptions } from '../../shared/service/retry.ts';
import { progressBar } from './output.ts';
import { CliError } from './cli-error.ts';

export interface LoadedFile {
  file: string;
  table: TableName;
  task_id: number;
  processed: number;
  inserted: number;
  already_exists: number;
  rejected: number;
}

/** A file's outcome with what the summary shows besides: its size, and the time and records of this run. */
export interface FileOutcome extends LoadedFile {
  bytes: number;
  elapsedMs: number;
  recordsThisRun: number;
}

/** The keys `hiredb load --json` prints, one object per file. */
export function loadedFile(o: LoadedFile): LoadedFile {
  const { file, table, task_id, processed, inserted, already_exists, rejected } = o;
  return { file, table, task_id, processed, inserted, already_exists, rejected };
}

/** Ctrl-C (or SIGTERM) during `hiredb load`: the task is left failed `interrupted`, resumable. */
export class LoadInterrupted extends CliError {
  override readonly exitCode = 130;
}

/**
 * `hiredb load`: loads local files now, in dependency order (departments, jobs, then hired_employees),
 * through the same task runner as the loader, so each load is a task with its summary and rejects.
 * A file's task is keyed by its local path, size and mtime: loading the same unchanged file again resumes
 * its task when that was interrupted or failed, and answers its summary when it is done; `restart` starts
 * a new task instead. Only the bytes the file had when the load started are read.
 */
export async function loadFiles(
  db: Database,
  paths: string[],
  opts: {
    batchSize: number;
    leaseMs: number;
    retry?: RetryOptions;
    table?: TableName;
    progress: boolean;
    restart?: boolean;
    note?: (line: string) => void;
  } & Pick<RunTaskOptions, 'encoding' | 'maxRecordBytes' | 'commit'>,
): Promise<FileOutcome[]> {
  const note = opts.note ?? ((line: string) => process.stderr.write(line + '\n'));
  const files = await Promise.all(
    paths.map(async (path) => {
      const table = opts.table ?? tableForFile(basename(path));
      if (!table) throw new CliError(`cannot tell the table of "${path}": name it departments*.csv, jobs*.csv or hired_employees*.csv (or .csv.gz), or pass --table`);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) throw new CliError(`cannot read "${path}": no such file`);
      return { path, table, size: info.size, mtime: Math.trunc(info.mtimeMs) };
    }),
  );
  files.sort((a, b) => TABLES.indexOf(a.table) - TABLES.indexOf(b.table));

  const stopping = new AbortController();
  const onSignal = () => {
    if (stopping.signal.aborted) process.exit(130); // a second Ctrl-C: stop now, the lease runs out
    stopping.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const owner = `cli:${process.pid}`;
  const results: FileOutcome[] = [];
  try {
    for (const f of files) {
      const now = Date.now();
      // `local:` and the full path keep this apart from a Blob-folder file of the same name.
      const version = `local:${resolve(f.path)}:${f.size}-${f.mtime}${opts.restart ? `:restart-${now}-${process.pid}` : ''}`;
      const { task, created } = await enqueueFile(db, { name: basename(f.path), version, size: f.size }, undefined, {
        table: f.table,
        lease: { owner, expiresAt: now + opts.leaseMs },
      });
      let claimed: Task;
      if (created) claimed = task;
      else if (task.status === 'done') {
        note(`"${f.path}" was already loaded by task ${task.id} and has not changed since; --restart loads it again`);
        results.push({ file: f.path, table: f.table, task_id: task.id, ...task.summary, bytes: f.size, elapsedMs: 0, recordsThisRun: 0 });
        continue;
      } else {
        const resumed = await db.tasks.resume(task.id, owner, now, opts.leaseMs);
        if (!resumed) throw new CliError(`"${f.path}" is being loaded right now by task ${task.id} (${task.lease_owner ?? 'another process'})`);
        note(`resuming task ${task.id} for "${f.path}" after line ${resumed.checkpoint_line}`);
        claimed = resumed;
      }
      const bar = opts.progress ? progressBar(basename(f.path)) : null;
      const started = Date.now();
      const processedBefore = claimed.summary.processed;
      const done = await runTask(db, claimed, () => openFileRange(f.path, { end: f.size }), {
        owner,
        batchSize: opts.batchSize,
        commit: opts.commit,
        leaseMs: opts.leaseMs,
        signal: stopping.signal,
        retry: opts.retry,
        encoding: opts.encoding,
        maxRecordBytes: opts.maxRecordBytes,
        onProgress: (p) => bar?.update(p),
      });
      bar?.done();
      if (done.status === 'running') {
        await db.tasks.finish(done.id, owner, { error: 'interrupted' }, Date.now());
        const again = opts.restart ? 'to start it over: ' : 'to resume it, run the same command: ';
        throw new LoadInterrupted(
          `interrupted: task ${done.id} ("${f.path}") stopped after line ${done.checkpoint_line}, its checkpoint kept; ${again}${commandLine()}`,
        );
      }
      if (done.status !== 'done') throw new CliError(`loading "${f.path}" failed (task ${done.id}): ${done.error}`);
      results.push({
        file: f.path,
        table: f.table,
        task_id: done.id,
        ...done.summary,
        bytes: f.size,
        elapsedMs: Date.now() - started,
        recordsThisRun: done.summary.processed - processedBefore,
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return results;
}

/** The command this process runs, as it could be typed again. */
function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['hiredb', ...process.argv.slice(2)].map(quote).join(' ');
}
