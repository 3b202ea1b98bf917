import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { assertPlainFileName, type BlobEntry, type BlobStore } from '../../ports/blob-store.port.ts';

/** The Blob container as a local folder (the default, `var/blob`); version = size and modification time. */
export async function openLocalFolderStore(dir: string): Promise<BlobStore> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });

  const entry = async (name: string): Promise<BlobEntry | null> => {
    try {
      const s = await stat(join(root, name));
      return s.isFile() ? { name, version: `${s.size}-${Math.trunc(s.mtimeMs)}`, size: s.size } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };

  return {
    async list() {
      const names = (await readdir(root)).filter((n) => n.toLowerCase().endsWith('.csv') && !n.startsWith('.'));
      const entries = await Promise.all(names.sort().map(entry));
      return entries.filter((e): e is BlobEntry => e !== null);
    },
    async stat(name) {
      assertPlainFileName(name);
      return entry(name);
    },
    async open(name, start = 0) {
      assertPlainFileName(name);
      if (!(await entry(name))) throw new Error(`file "${name}" not found in the Blob folder`);
      const stream = createReadStream(join(root, name), { start, highWaterMark: 1 << 18 });
      return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
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
