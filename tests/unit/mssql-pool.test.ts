import { ConnectionError } from 'mssql';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../shared/domain/errors.ts';
import { REJECT_COLUMNS, STAGING_COLUMNS, stagingRow } from '../../shared/adapters/db/mssql-bulk.ts';
import { translateMssqlError } from '../../shared/adapters/db/mssql-errors.ts';
import { bigint, datetime2, int, nvarchar } from '../../shared/adapters/db/mssql-executor.ts';
import { createPoolExecutor } from '../../shared/adapters/db/mssql-pool.ts';
import { toDateTime2 } from '../../shared/adapters/db/mssql-params.ts';
import { fakeWirePool, type WireAnswer, type WireCall } from '../helpers/mssql-fake.ts';

/** The executor on the mssql package, its tedious connection answered by `answer`. */
function executor(answer?: (call: WireCall) => WireAnswer | undefined) {
  const wire = fakeWirePool(answer);
  return { ...wire, exec: createPoolExecutor(wire.pool, (e) => translateMssqlError(e, ['s3cret-pw'])) };
}

describe('the mssql pool executor, down to what tedious is asked to send', () => {
  it('sends a query without parameters as a plain batch (its #temp tables outlive it), with parameters through sp_executesql', async () => {
    const { exec, calls } = executor((call) =>
      call.kind === 'sql' ? { recordsets: [[{ n: '2' }], [{ a: 'x' }, { a: 'y' }]] } : { recordsets: [[{ ok: 1 }]] },
    );
    expect(await exec.query('SELECT 1 AS ok;')).toEqual([{ ok: 1 }]);
    const at = toDateTime2('2021-03-31T23:59:59.1234567Z');
    const rows = await exec.query('SELECT @id, @big, @name, @long, @at, @none;', {
      id: int(7),
      big: bigint(2 ** 40),
      name: nvarchar('Ana'),
      long: nvarchar('x'.repeat(4001)),
      at: datetime2(at),
      none: nvarchar(null),
    });
    expect(rows).toEqual([{ n: '2' }, { a: 'x' }, { a: 'y' }]); // every result set, in order
    expect(calls[0]).toEqual({ kind: 'batch', sql: 'SELECT 1 AS ok;', params: [] });
    expect(calls[1]).toMatchObject({ kind: 'sql', sql: 'SELECT @id, @big, @name, @long, @at, @none;' });
    const sent = calls[1];
    if (sent.kind !== 'sql') throw new Error(`expected sp_executesql, got ${sent.kind}`);
    const params = sent.params;
    expect(params.map(({ name, type, length, scale }) => ({ name, type, length, scale }))).toEqual([
      { name: 'id', type: 'Int', length: undefined, scale: undefined },
      { name: 'big', type: 'BigInt', length: undefined, scale: undefined },
      { name: 'name', type: 'NVarChar', length: 4000, scale: undefined },
      { name: 'long', type: 'NVarChar', length: 65535, scale: undefined }, // NVARCHAR(MAX)
      { name: 'at', type: 'DateTime2', length: undefined, scale: 7 },
      { name: 'none', type: 'NVarChar', length: 4000, scale: undefined },
    ]);
    expect(params[4].value).toBe(at); // the same Date, so its nanosecondDelta (the 7th digit) goes along
    expect(params[5].value).toBeNull();
  });

  it('bulk-loads #staging and task_rejects with the columns of their tables, keeping NULLs', async () => {
    const { exec, calls } = executor();
    const hire = stagingRow('hired_employees', { id: 1, name: 'Ana', datetime: '2021-01-02T03:04:05Z', department_id: 2, job_id: 3 });
    await exec.bulkLoad('#staging', STAGING_COLUMNS.hired_employees, [hire]);
    await exec.bulkLoad('task_rejects', REJECT_COLUMNS, [[7, 5, null, 'x,Ana', 'field_count']]);
    expect(calls).toEqual([
      {
        kind: 'bulk',
        sql: 'insert bulk [#staging]([id] int, [name] nvarchar(100), [datetime] datetime2(7), [department_id] int, [job_id] int) WITH (KEEP_NULLS)',
        rows: [hire],
      },
      {
        kind: 'bulk',
        sql: 'insert bulk [task_rejects]([task_id] int, [line] bigint, [record_id] nvarchar(max), [raw] nvarchar(max), [reasons] nvarchar(1000)) WITH (KEEP_NULLS)',
        rows: [[7, 5, null, 'x,Ana', 'field_count']],
      },
    ]);
  });

  it('runs a transaction on one connection: begin, its requests in order, commit', async () => {
    const { exec, calls } = executor((call) => (call.kind === 'sql' ? { recordsets: [[{ n: 1 }]] } : undefined));
    const result = await exec.transaction(async (tx) => {
      await tx.query('CREATE TABLE #t (x INT);');
      // Two calls at once still reach the connection one after the other.
      const [a] = await Promise.all([tx.query('SELECT @x AS n;', { x: int(1) }), tx.bulkLoad('#t', [{ name: 'x', type: 'Int', nullable: false }], [[1]])]);
      return a;
    });
    expect(result).toEqual([{ n: 1 }]);
    expect(calls.map((c) => c.kind)).toEqual(['begin', 'batch', 'sql', 'bulk', 'commit']);
  });

  it('rolls back when the work throws, and rethrows what it threw', async () => {
    const { exec, calls } = executor();
    const failure = new Error('previous batch failed');
    await expect(
      exec.transaction(async (tx) => {
        await tx.query('SELECT 1;');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls.map((c) => c.kind)).toEqual(['begin', 'batch', 'rollback']);
  });

  it('answers a deadlock victim with a TransientError carrying error 1205, the server having rolled back', async () => {
    const deadlock = 'Transaction (Process ID 52) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.';
    const { exec, calls } = executor((call) =>
      call.kind === 'sql' ? { error: { number: 1205, message: deadlock, rollsBack: true } } : undefined,
    );
    const error = await exec
      .transaction(async (tx) => {
        await tx.query('SELECT 1;');
        await tx.query('INSERT INTO t SELECT @x;', { x: int(1) });
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(`SQL Server: ${deadlock}`);
    expect((error as Error).cause).toMatchObject({ name: 'RequestError', number: 1205 });
    // The server ended the transaction itself: no ROLLBACK is sent, and no COMMIT.
    expect(calls.map((c) => c.kind)).toEqual(['begin', 'batch', 'sql']);
    // The connection is free again.
    expect(await exec.query('SELECT 2 AS ok;')).toEqual([]);
  });

  it('passes a constraint violation through as the driver error, with its number', async () => {
    const { exec } = executor(() => ({ error: { number: 2627, message: "Violation of PRIMARY KEY constraint 'PK_x'." } }));
    const error = await exec.query('INSERT INTO x VALUES (1);').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ name: 'RequestError', number: 2627, code: 'EREQUEST' });
  });

  it('answers a failure to get a connection with a TransientError, the password blanked out', async () => {
    const wire = executor();
    wire.failAcquire(new ConnectionError('Failed to connect to db:1433 as s3cret-pw - connect ECONNREFUSED', 'ESOCKET'));
    for (const attempt of [() => wire.exec.query('SELECT 1;'), () => wire.exec.transaction(async () => 1)]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toBe('SQL Server: Failed to connect to db:1433 as *** - connect ECONNREFUSED');
      expect(String((error as Error).stack)).not.toContain('s3cret-pw');
      expect(String(((error as Error).cause as Error).stack)).not.toContain('s3cret-pw');
    }
    expect(wire.calls).toEqual([]);
  });
});
