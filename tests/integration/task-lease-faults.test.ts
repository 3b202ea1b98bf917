// A task whose commits cannot proceed gives up its lease, and a task whose outcome cannot be recorded
// does not crash its caller: runTask on real databases, with faults injected at the port.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLocalFolderStore } from '../../shared/adapters/blob/local-folder.store.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import { runTask } from '../../shared/service/run-task.ts';
import { TransientError } from '../../shared/domain/errors.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { TEST_DATABASES, useFreshDatabase, type TestDatabase } from '../helpers/databases.ts';
import { waitFor } from '../helpers/processes.ts';

const LEASE_MS = 1_000;
const ROWS = 3_000;
// Each parse batch its own commit, so that a fault injected at the Nth commit lands at a known line.
const EACH_BATCH = { rows: 500, ms: 3_600_000 };

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

describe.each(TEST_DATABASES)('%s', (kind) => {
  let t: TestDatabase;
  useFreshDatabase(kind, (opened) => (t = opened));

  /** A departments file of ROWS rows, queued and claimed by `owner`. */
  async function claimed(owner: string) {
    dir = await mkdtemp(join(tmpdir(), 'hiredb-lease-'));
    await writeFile(join(dir, 'departments.csv'), Array.from({ length: ROWS }, (_, i) => `${i + 1},Department ${i + 1}\n`).join(''));
    const blob = await openLocalFolderStore(dir);
    await enqueueFile(t.db, (await blob.stat('departments.csv'))!);
    const task = (await t.db.tasks.claim(owner, Date.now(), LEASE_MS))!;
    return { task, open: () => blob.open('departments.csv') };
  }

  it('a commit that hangs stops the lease renewals: the lease lapses and another loader takes the task', async () => {
    let release!: (e: unknown) => void;
    let batches = 0;
    const hung: Database = {
      ...t.db,
      insertBatch: async (table, rows, checkpoint) => {
        if (++batches === 2) await new Promise((_, reject) => (release = reject)); // silent until released
        return t.db.insertBatch(table, rows, checkpoint);
      },
    };
    const { task, open } = await claimed('first');
    const running = runTask(hung, task, open, { owner: 'first', batchSize: 500, commit: EACH_BATCH, leaseMs: LEASE_MS });
    const taken = await waitFor('another loader to claim the task', async () => (await t.db.tasks.claim('second', Date.now(), 60_000)) ?? undefined, 10_000, 50);
    expect(taken).toMatchObject({ id: task.id, lease_owner: 'second', attempts: 2 });
    release(new TransientError('the connection went silent'));
    const ended = await running;
    // The first loader found the task taken over and left it alone.
    expect(ended).toMatchObject({ status: 'running', lease_owner: 'second' });
  });

  it('a load error whose finish() fails too resolves with both errors, and the task can be claimed again once its lease lapses', async () => {
    let batches = 0;
    const broken: Database = {
      ...t.db,
      insertBatch: async (table, rows, checkpoint) => {
        if (++batches === 3) throw new Error('database or disk is full');
        return t.db.insertBatch(table, rows, checkpoint);
      },
      tasks: { ...t.db.tasks, finish: async () => Promise.reject(new Error('database or disk is full')) },
    };
    const { task, open } = await claimed('first');
    const ended = await runTask(broken, task, open, { owner: 'first', batchSize: 500, commit: EACH_BATCH, leaseMs: LEASE_MS });
    expect(ended.error).toMatch(/^database or disk is full \(and the task could not be marked failed: database or disk is full\)$/);
    const stored = (await t.db.tasks.get(task.id))!;
    expect(stored).toMatchObject({ status: 'running', checkpoint_line: 1_000 });
    // Nothing renews the lease any more: it lapses, and the task is claimed again and resumes from line 1000.
    const again = await waitFor('the task to be claimable', async () => (await t.db.tasks.claim('second', Date.now(), 60_000)) ?? undefined, 10_000, 50);
    expect(again).toMatchObject({ id: task.id, checkpoint_line: 1_000 });
    const done = await runTask(t.db, again, open, { owner: 'second', batchSize: 500, commit: EACH_BATCH, leaseMs: 60_000 });
    expect(done).toMatchObject({ status: 'done', summary: { processed: ROWS, inserted: ROWS, already_exists: 0, rejected: 0 } });
  });

  it('a transient failure that outlasts the retries, with onOutage "release", leaves the task to its lapsing lease', async () => {
    let batches = 0;
    const down: Database = {
      ...t.db,
      insertBatch: async (table, rows, checkpoint) => {
        if (++batches >= 2) throw new TransientError('connection refused');
        return t.db.insertBatch(table, rows, checkpoint);
      },
    };
    const { task, open } = await claimed('first');
    const ended = await runTask(down, task, open, {
      owner: 'first',
      batchSize: 500,
      commit: EACH_BATCH,
      leaseMs: LEASE_MS,
      retry: { attempts: 2, baseDelayMs: 10 },
      onOutage: 'release',
    });
    expect(ended.status).toBe('running');
    expect((await t.db.tasks.get(task.id))!).toMatchObject({ status: 'running', error: null, checkpoint_line: 500 });
    const again = await waitFor('the task to be claimable', async () => (await t.db.tasks.claim('first', Date.now(), 60_000)) ?? undefined, 10_000, 50);
    const done = await runTask(t.db, again, open, { owner: 'first', batchSize: 500, commit: EACH_BATCH, leaseMs: 60_000 });
    expect(done).toMatchObject({ status: 'done', attempts: 2, summary: { processed: ROWS, inserted: ROWS } });
  });
});
