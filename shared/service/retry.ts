import { isTransientError } from '../domain/errors.ts';

/** Error codes of failures that go away by themselves: lost connections, timeouts, serialization conflicts, deadlocks. */
const TRANSIENT = new Set([
  // Node sockets; tedious: ETIMEOUT (connect or request timeout), ESOCKET, ECLOSE / ECONNCLOSED (connection closed).
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ETIMEOUT', 'ESOCKET', 'ECLOSE', 'ECONNCLOSED',
  'SQLITE_BUSY',
  // PostgreSQL SQLSTATEs: serialization failure, deadlock, shutdown, connection failures.
  '40001', '40P01', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004',
]);

/**
 * SQL Server / Azure SQL error numbers (tedious's `err.number`) worth another try: deadlock victim (1205);
 * database unavailable or failing over (4060, 4221, 40197, 40613); service busy or at its resource
 * limits (40501, 10928, 10929, 49918, 49919, 49920).
 */
const TRANSIENT_NUMBERS = new Set([1205, 4060, 4221, 10928, 10929, 40197, 40501, 40613, 49918, 49919, 49920]);

export function isTransient(error: unknown): boolean {
  if (isTransientError(error)) return true;
  // tedious rejects with an AggregateError when the server sent several errors for one request.
  if (error instanceof AggregateError) return error.errors.some(isTransient);
  const { code, number } = (error ?? {}) as { code?: unknown; number?: unknown };
  if (typeof code === 'string' && TRANSIENT.has(code)) return true;
  if (typeof number === 'number' && TRANSIENT_NUMBERS.has(number)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection lost|socket hang up|Connection lost/i.test(message);
}

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
}

/**
 * Runs `fn`, retrying transient failures with exponential backoff; other errors pass straight through.
 * `fn` is told the attempt number (1, 2, …) so that a retry can first check whether the failed attempt
 * in fact took effect.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? Number(globalThis.process?.env?.HIREDB_RETRY_ATTEMPTS ?? 5);
  const base = opts.baseDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= attempts || !isTransient(e)) throw e;
      await new Promise((r) => setTimeout(r, base * 2 ** (attempt - 1)));
    }
  }
}
