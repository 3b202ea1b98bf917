// The loader loads a task only from the file version it was queued for.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLocalFolderStore } from '../../shared/adapters/blob/local-folder.store.ts';
import { silentLogger } from '../../shared/platform/logger.ts';
import { startLoader, type Loader } from '../../loader/loader.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import { openTestDatabase, TEST_DATABASES } from '../helpers/databases.ts';

const done: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of done.splice(0).reverse()) await f();
});

describe.each(TEST_DATABASES)('%s', (kind) => {
  async function setup() {
    const t = await openTestDatabase(kind);
    const dir = await mkdtemp(join(tmpdir(), 'hiredb-version-'));
    done.push(() => t.cleanup(), () => rm(dir, { recursive: true, force: true }));
    const blob = await openLocalFolderStore(dir);
    let loader: Loader | null = null;
    done.push(async () => loader?.stop());
    const start = () =>
      (loader = startLoader(t.db, blob, { schedule: '0 0 0 1 1 *', batchSize: 1000, concurrency: 2, leaseMs: 30_000, log: silentLogger }));
    return { db: t.db, blob, dir, start };
  }

  it('a file overwritten after it was queued fails that task with a reason, and its new version loads', async () => {
    const { db, blob, dir, start } = await setup();
    await writeFile(join(dir, 'departments.csv'), '1,Old\n');
    const { task: old } = await enqueueFile(db, (await blob.stat('departments.csv'))!);
    await writeFile(join(dir, 'departments.csv'), '1,New\n2,Second\n');
    await blob.list(); // seen once, so the loader's first poll finds the file settled (whichever of its polls runs first)
    const loader = start();
    await loader.tick();
    await loader.idle();
    const failed = (await db.tasks.get(old.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/changed in the Blob container since this task was queued/);
    const { tasks } = await db.tasks.list({ limit: 10, offset: 0 });
    const fresh = tasks.find((t) => t.id !== old.id)!;
    expect(fresh.status).toBe('done');
    expect(fresh.summary).toEqual({ processed: 2, inserted: 2, already_exists: 0, rejected: 0 });
  });

  it('a task of `hiredb load` whose process died is not loaded from a Blob file of the same name', async () => {
    const { db, blob, dir, start } = await setup();
    await writeFile(join(dir, 'departments.csv'), '1,From Blob\n');
    const now = Date.now();
    const { task } = await db.tasks.enqueue(
      { file_name: 'departments.csv', file_version: '12-34@cli-1', table_name: 'departments', bytes_total: 12, lease: { owner: 'cli:1', expiresAt: now - 1 } },
      now,
    );
    await blob.list(); // seen once, so the loader's first poll finds the file settled (whichever of its polls runs first)
    const loader = start();
    await loader.tick();
    await loader.idle();
    const ended = (await db.tasks.get(task.id))!;
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(/changed in the Blob container|is not in the Blob container/);
    expect(ended.summary.processed).toBe(0);
    // The Blob file is a file of its own: polled, queued and loaded by its own task.
    const own = (await db.tasks.list({ limit: 10, offset: 0 })).tasks.find((t) => t.id !== task.id)!;
    expect(own).toMatchObject({ status: 'done', file_name: 'departments.csv' });
    expect(own.summary.inserted).toBe(1);
  });
});
