import { HireDbError } from '../domain/errors.ts';
import { quoteInput } from '../domain/quote-input.ts';

/** A file in the Blob container. `version` changes whenever the content changes (etag, or size+mtime). */
export interface BlobEntry {
  name: string;
  version: string;
  size: number;
}

/** The Blob container the loader polls: a local folder by default, Azure Blob Storage in production. */
export interface BlobStore {
  /** Every `.csv` file in the container (no sub-folders). */
  list(): Promise<BlobEntry[]>;
  /** Entry for one file, or null when it does not exist. */
  stat(name: string): Promise<BlobEntry | null>;
  /** Streams the file's bytes, from `start` (byte offset) when given. */
  open(name: string, start?: number): Promise<ReadableStream<Uint8Array>>;
  /** Stores a file from a stream, replacing any file of that name, and returns its new entry. */
  write(name: string, body: ReadableStream<Uint8Array>): Promise<BlobEntry>;
  /** Human-readable location, for logs and errors. */
  describe(): string;
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
