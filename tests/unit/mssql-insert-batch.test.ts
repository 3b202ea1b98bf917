import { describe, expect, it } from 'vitest';
import { LeaseLostError, type TaskCheckpoint } from '../../shared/ports/database.port.ts';
import { ADVANCE_TASK, BUMP_VERSION, INSERT_FROM_STAGING } from '../../shared/adapters/db/mssql.sql.ts';
import { REJECT_COLUMNS, stagingDdl } from '../../shared/adapters/db/mssql-bulk.ts';
import { toDateTime2 } from '../../shared/adapters/db/mssql-params.ts';
import type { SqlRow } from '../../shared/adapters/db/mssql-executor.ts';
import { TABLES, type RowOf } from '../../shared/domain/tables.ts';
import { TransientError } from '../../shared/domain/errors.ts';
import { norm, recorder, taskRow, type Call } from '../helpers/mssql-fake.ts';

// ----------------------------------------------------------------------------------- insertBatch

/** Lets pending callbacks run until `reached` holds, then a few turns more, so that anything else it would do has been done. */
async function settled(reached: () => boolean) {
  for (let turns = 0; turns < 1000 && !reached(); turns++) await new Promise((resolve) => setImmediate(resolve));
  for (let turns = 0; turns < 10; turns++) await new Promise((resolve) => setImmediate(resolve));
}

describe('mssql insertBatch SQL', () => {
  const hires: RowOf['hired_employees'][] = [
    { id: 1, name: 'Ana', datetime: '2021-03-31T23:59:59.123456Z', department_id: 1, job_id: 2 },
    { id: 2, name: 'Bo', datetime: '2021-04-01T00:00:00Z', department_id: 1, job_id: 2 },
    { id: 3, name: 'Cy', datetime: '2021-07-27T16:02:08.5Z', department_id: 2, job_id: 3 },
  ];

  /** Answers the copy out of #staging with `inserted`, the task's advance with `advanced` rows. */
  const answering =
    (inserted: number, advanced = 1) =>
    (sql: string): SqlRow[] =>
      sql.includes('FROM #staging') ? [{ inserted }] : sql.includes('@@ROWCOUNT AS n') ? [{ n: advanced }] : [];

  it('bulk-loads into #staging and inserts only the rows not present; hires leave data_version to the fold', async () => {
    const r = recorder(answering(2));
    const result = await r.db.insertBatch('hired_employees', hires);
    expect(result).toEqual({ inserted: 2, already_exists: 1 });
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'commit']);

    const [ddl, insert] = r.queries();
    expect(ddl.params).toEqual({});
    expect(ddl.sql).toBe(stagingDdl('hired_employees'));
    expect(norm(ddl.sql)).toBe(
      "IF OBJECT_ID(N'tempdb..#staging') IS NOT NULL DROP TABLE #staging; CREATE TABLE #staging (" +
        'id INT NOT NULL PRIMARY KEY, name NVARCHAR(100) COLLATE DATABASE_DEFAULT NOT NULL, datetime DATETIME2(7) NOT NULL, ' +
        'department_id INT NOT NULL, job_id INT NOT NULL);',
    );

    const bulk = r.calls.find((c) => c.kind === 'bulkLoad') as Extract<Call, { kind: 'bulkLoad' }>;
    expect(bulk.columns.map((c) => c.name)).toEqual(['id', 'name', 'datetime', 'department_id', 'job_id']);
    expect(bulk.rows.map((row) => [row[0], row[1], (row[2] as Date).toISOString(), row[3], row[4]])).toEqual([
      [1, 'Ana', '2021-03-31T23:59:59.123Z', 1, 2],
      [2, 'Bo', '2021-04-01T00:00:00.000Z', 1, 2],
      [3, 'Cy', '2021-07-27T16:02:08.500Z', 2, 3],
    ]);
    expect((bulk.rows[0][2] as { nanosecondDelta?: number }).nanosecondDelta).toBeCloseTo(0.000456, 12); // 456 µs past the millisecond

    expect(insert.sql).toBe(INSERT_FROM_STAGING.hired_employees);
    expect(insert.params).toEqual({});
    // The ids it really inserted go to hires_pending as runs of consecutive ids, in the same statement batch.
    expect(norm(insert.sql)).toBe(
      'DECLARE @fresh TABLE (id INT NOT NULL PRIMARY KEY); ' +
        'INSERT INTO hired_employees (id, name, datetime, department_id, job_id) OUTPUT inserted.id INTO @fresh ' +
        'SELECT s.id, s.name, s.datetime, s.department_id, s.job_id FROM #staging s ' +
        'WHERE NOT EXISTS (SELECT 1 FROM hired_employees t WITH (UPDLOCK, HOLDLOCK) WHERE t.id = s.id); ' +
        'DECLARE @inserted INT = @@ROWCOUNT; ' +
        'INSERT INTO hires_pending (id_from, id_to) ' +
        'SELECT MIN(id), MAX(id) FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run FROM @fresh) f GROUP BY run; ' +
        'SELECT @inserted AS inserted;',
    );
    // Departments and jobs bump data_version as they go in (hires, when the fold counts them).
    const dims = recorder(answering(1));
    await dims.db.insertBatch('jobs', [{ id: 1, job: 'Analyst' }]);
    expect(dims.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'query', 'commit']);
    expect(dims.queries()[2]).toMatchObject({ sql: BUMP_VERSION, params: {} });
    expect(BUMP_VERSION).toBe('UPDATE data_version SET version = version + 1 WHERE id = 1;');
    // Only hires feed the reports; the rollup itself is never written by an insert (the reads fold it).
    for (const t of TABLES) expect(INSERT_FROM_STAGING[t], t).not.toMatch(/hires_by_quarter|MERGE/);
    for (const t of ['departments', 'jobs'] as const) expect(INSERT_FROM_STAGING[t], t).not.toMatch(/hires_pending|OUTPUT/);
  });

  it('inserts dimension rows the same way, and leaves data_version alone when nothing was new', async () => {
    const r = recorder(answering(0));
    const result = await r.db.insertBatch('departments', [
      { id: 1, department: 'Sales' },
      { id: 2, department: 'R&D' },
    ]);
    expect(result).toEqual({ inserted: 0, already_exists: 2 });
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'commit']);
    const insert = r.queries()[1];
    expect(norm(insert.sql)).toBe(
      'INSERT INTO departments (id, department) SELECT s.id, s.department FROM #staging s WHERE NOT EXISTS (SELECT 1 FROM departments t WITH (UPDLOCK, HOLDLOCK) WHERE t.id = s.id); SELECT @@ROWCOUNT AS inserted;',
    );
    const bulk = r.calls.find((c) => c.kind === 'bulkLoad') as Extract<Call, { kind: 'bulkLoad' }>;
    expect(bulk.rows).toEqual([
      [1, 'Sales'],
      [2, 'R&D'],
    ]);
  });

  const checkpoint = (over: Partial<TaskCheckpoint> = {}): TaskCheckpoint => ({
    taskId: 7,
    owner: 'loader-a',
    line: 120,
    bytesRead: 4096,
    rejects: [
      { line: 5, id: 'x', raw: 'x,Ana', reasons: ['invalid_id', 'field_count'] },
      { line: 9, id: null, raw: '', reasons: ['missing_id'] },
    ],
    ...over,
  });

  it('stores the rejects and advances the task in the same transaction', async () => {
    const r = recorder(answering(3));
    const result = await r.db.insertBatch('hired_employees', hires, checkpoint());
    expect(result).toEqual({ inserted: 3, already_exists: 0 });
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'bulkLoad task_rejects', 'query', 'commit']);
    const rejects = r.calls.find((c) => c.kind === 'bulkLoad' && c.table === 'task_rejects') as Extract<Call, { kind: 'bulkLoad' }>;
    expect(rejects.columns).toEqual(REJECT_COLUMNS);
    expect(rejects.rows).toEqual([
      [7, 5, 'x', 'x,Ana', 'invalid_id,field_count'],
      [7, 9, null, '', 'missing_id'],
    ]);
    const advance = r.queries()[2];
    expect(advance.sql).toBe(ADVANCE_TASK);
    expect(norm(advance.sql)).toMatch(/WHERE id = @id AND lease_owner = @owner AND status = N'running'; SELECT @@ROWCOUNT AS n;$/);
    expect(advance.params).toMatchObject({
      id: { type: 'Int', value: 7 },
      owner: { type: 'NVarChar', value: 'loader-a' },
      line: { type: 'BigInt', value: 120 },
      bytes: { type: 'BigInt', value: 4096 },
      inserted: { type: 'BigInt', value: 3 },
      already_exists: { type: 'BigInt', value: 0 },
      rejected: { type: 'BigInt', value: 2 },
    });
  });

  it('fills #staging while the previous batch commits, and touches shared tables only after it did', async () => {
    let release!: () => void;
    const previous = new Promise<void>((resolve) => (release = resolve));
    const r = recorder(answering(3));
    const pending = r.db.insertBatch('hired_employees', hires, checkpoint({ after: previous }));
    await settled(() => r.kinds().length >= 3);
    // Only the session's own #staging so far: nothing the previous batch could be waiting on.
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging']);
    release();
    expect(await pending).toEqual({ inserted: 3, already_exists: 0 });
    expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'bulkLoad task_rejects', 'query', 'commit']);
    expect(r.queries().slice(1).map((q) => q.sql)).toEqual([INSERT_FROM_STAGING.hired_employees, ADVANCE_TASK]);
  });

  it('waits for the previous batch before storing the rejects of a batch without rows', async () => {
    let release!: () => void;
    const previous = new Promise<void>((resolve) => (release = resolve));
    const r = recorder(answering(0));
    const pending = r.db.insertBatch('jobs', [], checkpoint({ after: previous }));
    await settled(() => r.kinds().length >= 1);
    expect(r.kinds()).toEqual(['begin']);
    release();
    await pending;
    expect(r.kinds()).toEqual(['begin', 'bulkLoad task_rejects', 'query', 'commit']);
  });

  it('rolls back and fails with the previous batch\'s error when that batch failed, without retrying', async () => {
    for (const failure of [new Error('previous batch failed'), Object.assign(new Error('deadlock victim'), { number: 1205 })]) {
      const r = recorder(answering(3));
      const previous = Promise.reject(failure);
      previous.catch(() => {});
      await expect(r.db.insertBatch('hired_employees', hires, checkpoint({ after: previous }))).rejects.toBe(failure);
      expect(r.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'rollback']);
    }
  });

  it('throws LeaseLostError and rolls back when the advance UPDATE touches no row', async () => {
    const r = recorder(answering(3, 0));
    await expect(r.db.insertBatch('hired_employees', hires, checkpoint())).rejects.toBeInstanceOf(LeaseLostError);
    expect(r.kinds().at(-1)).toBe('rollback');
    expect(r.kinds()).not.toContain('commit');

    const none = recorder();
    await expect(none.db.insertBatch('hired_employees', hires, checkpoint({ taskId: 2 ** 31 }))).rejects.toBeInstanceOf(LeaseLostError);
    expect(none.calls).toEqual([]);
  });

  it('commits a batch of rejects alone without touching #staging', async () => {
    const r = recorder(() => [{ n: 1 }]);
    expect(await r.db.insertBatch('jobs', [], checkpoint())).toEqual({ inserted: 0, already_exists: 0 });
    expect(r.kinds()).toEqual(['begin', 'bulkLoad task_rejects', 'query', 'commit']);
    expect(r.queries()[0].params).toMatchObject({ inserted: { value: 0 }, rejected: { value: 2 } });
  });

  it('runs a batch again when SQL Server picks it as a deadlock victim, but not after other errors', async () => {
    let deadlocks = 1;
    const r = recorder((sql) => {
      if (sql.includes('FROM #staging') && deadlocks-- > 0) throw Object.assign(new Error('deadlock victim'), { number: 1205 });
      return answering(3)(sql);
    });
    expect(await r.db.insertBatch('hired_employees', hires)).toEqual({ inserted: 3, already_exists: 0 });
    expect(r.kinds()).toEqual([
      'begin', 'query', 'bulkLoad #staging', 'query', 'rollback',
      'begin', 'query', 'bulkLoad #staging', 'query', 'commit',
    ]);

    // tedious rejects with an AggregateError when the server sent several errors: the deadlock still counts.
    let aggregate = 1;
    const several = recorder((sql) => {
      if (sql.includes('FROM #staging') && aggregate-- > 0) {
        throw new AggregateError([Object.assign(new Error('deadlock victim'), { number: 1205 }), Object.assign(new Error('terminated'), { number: 3621 })]);
      }
      return answering(3)(sql);
    });
    expect(await several.db.insertBatch('hired_employees', hires)).toEqual({ inserted: 3, already_exists: 0 });
    expect(several.kinds().filter((k) => k === 'begin')).toHaveLength(2);

    const failing = recorder((sql) => {
      if (sql.includes('FROM #staging')) throw Object.assign(new Error('String or binary data would be truncated'), { number: 2628 });
      return [];
    });
    await expect(failing.db.insertBatch('hired_employees', hires)).rejects.toThrow(/truncated/);
    expect(failing.kinds().filter((k) => k === 'begin')).toHaveLength(1);
  });

  it('leaves other transient failures to the caller\'s retry, which can check what took effect', async () => {
    const timeout = recorder((sql) => {
      if (sql.includes('FROM #staging')) throw Object.assign(new Error('Timeout: Request failed to complete in 120000ms'), { code: 'ETIMEOUT' });
      return answering(3)(sql);
    });
    const error = await timeout.db.insertBatch('hired_employees', hires, checkpoint()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe('SQL Server: Timeout: Request failed to complete in 120000ms');
    expect(timeout.kinds()).toEqual(['begin', 'query', 'bulkLoad #staging', 'query', 'rollback']);
  });

  it('runs a claim or an enqueue again when it was a deadlock victim', async () => {
    let deadlocks = 1;
    const r = recorder((sql) => {
      if (deadlocks-- > 0) throw Object.assign(new Error('deadlock victim'), { number: 1205 });
      return sql.startsWith('WITH next_task') ? [taskRow()] : [taskRow({ created: 1 })];
    });
    expect(await r.db.tasks.claim('loader-a', 1, 1000)).toMatchObject({ id: 7 });
    deadlocks = 1;
    expect(await r.db.tasks.enqueue({ file_name: 'jobs.csv', file_version: 'v', table_name: 'jobs', bytes_total: 1 }, 1)).toMatchObject({ created: true });
    expect(r.queries()).toHaveLength(4);
  });

  it('sends nothing for an empty batch without a checkpoint', async () => {
    const r = recorder();
    expect(await r.db.insertBatch('jobs', [])).toEqual({ inserted: 0, already_exists: 0 });
    expect(r.calls).toEqual([]);
  });

  it('refuses a year SQL Server DATETIME2 cannot hold before opening a transaction', async () => {
    const r = recorder();
    const row = { id: 1, name: 'Old', datetime: '0000-06-01T00:00:00Z', department_id: 1, job_id: 1 };
    await expect(r.db.insertBatch('hired_employees', [row])).rejects.toThrow(/DATETIME2 holds years 0001 to 9999/);
    expect(r.calls).toEqual([]);
  });
});

describe('toDateTime2', () => {
  it('keeps every fraction digit: milliseconds in the Date, the rest in nanosecondDelta', () => {
    const d = toDateTime2('2021-12-31T23:59:59.999999Z');
    expect(d.toISOString()).toBe('2021-12-31T23:59:59.999Z');
    // tedious writes DATETIME2(7) as ms * 10^4 + nanosecondDelta * 10^7 (rounded).
    expect(Math.round(999 * 1e4 + (d.nanosecondDelta ?? 0) * 1e7)).toBe(9_999_990);
    expect(toDateTime2('2021-01-01T00:00:00Z').nanosecondDelta).toBeUndefined();
    expect(toDateTime2('0001-01-01T00:00:00Z').toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(() => toDateTime2('2021-01-01T00:00:00+02:00')).toThrow(RangeError);
  });
});
