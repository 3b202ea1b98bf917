// The local Blob folder reads exactly the version queued: a file is queued only once it is unchanged for
// one poll (never a dotfile or a *.partial), reads stop at the queued size, and a file appended to,
// rewritten or replaced while it is read fails the read before any byte of the new version is passed on.
import { appendFile, mkdtemp, rename, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLocalFolderStore } from '../../shared/adapters/blob/local-folder.store.ts';
import { openFileRange } from '../../shared/adapters/blob/file-range.ts';
import { BlobChangedError } from '../../shared/ports/blob-store.port.ts';
import { silentLogger } from '../../shared/platform/logger.ts';
import { startLoader } from '../../loader/loader.ts';
import { openTestDatabase } from '../helpers/databases.ts';
import { waitFor } from '../helpers/processes.ts';
import { departmentsCsv, hiresCsv, jobsCsv } from '../helpers/generated-files.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function folder() {
  const dir = await mkdtemp(join(tmpdir(), 'hiredb-folder-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return { dir, store: await openLocalFolderStore(dir) };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return Buffer.concat(chunks).toString();
}

/** Reads the first chunk, lets `change` run, then reads on: what the rest of the stream does. */
async function changeWhileReading(stream: ReadableStream<Uint8Array>, change: () => Promise<void>) {
  const reader = stream.getReader();
  const first = await reader.read();
  await change();
  const rest: Uint8Array[] = [];
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest.push(next.value);
    return { first: first.value!.byteLength, rest: Buffer.concat(rest).byteLength, error: null };
  } catch (e) {
    return { first: first.value!.byteLength, rest: Buffer.concat(rest).byteLength, error: e as Error };
  }
}

describe('local folder listing', () => {
  it('a file is settling until unchanged for one list(); dotfiles and .partial files are never listed; .csv.gz is', async () => {
    const { dir, store } = await folder();
    await writeFile(join(dir, 'jobs.csv'), '1,Engineer\n');
    await writeFile(join(dir, 'hired_employees_2021.csv.gz'), 'x');
    await writeFile(join(dir, '.jobs.csv'), '1,Hidden\n');
    await writeFile(join(dir, '.jobs.csv.1234.partial'), '1,Upload\n');
    await writeFile(join(dir, 'notes.txt'), 'x');
    const first = await store.list();
    expect(first.map((e) => [e.name, e.settling])).toEqual([
      ['hired_employees_2021.csv.gz', true],
      ['jobs.csv', true],
    ]);
    const second = await store.list();
    expect(second.map((e) => [e.name, e.settling])).toEqual([
      ['hired_employees_2021.csv.gz', undefined],
      ['jobs.csv', undefined],
    ]);
    await appendFile(join(dir, 'jobs.csv'), '2,Ana');
    expect((await store.list()).find((e) => e.name === 'jobs.csv')!.settling).toBe(true);
    const settled = (await store.list()).find((e) => e.name === 'jobs.csv')!;
    expect(settled).toEqual({ name: 'jobs.csv', version: expect.stringMatching(/^16-\d+$/), size: 16 });
  });
});

describe('local folder reads of one version', () => {
  it('reads up to the queued size, and fails at open when the file is at another version or gone', async () => {
    const { dir, store } = await folder();
    await writeFile(join(dir, 'jobs.csv'), '1,Engineer\n2,Analyst\n');
    const v1 = (await store.stat('jobs.csv'))!;
    expect(await readAll(await store.open('jobs.csv', { version: v1.version, end: v1.size }))).toBe('1,Engineer\n2,Analyst\n');
    expect(await readAll(await store.open('jobs.csv', { version: v1.version, start: 11, end: v1.size }))).toBe('2,Analyst\n');
    await appendFile(join(dir, 'jobs.csv'), '3,Designer\n');
    const stale = store.open('jobs.csv', { version: v1.version, end: v1.size });
    await expect(stale).rejects.toBeInstanceOf(BlobChangedError);
    await expect(stale).rejects.toThrow(`"jobs.csv" changed in the Blob container since this task was queued (version ${v1.version}, now `);
    await rm(join(dir, 'jobs.csv'));
    await expect(store.open('jobs.csv', { version: v1.version })).rejects.toThrow(`"jobs.csv" version ${v1.version} is not in the Blob container`);
  });

  it('a file appended to, truncated or replaced while it is read fails the read before a byte of the new version is passed on', async () => {
    const { dir, store } = await folder();
    const path = join(dir, 'hired_employees.csv');
    const text = hiresCsv(1, 20_000); // several chunks
    for (const [what, change] of [
      ['appended', () => appendFile(path, hiresCsv(20_001, 20_010))],
      ['truncated', () => truncate(path, 1000)],
      [
        'replaced',
        async () => {
          // Same size and mtime, another file: only the identity of the file tells.
          const s = await stat(path);
          await writeFile(path + '.new', text);
          await utimes(path + '.new', s.atime, s.mtime);
          await rename(path + '.new', path);
        },
      ],
    ] as const) {
      await writeFile(path, text);
      const v = (await store.stat('hired_employees.csv'))!;
      const result = await changeWhileReading(await store.open('hired_employees.csv', { version: v.version, end: v.size }), change);
      expect(result.error, what).toBeInstanceOf(BlobChangedError);
      expect(result.error!.message, what).toMatch(/changed in the Blob container since this task was queued|is not in the Blob container/);
      expect(result.rest, what).toBe(0);
    }
  });

  it('without a version, a read up to a size stops there when the file grows, and fails when it ends short', async () => {
    const { dir } = await folder();
    const path = join(dir, 'jobs.csv');
    await writeFile(path, '1,Engineer\n');
    const growing = await openFileRange(path, { end: 11 });
    await appendFile(path, '2,Analyst\n');
    expect(await readAll(growing)).toBe('1,Engineer\n');
    await expect(readAll(await openFileRange(path, { end: 100 }))).rejects.toThrow('ended at byte 21, short of the 100 bytes it was queued with');
  });
});

describe('the loader on the local folder', () => {
  it('a file appended to under a running task fails that task with the reason, and the new version loads', async () => {
    const t = await openTestDatabase('sqlite');
    cleanups.push(() => t.cleanup());
    const { dir, store } = await folder();
    await writeFile(join(dir, 'departments.csv'), departmentsCsv());
    await writeFile(join(dir, 'jobs.csv'), jobsCsv());
    await writeFile(join(dir, 'hired_employees.csv'), hiresCsv(1, 150_000));
    const loader = startLoader(t.db, store, { schedule: '0 0 0 1 1 *', batchSize: 200, concurrency: 2, leaseMs: 30_000, log: silentLogger });
    cleanups.push(() => loader.stop());
    await loader.tick(); // first sight: settling
    await loader.tick();
    const running = await waitFor('the hires task to be mid-file', async () => {
      const x = (await t.db.tasks.list({ limit: 10, offset: 0 })).tasks.find((y) => y.file_name === 'hired_employees.csv');
      return x && x.status === 'running' && x.checkpoint_line > 0 ? x : undefined;
    }, 60_000, 10);
    await appendFile(join(dir, 'hired_employees.csv'), hiresCsv(150_001, 150_100));
    const failed = await waitFor('the task to end', async () => {
      const x = (await t.db.tasks.get(running.id))!;
      return x.status === 'running' ? undefined : x;
    }, 60_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^"hired_employees.csv" changed in the Blob container since this task was queued \(version \d+-\d+, now \d+-\d+\)/);
    expect(failed.summary.processed).toBeLessThan(150_000);

    await loader.tick();
    await loader.tick();
    await loader.idle();
    const hires = (await t.db.tasks.list({ limit: 10, offset: 0 })).tasks.filter((x) => x.file_name === 'hired_employees.csv');
    expect(hires).toHaveLength(2);
    expect(hires[0]).toMatchObject({ status: 'done', error: null });
    expect(hires[0].summary.processed).toBe(150_100);
    expect(hires[0].summary.processed).toBe(hires[0].summary.inserted + hires[0].summary.already_exists + hires[0].summary.rejected);
  }, 120_000);
});
