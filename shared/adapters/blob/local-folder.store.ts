import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { assertPlainFileName, isLoadableFileName, type BlobEntry, type BlobStore } from '../../ports/blob-store.port.ts';
import { fileVersion, openFileRange } from './file-range.ts';

/**
 * The Blob container as a local folder (the default, `var/blob`); version = size and modification time.
 * A file copied in is visible while it is written, so list() marks a file `settling` until it is stable: the
 * same size and mtime as at the previous list(). Dotfiles and `*.partial` files (uploads in progress) are never listed.
 */
export async function openLocalFolderStore(dir: string): Promise<BlobStore> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  let observed = new Map<string, string>(); // name → version at the previous list()

  const entry = async (name: string): Promise<BlobEntry | null> => {
    try {
      const s = await stat(join(root, name));
      return s.isFile() ? { name, version: fileVersion(s), size: s.size } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };

  return {
    async list() {
      const names = (await readdir(root)).filter((n) => isLoadableFileName(n) && !n.startsWith('.') && !n.toLowerCase().endsWith('.partial'));
      const entries = (await Promise.all(names.sort().map(entry))).filter((e): e is BlobEntry => e !== null);
      const listed = entries.map((e) => (observed.get(e.name) === e.version ? e : { ...e, settling: true }));
      observed = new Map(entries.map((e) => [e.name, e.version]));
      return listed;
    },
    async stat(name) {
      assertPlainFileName(name);
      return entry(name);
    },
    async open(name, opts = {}) {
      assertPlainFileName(name);
      return openFileRange(join(root, name), { ...opts, name, location: 'the local Blob folder' });
    },
    async write(name, body) {
      assertPlainFileName(name);
      // Written aside then renamed, so the loader never sees a half-written file.
      const temp = join(root, `.${name}.${randomUUID()}.partial`);
      try {
        await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream), createWriteStream(temp));
        await rename(temp, join(root, name));
      } catch (e) {
        await rm(temp, { force: true });
        throw e;
      }
      return (await entry(name))!;
    },
    // Never the folder's path: this text reaches error answers and logs.
    describe: () => 'local folder',
  };
}
