import type { BlobEntry, BlobStore } from '../ports/blob-store.port.ts';
import type { Database } from '../ports/database.port.ts';
import type { Logger } from '../platform/logger.ts';
import { fileVersionKey, type FileVersion } from '../domain/task.ts';
import { enqueueFile } from './enqueue-file.ts';

/**
 * One poll of the Blob container: every listed file version without a task gets one, queued (a file no
 * table takes gets a failed task saying why). A file still being written (`settling`) waits for the next
 * poll. `seen` (kept by a long-running poller) skips versions already handled by this process.
 * Which versions already have a task is asked once for the whole listing, so a poll that finds nothing new
 * costs one query however many files the container holds (the edge's cron poll has no `seen`).
 * Resolves with the number of tasks created.
 */
export async function queueNewFiles(db: Database, blob: BlobStore, opts: { log: Logger; seen?: Set<string> }): Promise<number> {
  const listed = await blob.list();
  const fresh = listed.filter((e) => !e.settling && !opts.seen?.has(fileVersionKey(versionOf(e))));
  // Nothing to ask about: no query (on the edge, not even a connection).
  const queued = fresh.length > 0 ? await db.tasks.queuedVersions(fresh.map(versionOf)) : new Set<string>();
  let created = 0;
  for (const entry of listed) {
    if (entry.settling) {
      opts.log.info('file not settled yet; queued once unchanged for one poll', { file: entry.name, size: entry.size });
      continue;
    }
    const key = fileVersionKey(versionOf(entry));
    if (opts.seen?.has(key)) continue;
    if (!queued.has(key)) {
      const result = await enqueueFile(db, entry);
      if (result.created) {
        created++;
        opts.log.info('task queued', { task: result.task.id, file: entry.name, status: result.task.status });
      }
    }
    opts.seen?.add(key);
  }
  return created;
}

const versionOf = (e: BlobEntry): FileVersion => ({ file_name: e.name, file_version: e.version });
