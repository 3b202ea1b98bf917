import { sqlErrorNumber } from './mssql-executor.ts';

/** SQL Server's deadlock victim error: the transaction was rolled back whole and may simply run again. */
const DEADLOCK_VICTIM = 1205;
const DEADLOCK_ATTEMPTS = 5;

/**
 * Runs `fn` again when SQL Server picked it as a deadlock victim (concurrent batches on overlapping ids
 * can deadlock where SQLite, with one writer, would have waited), unless `retryable` says no. Other
 * errors pass through.
 */
export async function retryDeadlocks<T>(fn: () => Promise<T>, retryable: () => boolean = () => true): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= DEADLOCK_ATTEMPTS || sqlErrorNumber(e) !== DEADLOCK_VICTIM || !retryable()) throw e;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}
