import { describe, expect, it } from 'vitest';
import { sqlErrorNumber } from '../../shared/adapters/db/mssql-executor.ts';
import { isTransientMssqlError as isTransient } from '../../shared/adapters/db/mssql-transient.ts';

describe('retry of SQL Server failures', () => {
  const coded = (code: string) => Object.assign(new Error(code), { code });
  const numbered = (number: number) => Object.assign(new Error(`error ${number}`), { code: 'EREQUEST', number });

  it('takes tedious connection failures and Azure SQL transient errors as transient', () => {
    for (const code of ['ETIMEOUT', 'ESOCKET', 'ECONNRESET', 'ECONNCLOSED', 'ECLOSE']) expect(isTransient(coded(code)), code).toBe(true);
    for (const n of [4060, 40197, 40501, 40613, 49918, 49919, 49920, 4221, 10928, 10929, 1205]) expect(isTransient(numbered(n)), String(n)).toBe(true);
    expect(isTransient(new AggregateError([numbered(3621), numbered(1205)]))).toBe(true);
  });

  it('passes real errors through: constraint violations, truncation, cancellation, login failures', () => {
    for (const n of [2627, 2628, 547, 8152, 245, 18456]) expect(isTransient(numbered(n)), String(n)).toBe(false);
    for (const code of ['ECANCEL', 'ELOGIN', 'EPARAM', 'EREQUEST']) expect(isTransient(coded(code)), code).toBe(false);
    expect(isTransient(new AggregateError([numbered(2627), numbered(3621)]))).toBe(false);
    expect(isTransient(null)).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });

  it('reads the server error number, the first of several', () => {
    expect(sqlErrorNumber(numbered(1205))).toBe(1205);
    expect(sqlErrorNumber(new AggregateError([coded('EREQUEST'), numbered(2627), numbered(3621)]))).toBe(2627);
    expect(sqlErrorNumber(new Error('plain'))).toBeUndefined();
    expect(sqlErrorNumber(null)).toBeUndefined();
  });
});
