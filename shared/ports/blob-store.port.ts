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

/** File names accepted in the container: a plain name, no path separators, no `..`. */
export function assertPlainFileName(name: string): void {
  if (!name || name.includes('/') || name.includes('\\') || name.includes('..') || name.includes('\0')) {
    throw new Error(`invalid file name "${name}": path separators and ".." are not allowed`);
  }
}
