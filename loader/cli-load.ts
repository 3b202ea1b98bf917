import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { TABLES, tableForFile, type TableName } from '../shared/domain/tables.ts';
import type { Database } from '../shared/ports/database.port.ts';
import { runTask, type RunTaskOptions } from '../shared/service/run-task.ts';
import { progressBar } from './cli-output.ts';

export interface LoadedFile {
  file: string;
  table: TableName;
  task_id: number;
  processed: number;
  inserted: number;
  already_exists: number;
  rejected: number;
}

export class CliError extends Error {}

/**
 * `hiredb load`: loads local files now, in dependency order (departments, jobs, then hired_employees),
 * through the same task runner as the loader, so each load is a task with its summary and rejects.
 */
export async function loadFiles(
  db: Database,
  paths: string[],
  opts: { batchSize: number; leaseMs: number; table?: TableName; progress: boolean } & Pick<RunTaskOptions, 'encoding' | 'maxRecordBytes'>,
): Promise<LoadedFile[]> {
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

  const owner = `cli:${process.pid}`;
  const results: LoadedFile[] = [];
  for (const f of files) {
    const now = Date.now();
    const { task } = await db.tasks.enqueue(
      {
        file_name: basename(f.path),
        // Each `hiredb load` is its own task: loading a file again is an explicit request.
        file_version: `${f.size}-${f.mtime}@cli-${now}-${process.pid}`,
        table_name: f.table,
        bytes_total: f.size,
        lease: { owner, expiresAt: now + opts.leaseMs },
      },
      now,
    );
    const bar = opts.progress ? progressBar(basename(f.path)) : null;
    const done = await runTask(db, task, async () => createReadStream(f.path, { highWaterMark: 1 << 18 }), {
      owner,
      batchSize: opts.batchSize,
      leaseMs: opts.leaseMs,
      encoding: opts.encoding,
      maxRecordBytes: opts.maxRecordBytes,
      onProgress: (p) => bar?.update(p.bytesRead, p.bytesTotal, `line ${p.line}`),
    });
    bar?.done();
    if (done.status !== 'done') throw new CliError(`loading "${f.path}" failed: ${done.error}`);
    results.push({ file: f.path, table: f.table, task_id: done.id, ...done.summary });
  }
  return results;
}
