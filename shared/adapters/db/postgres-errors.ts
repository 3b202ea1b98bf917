import { TransientError } from '../../domain/errors.ts';

/**
 * SQLSTATEs of failures that go away by themselves: serialization failure, deadlock, statement timeout or
 * cancel, idle-in-transaction timeout, server shutting down or starting, too many connections.
 * Class 08 (connection exceptions) is matched as a class.
 */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '57014', '25P03', '57P01', '57P02', '57P03', '53300']);
const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// pg and pg-pool report lost connections and their own timeouts with these messages and no code.
const TRANSIENT_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection lost|socket hang up/i;

export function isTransientPostgresError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SOCKET_CODES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return TRANSIENT_MESSAGE.test(error.message);
}

/** Whether the connection that raised `error` can still be used (a rollback on it is worth sending). */
export function isConnectionUsable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return !isTransientPostgresError(error) || code === '40001' || code === '40P01';
}

/** The driver's error in the domain's terms: a TransientError (with the original as cause) or as it was. */
export function toDomainError(error: unknown): unknown {
  if (error instanceof TransientError || !isTransientPostgresError(error)) return error;
  return new TransientError(`PostgreSQL: ${(error as Error).message}`, { cause: error });
}
