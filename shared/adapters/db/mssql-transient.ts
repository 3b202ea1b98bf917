/** tedious error codes of failures that go away by themselves: timeouts, lost or closed connections. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ETIMEOUT', 'ESOCKET', 'ECLOSE', 'ECONNCLOSED']);

/**
 * SQL Server / Azure SQL error numbers (tedious's `err.number`) worth another try: deadlock victim (1205);
 * database unavailable or failing over (4060, 4221, 40197, 40613); service busy or at its resource
 * limits (40501, 10928, 10929, 49918, 49919, 49920).
 */
const TRANSIENT_NUMBERS = new Set([1205, 4060, 4221, 10928, 10929, 40197, 40501, 40613, 49918, 49919, 49920]);

/** Whether a tedious / SQL Server error is transient (the SQL Server adapter wraps those in TransientError). */
export function isTransientMssqlError(error: unknown): boolean {
  // tedious rejects with an AggregateError when the server sent several errors for one request.
  if (error instanceof AggregateError) return error.errors.some(isTransientMssqlError);
  const { code, number } = (error ?? {}) as { code?: unknown; number?: unknown };
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  return typeof number === 'number' && TRANSIENT_NUMBERS.has(number);
}
