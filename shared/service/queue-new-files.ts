import type { BlobStore } from '../ports/blob-store.port.ts';
import type { Database } from '../ports/database.port.ts';
import type { Logger } from '../platform/logger.ts';
import { enqueueFile } from './enqueue-file.ts';

/**
 * One poll of the Blob container: every listed file version without a task gets one, queued (a file no
 * table takes gets a failed task saying why). A file still being written (`settling`) waits for the next
 * poll. `seen` (kept by a long-running poller) skips versions already handled by this process.
 * Resolves with the number of tasks created.
 */
export async function queueNewFiles(db: Database, blob: BlobStore, opts: { log: Logger; seen?: Set<string> }): Promise<number> {
  let created = 0;
  for (const entry of await blob.list()) {
    if (entry.settling) {
      opts.log.info('file not settled yet; queued once unchanged for one poll', { file: entry.name, size: entry.size });
      continue;
    }
    const key = `${entry.name}\u001f${entry.version}`;
    if (opts.seen?.has(key)) continue;
    const result = await enqueueFile(db, entry);
    opts.seen?.add(key);
    if (result.created) {
      created++;
      opts.log.info('task queued', { task: result.task.id, file: entry.name, status: result.task.status });
    }
  }
  return created;
}
