// File loads commit in units of several parse batches: checkpoints advance in file order, a failure between
// units resumes from the last one exactly, and rows, rejects and counts come out as a load in one go.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLocalFolderStore } from '../../shared/adapters/blob/local-folder.store.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import { runTask } from '../../shared/service/run-task.ts';
import type { Database, TaskCheckpoint } from '../../shared/ports/database.port.ts';
import { TEST_DATABASES, useFreshDatabase, type TestDatabase } from '../helpers/databases.ts';
import { expectAggregatesMatchStoredRows } from '../helpers/db-fixtures.ts';

const BATCH = 100;
const UNIT = 1_000;
const ROWS = 5_500;

/**
 * ROWS hires (lines 1..ROWS), every 37th line rejected for a missing name, every 501st an id seen early in
 * the file (duplicate_id across units and across the resume point), ids otherwise equal to the line.
 */
function hiresFile(): { text: string; valid: number[]; rejectedLines: number[] } {
  const lines: string[] = [];
  const valid: number[] = [];
  const rejectedLines: number[] = [];
  for (let line = 1; line <= ROWS; line++) {
    const when = `202${line % 3}-0${1 + (line % 9)}-1${line % 10}T08:00:00Z`;
    if (line % 37 === 0) {
      lines.push(`${line},,${when},1,1`);
      rejectedLines.push(line);
    } else if (line % 501 === 0) {
      lines.push(`${line % 50 === 0 ? 1 : line % 50},Again ${line},${when},1,1`);
      rejectedLines.push(line);
    } else {
      lines.push(`${line},Person ${line},${when},${1 + (line % 2)},1`);
      valid.push(line);
    }
  }
  return { text: `${lines.join('\n')}\n`, valid, rejectedLines };
}

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

describe.each(TEST_DATABASES)('%s', (kind) => {
  let t: TestDatabase;
  useFreshDatabase(kind, (opened) => (t = opened));

  async function claimedHires(owner: string) {
    await t.db.insertBatch('departments', [
      { id: 1, department: 'One' },
      { id: 2, department: 'Two' },
    ]);
    await t.db.insertBatch('jobs', [{ id: 1, job: 'Job' }]);
    dir = await mkdtemp(join(tmpdir(), 'hiredb-units-'));
    const file = hiresFile();
    await writeFile(join(dir, 'hired_employees.csv'), file.text);
    const blob = await openLocalFolderStore(dir);
    await enqueueFile(t.db, (await blob.stat('hired_employees.csv'))!);
    const task = (await t.db.tasks.claim(owner, Date.now(), 60_000))!;
    return { task, file, open: () => blob.open('hired_employees.csv') };
  }

  /** The database, recording every commit of a file load in the order they complete. */
  function recording(fail?: (commit: number) => boolean) {
    const commits: { line: number; from: number | undefined; records: number }[] = [];
    let started = 0;
    const db: Database = {
      ...t.db,
      async insertBatch(table, rows, checkpoint?: TaskCheckpoint) {
        if (fail?.(++started)) throw new Error('the disk is full');
        const result = await t.db.insertBatch(table, rows, checkpoint);
        const count = Array.isArray(rows) ? rows.length : (rows as { count: number }).count;
        if (checkpoint) commits.push({ line: checkpoint.line, from: checkpoint.fromLine, records: count + checkpoint.rejects.length });
        return result;
      },
    };
    return { db, commits };
  }

  async function storedIds(): Promise<number[]> {
    const rows = await t.query('SELECT id FROM hired_employees ORDER BY id');
    return rows.map((r) => Number(r.id));
  }

  async function storedRejectLines(taskId: number): Promise<number[]> {
    const rows = await t.query(`SELECT line FROM task_rejects WHERE task_id = ${taskId} ORDER BY line`);
    return rows.map((r) => Number(r.line));
  }

  it('a unit spans many parse batches; checkpoints advance in file order, each from the one before', async () => {
    const { task, file, open } = await claimedHires('owner');
    const { db, commits } = recording();
    const done = await runTask(db, task, open, { owner: 'owner', batchSize: BATCH, commit: { rows: UNIT, ms: 3_600_000 }, leaseMs: 60_000 });
    expect(done).toMatchObject({
      status: 'done',
      checkpoint_line: ROWS,
      summary: { processed: ROWS, inserted: file.valid.length, already_exists: 0, rejected: file.rejectedLines.length },
    });
    // 5,500 records in units of at least 1,000 (whole batches of 100 valid rows and their rejects): 5 full units and the rest.
    expect(commits.length).toBe(6);
    expect(commits.slice(0, -1).every((c) => c.records >= UNIT && c.records < UNIT + BATCH + 5)).toBe(true);
    expect(commits.map((c) => c.from)).toEqual([0, ...commits.slice(0, -1).map((c) => c.line)]);
    expect(commits.at(-1)!.line).toBe(ROWS);
    expect(commits.reduce((n, c) => n + c.records, 0)).toBe(ROWS);
    expect(await storedIds()).toEqual(file.valid);
    expect(await storedRejectLines(task.id)).toEqual(file.rejectedLines);
    await expectAggregatesMatchStoredRows(t, kind);
  });

  it('a failure between units leaves the checkpoint at the last committed unit, and the retried task resumes exactly', async () => {
    const { task, file, open } = await claimedHires('owner');
    const first = recording((commit) => commit === 3);
    const failed = await runTask(first.db, task, open, { owner: 'owner', batchSize: BATCH, commit: { rows: UNIT, ms: 3_600_000 }, leaseMs: 60_000 });
    expect(failed).toMatchObject({ status: 'failed', error: 'the disk is full' });
    const [, second] = first.commits;
    expect(failed.checkpoint_line).toBe(second.line);
    // What the checkpoint says is what is stored: the two committed units, nothing of the third.
    expect(await storedIds()).toEqual(file.valid.filter((id) => id <= second.line));
    expect(failed.summary.processed).toBe(first.commits[0].records + second.records);

    const queued = await t.db.tasks.retry(task.id, Date.now());
    expect(queued).toMatchObject({ status: 'queued', checkpoint_line: second.line });
    const again = (await t.db.tasks.claim('owner', Date.now(), 60_000))!;
    const rest = recording();
    const done = await runTask(rest.db, again, open, { owner: 'owner', batchSize: BATCH, commit: { rows: UNIT, ms: 3_600_000 }, leaseMs: 60_000 });
    expect(rest.commits[0].from).toBe(second.line);
    expect(done).toMatchObject({
      status: 'done',
      attempts: 2,
      checkpoint_line: ROWS,
      summary: { processed: ROWS, inserted: file.valid.length, already_exists: 0, rejected: file.rejectedLines.length },
    });
    expect(await storedIds()).toEqual(file.valid);
    expect(await storedRejectLines(task.id)).toEqual(file.rejectedLines);
    await expectAggregatesMatchStoredRows(t, kind);
  });
});
