import { HireDbError } from '../domain/errors.ts';
import { quoteInput } from '../domain/quote-input.ts';

/** A file in the Blob container. `version` changes whenever the content changes (etag, or size+mtime). */
export interface BlobEntry {
  name: string;
  version: string;
  size: number;
  /** Listed but maybe still being written (seen for the first time, or changed since the previous list()): not to be queued yet. */
  settling?: boolean;
}

/** Which bytes of a file to read, and of which version. */
export interface OpenOptions {
  /** First byte to read (default 0). */
  start?: number;
  /** Byte offset to stop before (exclusive). With it, a file that ends earlier fails the read. */
  end?: number;
  /** The version the bytes must come from; a file at another version (or gone) fails the read with BlobChangedError. */
  version?: string;
}

/** The Blob container the loader polls: a local folder by default, Azure Blob Storage in production. */
export interface BlobStore {
  /**
   * Every `.csv` and `.csv.gz` file in the container (no sub-folders). A store whose files can be seen
   * while they are still being written marks a file `settling` until it is stable: the local folder does so
   * until its size and mtime are unchanged since the previous list(), and never lists a dotfile or a `*.partial`.
   */
  list(): Promise<BlobEntry[]>;
  /** Entry for one file, or null when it does not exist. */
  stat(name: string): Promise<BlobEntry | null>;
  /**
   * Streams the file's bytes from `start` to `end`. With `version`, every byte comes from that version:
   * the stream fails with BlobChangedError when the file is at another version, changes or is replaced
   * while it is read, and with an error when it ends short of `end`.
   */
  open(name: string, opts?: OpenOptions): Promise<ReadableStream<Uint8Array>>;
  /** Stores a file from a stream, replacing any file of that name, and returns its new entry. */
  write(name: string, body: ReadableStream<Uint8Array>): Promise<BlobEntry>;
  /** Human-readable location, for logs and errors. */
  describe(): string;
}

/** The file is no longer the version a read asked for (overwritten, replaced, appended to, or deleted). */
export class BlobChangedError extends Error {
  constructor(name: string, queued: string, now: string | null, location: string) {
    super(
      now === null
        ? `"${name}" version ${queued} is not in the Blob container (${location})`
        : `"${name}" changed in the Blob container since this task was queued (version ${queued}, now ${now}); the new version has its own task`,
    );
    this.name = 'BlobChangedError';
  }
}

/** File names the loader takes from the container: `.csv` and gzip-compressed `.csv.gz`. */
export function isLoadableFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('.csv') || lower.endsWith('.csv.gz');
}

/**
 * File names accepted in the container: 1–200 characters of `[A-Za-z0-9._-]`, not starting with a dot,
 * no `..`, ending in `.csv` or `.csv.gz`. Anything else is INVALID_NAME, with the name shown escaped.
 */
export function assertPlainFileName(name: string): void {
  if (!/^(?!\.)(?!.*\.\.)[A-Za-z0-9._-]{1,200}$/.test(name) || !/\.csv(\.gz)?$/i.test(name)) {
    throw new HireDbError(
      'INVALID_NAME',
      `invalid file name ${quoteInput(name)}: use 1 to 200 letters, digits, ".", "_" or "-", not starting with "." nor holding "..", ending in .csv or .csv.gz`,
    );
  }
}
