import { isTransientError } from '../domain/errors.ts';

export interface RetryOptions {
  /** Tries in all, the first included (HIREDB_RETRY_ATTEMPTS, default 5). */
  attempts?: number;
  /** The wait before the second try; it doubles with each further try. */
  baseDelayMs?: number;
  /** The longest wait between two tries. */
  maxDelayMs?: number;
  /** A number in [0, 1); Math.random unless a test fixes it. */
  random?: () => number;
}

export const DEFAULT_RETRY_ATTEMPTS = 5;

/**
 * Runs `fn`, retrying a TransientError (adapters decide what is transient) with exponential backoff and
 * full jitter: the n-th wait is a random time up to baseDelayMs * 2^(n-1), at least half of it, so that
 * many clients failing together do not come back together. Other errors pass straight through.
 * `fn` is told the attempt number (1, 2, …) so that a retry can first check whether the failed attempt
 * in fact took effect.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? DEFAULT_RETRY_ATTEMPTS;
  const base = opts.baseDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 10_000;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= attempts || !isTransientError(e)) throw e;
      const ceiling = Math.min(max, base * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, ceiling / 2 + (random() * ceiling) / 2));
    }
  }
}
