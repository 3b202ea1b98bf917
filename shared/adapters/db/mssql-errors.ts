/**
 * SQL Server driver errors in the domain's terms: what may succeed if simply run again becomes a
 * TransientError (the driver error as its cause); everything else passes through as it is.
 */
import type { Connection } from 'tedious';
import { TransientError } from '../../domain/errors.ts';

/**
 * Codes of mssql/tedious (and Node socket) errors of a lost, refused or timed-out connection or request:
 * ESOCKET (socket error, refused connection), ETIMEOUT (connect or request timeout), ECONNCLOSED / ECLOSE
 * (connection closed), and the socket errors underneath.
 */
const TRANSIENT_CODES = new Set([
  'ESOCKET',
  'ETIMEOUT',
  'ECONNCLOSED',
  'ECLOSE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** SQL Server's deadlock victim: the server rolled the transaction back whole; it may simply run again. */
export const DEADLOCK_VICTIM = 1205;

/**
 * SQL Server / Azure SQL error numbers worth another try: deadlock victim (1205); database unavailable
 * or failing over (4060, 4221, 40197, 40613); service busy or at its resource limits (40501, 10928,
 * 10929, 49918, 49919, 49920).
 */
const TRANSIENT_NUMBERS = new Set([DEADLOCK_VICTIM, 4060, 4221, 10928, 10929, 40197, 40501, 40613, 49918, 49919, 49920]);

/**
 * The error and every error it carries: mssql's `originalError` (the tedious error it wraps) and
 * `precedingErrors` (earlier server errors of the same request), AggregateError members, `cause`.
 */
function chain(error: unknown): object[] {
  const seen = new Set<object>();
  const visit = (e: unknown) => {
    if (e === null || typeof e !== 'object' || seen.has(e) || seen.size > 50) return;
    seen.add(e);
    const { originalError, precedingErrors, cause } = e as { originalError?: unknown; precedingErrors?: unknown; cause?: unknown };
    visit(originalError);
    if (Array.isArray(precedingErrors)) precedingErrors.forEach(visit);
    if (e instanceof AggregateError) e.errors.forEach(visit);
    visit(cause);
  };
  visit(error);
  return [...seen];
}

/** The SQL Server error numbers an error carries, in the order they were met. */
export function sqlErrorNumbers(error: unknown): number[] {
  return chain(error)
    .map((e) => (e as { number?: unknown }).number)
    .filter((n): n is number => typeof n === 'number');
}

export const isDeadlockVictim = (error: unknown): boolean => sqlErrorNumbers(error).includes(DEADLOCK_VICTIM);

/** Whether a driver error is one that may go away by itself. */
export function isTransientMssqlError(error: unknown): boolean {
  return chain(error).some((e) => {
    const { code, number, isTransient } = e as { code?: unknown; number?: unknown; isTransient?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    if (typeof number === 'number' && TRANSIENT_NUMBERS.has(number)) return true;
    if (isTransient === true) return true; // tedious's mark on a login error it would retry itself
    return e.constructor?.name === 'TimeoutError'; // tarn's: the pool lent no connection within its acquire timeout
  });
}

/**
 * A driver error as the adapter throws it: a TransientError (cause: the driver error) when it may go away
 * by itself, the error itself otherwise. Errors already in the domain's terms pass through unchanged.
 * `secrets` (the password) are blanked out of every message and stack in the error's chain first.
 */
export function translateMssqlError(error: unknown, secrets: readonly string[] = []): unknown {
  redact(error, secrets);
  if (error instanceof TransientError || !isTransientMssqlError(error)) return error;
  const message = error instanceof Error && error.message ? error.message : String(error);
  return new TransientError(`SQL Server: ${message}`, { cause: error });
}

/**
 * Strings shorter than this are not blanked out of messages: they occur in ordinary text by chance
 * (and a password that short is no secret anyway).
 */
const MIN_SECRET_LENGTH = 4;

/** Blanks `secrets` out of the message and stack of every error in the chain, in place. */
export function redact(error: unknown, secrets: readonly string[]): void {
  const hidden = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
  if (hidden.length === 0) return;
  const blank = (text: string) => hidden.reduce((t, s) => t.split(s).join('***'), text);
  for (const e of chain(error)) {
    const err = e as { message?: unknown; stack?: unknown };
    for (const field of ['message', 'stack'] as const) {
      const value = err[field];
      if (typeof value === 'string' && hidden.some((s) => value.includes(s))) {
        try {
          err[field] = blank(value);
        } catch {
          // a read-only property: nothing to do
        }
      }
    }
  }
}

/**
 * tedious reports a failed login without the server's error number (so a database that is failing over,
 * 40613, or a busy one, 40501, looks like a wrong password). Installed as the pool's `beforeConnect`, this
 * puts the number of the last server error of the login on the error the connection fails with.
 */
export function keepLoginErrorNumber(connection: Connection): void {
  let loginErrorNumber: number | undefined;
  const onErrorMessage = (token: { number?: unknown }) => {
    if (typeof token.number === 'number') loginErrorNumber = token.number;
  };
  connection.on('errorMessage', onErrorMessage);
  // Registered before the pool's own connect callback, so it runs first.
  connection.once('connect', (err?: Error) => {
    connection.removeListener('errorMessage', onErrorMessage);
    if (err && loginErrorNumber !== undefined && (err as { number?: unknown }).number === undefined) {
      Object.assign(err, { number: loginErrorNumber });
    }
  });
}
