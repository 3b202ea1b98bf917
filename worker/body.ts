import { HireDbError } from '../shared/domain/errors.ts';

export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024 * 1024;

function tooLarge(what: string, maxBytes: number, setting: string): HireDbError {
  return new HireDbError('BODY_TOO_LARGE', `${what} is at most ${maxBytes} bytes (${setting}); nothing was written`);
}

/** The declared Content-Length, or null when absent or not a number. */
function declaredLength(req: Request): number | null {
  const header = req.headers.get('content-length');
  return header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null;
}

/**
 * Reads a request body of at most `maxBytes` bytes. A Content-Length over the limit is refused before any
 * byte is read; otherwise the body is read as it streams and refused as soon as it passes the limit, so a
 * refused body never sits in memory.
 */
export async function readBodyBytes(
  req: Request,
  maxBytes: number,
  opts: { what?: string; setting?: string } = {},
): Promise<Uint8Array> {
  const what = opts.what ?? 'a batch body';
  const setting = opts.setting ?? 'HIREDB_MAX_BATCH_BYTES';
  const declared = declaredLength(req);
  if (declared !== null && declared > maxBytes) throw tooLarge(what, maxBytes, setting);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      reader.releaseLock(); // the rest is drained and dropped by the server, never kept
      throw tooLarge(what, maxBytes, setting);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * Passes a request body through while counting its bytes; past `maxBytes` the stream errors with
 * BODY_TOO_LARGE, so whatever is writing it stops and removes what it wrote. A Content-Length over the
 * limit is refused at once.
 */
export function limitedBody(req: Request, maxBytes: number, opts: { what: string; setting: string }): ReadableStream<Uint8Array> | null {
  const declared = declaredLength(req);
  if (declared !== null && declared > maxBytes) throw tooLarge(opts.what, maxBytes, opts.setting);
  if (!req.body) return null;
  let total = 0;
  return req.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > maxBytes) controller.error(tooLarge(opts.what, maxBytes, opts.setting));
        else controller.enqueue(chunk);
      },
    }),
  );
}

/** True when `err` (or its cause chain) is the BODY_TOO_LARGE error of limitedBody. */
export function findBodyTooLarge(err: unknown): HireDbError | null {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof HireDbError && e.code === 'BODY_TOO_LARGE') return e;
  }
  return null;
}
