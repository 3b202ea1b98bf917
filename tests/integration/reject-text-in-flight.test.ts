// A task's commits in flight hold a bounded amount of reject text: long rejected records are committed one
// batch at a time, while ordinary batches still overlap.
import { describe, expect, it } from 'vitest';
import type { Database, TaskCheckpoint } from '../../shared/ports/database.port.ts';
import { openSqliteDatabase } from '../../shared/adapters/db/sqlite.database.ts';
import { runTask } from '../../shared/service/run-task.ts';
import { MAX_BATCH_RAW_CHARS } from '../../shared/service/prepare-batches.ts';
import { claimRunningTask } from '../helpers/db-fixtures.ts';

/** The database as a slow server would answer (each commit takes 50 ms), counting what is in flight. */
async function watchedDatabase() {
  const db = openSqliteDatabase(':memory:');
  await db.migrate();
  await db.insertBatch('departments', [{ id: 1, department: 'D' }]);
  await db.insertBatch('jobs', [{ id: 1, job: 'J' }]);
  const seen = { commits: 0, chars: 0, maxCommits: 0, maxChars: 0 };
  const watched: Database = {
    ...db,
    async insertBatch(table, rows, checkpoint?: TaskCheckpoint) {
      const chars = checkpoint?.rejects.reduce((n, r) => n + r.raw.length, 0) ?? 0;
      seen.commits++;
      seen.chars += chars;
      seen.maxCommits = Math.max(seen.maxCommits, seen.commits);
      seen.maxChars = Math.max(seen.maxChars, seen.chars);
      try {
        await new Promise((resolve) => setTimeout(resolve, 50)); // latency, so that batches can pile up
        return await db.insertBatch(table, rows, checkpoint);
      } finally {
        seen.commits--;
        seen.chars -= chars;
      }
    },
  };
  return { db: watched, seen };
}

const source = (lines: string[]) =>
  (async function* () {
    for (const line of lines) yield new TextEncoder().encode(`${line}\n`);
  })();

describe('reject text in flight', () => {
  it('commits batches of long rejects one at a time, never holding more than twice a batch of their text', async () => {
    const { db, seen } = await watchedDatabase();
    const task = await claimRunningTask(db, 'owner');
    const lines = Array.from({ length: 24 }, (_, i) => `${i + 1},${'x'.repeat(1_000_000)},2021-03-01T09:00:00Z,1,1`);
    const done = await runTask(db, task, async () => source(lines), { owner: 'owner', batchSize: 1000, leaseMs: 60_000 });
    expect(done).toMatchObject({ status: 'done', summary: { processed: 24, inserted: 0, already_exists: 0, rejected: 24 } });
    expect(seen.maxChars).toBeGreaterThan(0);
    // A batch closes at 3 such records (3,000,000 characters): two at once would pass the bound.
    expect(seen.maxChars).toBeLessThanOrEqual(2 * MAX_BATCH_RAW_CHARS);
    await db.close();
  });

  it('lets ordinary batches overlap', async () => {
    const { db, seen } = await watchedDatabase();
    const task = await claimRunningTask(db, 'owner');
    const lines = Array.from({ length: 2000 }, (_, i) => (i % 10 === 0 ? `${i + 1},,2021-03-01T09:00:00Z,1,1` : `${i + 1},Person ${i + 1},2021-03-01T09:00:00Z,1,1`));
    const done = await runTask(db, task, async () => source(lines), { owner: 'owner', batchSize: 50, commit: { rows: 100, ms: 60_000 }, leaseMs: 60_000 });
    expect(done).toMatchObject({ status: 'done', summary: { processed: 2000, inserted: 1800, rejected: 200 } });
    expect(seen.maxCommits).toBeGreaterThan(1);
    await db.close();
  });
});
