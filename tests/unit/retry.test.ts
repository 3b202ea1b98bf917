// The one retry policy: withRetry retries TransientError only, with exponential backoff and jitter; the
// PostgreSQL and SQLite adapters decide which driver errors are transient.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withRetry } from '../../shared/service/retry.ts';
import { HireDbError, TransientError } from '../../shared/domain/errors.ts';
import { isTransientPostgresError, toDomainError } from '../../shared/adapters/db/postgres-errors.ts';

const coded = (code: string, message = `failure ${code}`) => Object.assign(new Error(message), { code });

describe('withRetry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs `fn` under withRetry, recording the fake clock at each attempt. */
  function attemptsAt(failures: number, opts: Parameters<typeof withRetry>[1]) {
    const at: number[] = [];
    const result = withRetry(async (attempt) => {
      at.push(Date.now());
      expect(attempt).toBe(at.length);
      if (at.length <= failures) throw new TransientError(`attempt ${attempt}`);
      return 'ok';
    }, opts);
    return { at, result };
  }

  it('retries nothing but a TransientError: driver errors, even of lost connections, pass straight through', async () => {
    for (const error of [coded('ECONNRESET'), coded('40P01', 'deadlock detected'), new HireDbError('CONFLICT', 'no'), new Error('boom')]) {
      let calls = 0;
      await expect(
        withRetry(async () => {
          calls++;
          throw error;
        }, { attempts: 5 }),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('waits exponentially longer between tries: between half and all of base * 2^(n-1)', async () => {
    const { at, result } = attemptsAt(3, { attempts: 5, baseDelayMs: 100, random: () => 0 });
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe('ok');
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(gaps).toEqual([50, 100, 200]);

    const mid = attemptsAt(3, { attempts: 5, baseDelayMs: 100, random: () => 0.5 });
    await vi.runAllTimersAsync();
    await expect(mid.result).resolves.toBe('ok');
    expect(mid.at.slice(1).map((t, i) => t - mid.at[i])).toEqual([75, 150, 300]);
  });

  it('jitters: two clients failing together do not come back together', async () => {
    const a = attemptsAt(4, { attempts: 5, baseDelayMs: 100 });
    const b = attemptsAt(4, { attempts: 5, baseDelayMs: 100 });
    await vi.runAllTimersAsync();
    await Promise.all([a.result, b.result]);
    expect(a.at).not.toEqual(b.at);
    for (const { at } of [a, b]) {
      at.slice(1).forEach((t, i) => {
        const ceiling = 100 * 2 ** i;
        expect(t - at[i]).toBeGreaterThanOrEqual(ceiling / 2);
        expect(t - at[i]).toBeLessThanOrEqual(ceiling);
      });
    }
  });

  it('caps one wait at maxDelayMs', async () => {
    const { at, result } = attemptsAt(6, { attempts: 10, baseDelayMs: 1000, maxDelayMs: 3000, random: () => 0.5 });
    await vi.runAllTimersAsync();
    await result;
    expect(at.slice(1).map((t, i) => t - at[i])).toEqual([750, 1500, 2250, 2250, 2250, 2250]);
  });

  it('gives up after the given attempts with the last error (5 by default)', async () => {
    const three = attemptsAt(10, { attempts: 3 });
    const settled3 = three.result.catch((e) => e);
    await vi.runAllTimersAsync();
    expect(await settled3).toMatchObject({ name: 'TransientError', message: 'attempt 3' });
    expect(three.at).toHaveLength(3);

    const byDefault = attemptsAt(10, {});
    const settled = byDefault.result.catch((e) => e);
    await vi.runAllTimersAsync();
    expect(await settled).toMatchObject({ message: 'attempt 5' });
    expect(byDefault.at).toHaveLength(5);
  });

  it('reads nothing from the environment: attempts come from the caller', async () => {
    process.env.HIREDB_RETRY_ATTEMPTS = '2';
    try {
      const { at, result } = attemptsAt(10, { attempts: 4 });
      const settled = result.catch((e) => e);
      await vi.runAllTimersAsync();
      await settled;
      expect(at).toHaveLength(4);
    } finally {
      delete process.env.HIREDB_RETRY_ATTEMPTS;
    }
  });
});

describe('the PostgreSQL adapter tells transient driver errors from the rest', () => {
  it('lost connections, timeouts, serialization failures, deadlocks and shutdowns are transient', () => {
    for (const e of [
      coded('ECONNRESET'),
      coded('ECONNREFUSED'),
      coded('EPIPE'),
      coded('ETIMEDOUT'),
      coded('57P01', 'terminating connection due to administrator command'),
      coded('57P02'),
      coded('57P03', 'the database system is starting up'),
      coded('40001', 'could not serialize access'),
      coded('40P01', 'deadlock detected'),
      coded('57014', 'canceling statement due to statement timeout'),
      coded('08006'),
      coded('08001'),
      coded('08P01'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Query read timeout'),
    ]) {
      expect(isTransientPostgresError(e), String(e)).toBe(true);
      const wrapped = toDomainError(e);
      expect(wrapped).toBeInstanceOf(TransientError);
      expect((wrapped as TransientError).code).toBe('TRANSIENT');
      expect((wrapped as TransientError).cause).toBe(e);
    }
  });

  it('constraint violations, bad SQL and bad data are not', () => {
    for (const e of [
      coded('23505', 'duplicate key value violates unique constraint'),
      coded('42P01', 'relation "tasks" does not exist'),
      coded('22P02', 'invalid input syntax'),
      coded('28P01', 'password authentication failed'),
      new Error('boom'),
      new RangeError('PostgreSQL cannot store the character U+0000 in a text value'),
      null,
      undefined,
      'Connection terminated',
      { code: '40001' },
    ]) {
      expect(isTransientPostgresError(e), String(e)).toBe(false);
      expect(toDomainError(e)).toBe(e);
    }
  });
});
