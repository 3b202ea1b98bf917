import { tableForFile, type TableName } from '../domain/tables.ts';
import type { BlobEntry } from '../ports/blob-store.port.ts';
import type { Database } from '../ports/database.port.ts';

/**
 * Queues a task for a file version unless one exists (the answer says which); a file no table takes gets
 * a failed task saying why. `table` overrides the table told by the name; `lease` creates the task already
 * running under that lease (a load the caller runs itself).
 */
export async function enqueueFile(
  db: Database,
  entry: BlobEntry,
  slice?: { start: number; limit: number },
  opts: { table?: TableName; lease?: { owner: string; expiresAt: number } } = {},
) {
  const table = opts.table ?? tableForFile(entry.name);
  return db.tasks.enqueue(
    {
      file_name: entry.name,
      file_version: entry.version,
      table_name: table,
      bytes_total: entry.size,
      slice_start: slice?.start ?? null,
      slice_limit: slice?.limit ?? null,
      lease: table ? opts.lease : undefined,
      error: table
        ? undefined
        : `"${entry.name}" matches no table: file names must start with departments, jobs or hired_employees and end in .csv`,
    },
    Date.now(),
  );
}
