// isTransient and withRetry (issue 3): which failures are retried, with what backoff, how many times.
import { afterEach, describe, expect, it } from 'vitest';
import { isTransient, withRetry } from '../../shared/service/retry.ts';

afterEach(() => {
  delete process.env.HIREDB_RETRY_ATTEMPTS;
});

describe('isTransient and withRetry', () => {
  const coded = (code: string, message = `failure ${code}`) => Object.assign(new Error(message), { code });

  it('tells transient failures (lost connections, conflicts, deadlocks) from the rest', () => {
    for (const e of [
      coded('ECONNRESET'),
      coded('ECONNREFUSED'),
      coded('EPIPE'),
      coded('57P01', 'terminating connection due to administrator command'),
      coded('40001', 'could not serialize access'),
      coded('40P01', 'deadlock detected'),
      coded('08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout'),
    ]) {
      expect(isTransient(e), String(e)).toBe(true);
    }
    for (const e of [
      coded('23505', 'duplicate key value violates unique constraint'),
      coded('42P01', 'relation "tasks" does not exist'),
      coded('22P02', 'invalid input syntax'),
      new Error('boom'),
      new RangeError('PostgreSQL cannot store the character U+0000 in a text value'),
      null,
      undefined,
      'Connection terminated',
      { code: 40001 },
    ]) {
      expect(isTransient(e), String(e)).toBe(false);
    }
  });

  it('does not retry a non-transient error', async () => {
    let calls = 0;
    const error = coded('23505');
    await expect(
      withRetry(async () => {
        calls++;
        throw error;
      }, { attempts: 5, baseDelayMs: 10 }),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('retries transient errors with exponential backoff, then succeeds', async () => {
    const at: number[] = [];
    const result = await withRetry(async () => {
      at.push(performance.now());
      if (at.length < 4) throw coded('ECONNRESET');
      return 'ok';
    }, { attempts: 5, baseDelayMs: 40 });
    expect(result).toBe('ok');
    expect(at).toHaveLength(4);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(158);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
  });

  it('gives up after the attempts with the last error; HIREDB_RETRY_ATTEMPTS sets the default', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw coded('ECONNRESET', `attempt ${calls}`);
    };
    await expect(withRetry(fail, { attempts: 3, baseDelayMs: 1 })).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);

    calls = 0;
    process.env.HIREDB_RETRY_ATTEMPTS = '2';
    await expect(withRetry(fail, { baseDelayMs: 1 })).rejects.toThrow('attempt 2');
    expect(calls).toBe(2);

    calls = 0;
    delete process.env.HIREDB_RETRY_ATTEMPTS;
    await expect(withRetry(fail, { baseDelayMs: 1 })).rejects.toThrow('attempt 5');
    expect(calls).toBe(5);
  });
});
