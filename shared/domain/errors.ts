/**
 * Expected failures as data: every error HireDB reports on purpose carries a stable code. Domain and
 * adapter code throws these; one place (the worker's onError, the CLI's main) turns them into an answer.
 */
export type ErrorCode =
  | 'BAD_PARAMETER'
  | 'BAD_JSON'
  | 'BAD_BATCH_SIZE'
  | 'INVALID_NAME'
  | 'EMPTY_BODY'
  | 'UPLOAD_ABORTED'
  | 'LOAD_FAILED'
  | 'AUTH_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_TIMEOUT'
  | 'MISDIRECTED_REQUEST'
  | 'TRANSIENT'
  | 'INTERNAL';

export class HireDbError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HireDbError';
  }
}

/**
 * A failure expected to go away by itself (a lost connection, a timeout, a deadlock, a busy database).
 * Only adapters decide that a driver error is transient, by throwing this with the driver error as cause;
 * the retry policy retries these and nothing else.
 */
export class TransientError extends HireDbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSIENT', message, options);
    this.name = 'TransientError';
  }
}

export const isTransientError = (e: unknown): e is TransientError => e instanceof TransientError;
