/** Error codes of failures that go away by themselves: lost connections, serialization conflicts, deadlocks. */
const TRANSIENT = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ESOCKET', 'SQLITE_BUSY',
  '40001', '40P01', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004',
]);

export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && TRANSIENT.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection lost|socket hang up|Connection lost/i.test(message);
}

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
}

/** Runs `fn`, retrying transient failures with exponential backoff; other errors pass straight through. */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? Number(globalThis.process?.env?.HIREDB_RETRY_ATTEMPTS ?? 5);
  const base = opts.baseDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts || !isTransient(e)) throw e;
      await new Promise((r) => setTimeout(r, base * 2 ** (attempt - 1)));
    }
  }
}
