import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { BlobChangedError } from '../../ports/blob-store.port.ts';

const CHUNK_BYTES = 1 << 18;

/** A local file's version: its size and modification time (ms). */
export function fileVersion(s: Pick<Stats, 'size' | 'mtimeMs'>): string {
  return `${s.size}-${Math.trunc(s.mtimeMs)}`;
}

/**
 * Streams bytes `start`..`end` (exclusive) of a local file. A file that ends before `end` fails the stream.
 * With `version` (size-mtime), the file must be at that version when opened and after every chunk read
 * (same size, same mtime, and the path still names the file that was opened); otherwise the stream fails
 * with BlobChangedError before the chunk is handed on, so no byte of another version is ever passed along.
 */
export async function openFileRange(
  path: string,
  opts: { start?: number; end?: number; version?: string; name?: string; location?: string },
): Promise<ReadableStream<Uint8Array>> {
  const name = opts.name ?? path;
  const location = opts.location ?? path;
  const version = opts.version;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw version ? new BlobChangedError(name, version, null, location) : new Error(`file "${name}" not found in ${location}`);
    }
    throw e;
  }
  const fh = handle;
  const opened = await fh.stat();
  if (version && fileVersion(opened) !== version) {
    await fh.close();
    throw new BlobChangedError(name, version, fileVersion(opened), location);
  }
  const stop = opts.end ?? (version ? opened.size : Infinity);
  let pos = opts.start ?? 0;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close().catch(() => {});
  };
  const verify = async () => {
    if (!version) return;
    const [now, atPath] = await Promise.all([fh.stat(), stat(path).catch(() => null)]);
    if (fileVersion(now) !== version) throw new BlobChangedError(name, version, fileVersion(now), location);
    if (!atPath || atPath.ino !== opened.ino || atPath.dev !== opened.dev) {
      throw new BlobChangedError(name, version, atPath ? `${fileVersion(atPath)} (replaced)` : null, location);
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const want = Math.min(CHUNK_BYTES, stop - pos);
        if (want <= 0) {
          await verify();
          await close();
          controller.close();
          return;
        }
        const bytes = new Uint8Array(want);
        const { bytesRead } = await fh.read(bytes, 0, want, pos);
        if (bytesRead === 0) {
          await verify(); // a file cut short is another version
          if (stop !== Infinity) throw new Error(`"${name}" ended at byte ${pos}, short of the ${stop} bytes it was queued with`);
          await close();
          controller.close();
          return;
        }
        await verify();
        pos += bytesRead;
        controller.enqueue(bytesRead === want ? bytes : bytes.subarray(0, bytesRead));
      } catch (e) {
        await close();
        controller.error(e);
      }
    },
    cancel: close,
  }, { highWaterMark: 0 }); // no read-ahead: each chunk is read, and checked, when it is asked for
}
