// Azure Blob reads exactly the version queued: every range request is conditional on the queued etag
// (If-Match) and limited to the queued size, so a blob overwritten under a running task fails that task
// (HTTP 412) and its new version loads as a task of its own.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openAzureBlobStore } from '../../shared/adapters/blob/azure-blob.store.ts';
import { openSqliteDatabase } from '../../shared/adapters/db/sqlite.database.ts';
import { BlobChangedError, type BlobStore } from '../../shared/ports/blob-store.port.ts';
import { silentLogger } from '../../shared/platform/logger.ts';
import { startLoader, type Loader } from '../../loader/loader.ts';
import { startAzurite, type Azurite } from '../helpers/azurite.ts';
import { waitFor } from '../helpers/processes.ts';
import { departmentsCsv, hiresCsv, jobsCsv } from '../helpers/generated-files.ts';

let azurite: Azurite;
let service: BlobServiceClient;
beforeAll(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
}, 30_000);
afterAll(async () => {
  await azurite?.stop();
});

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups = [];
});

async function newContainer(rangeBytes?: number) {
  const container = `hiredb-${randomUUID()}`;
  await service.createContainer(container);
  cleanups.push(() => service.deleteContainer(container).then(() => {}));
  const store = await openAzureBlobStore({ connectionString: azurite.connectionString, container, rangeBytes });
  const put = (name: string, text: string) => service.getContainerClient(container).getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
  const upload = async (name: string, text: string) => {
    await put(name, text);
    return (await store.stat(name))!;
  };
  return { store, upload, put };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return Buffer.concat(chunks);
}

describe('Azure Blob reads of one version', () => {
  it('reads the queued version in ranges, up to the queued size, and from an offset', async () => {
    const { store, upload } = await newContainer(7);
    const text = '1,Engineer\n2,Analyst\n3,Designer\n';
    const v1 = await upload('jobs.csv', text);
    expect((await readAll(await store.open('jobs.csv', { version: v1.version, end: v1.size }))).toString()).toBe(text);
    expect((await readAll(await store.open('jobs.csv', { version: v1.version, start: 11, end: 20 }))).toString()).toBe(text.slice(11, 20));
    expect((await readAll(await store.open('jobs.csv', { version: v1.version, start: v1.size, end: v1.size }))).length).toBe(0);
    expect((await readAll(await store.open('jobs.csv', { start: 2 }))).toString()).toBe(text.slice(2));
  });

  it('fails with the reason when the blob was overwritten (412) or deleted since it was queued', async () => {
    const { store, upload } = await newContainer();
    const v1 = await upload('jobs.csv', '1,Engineer\n');
    const v2 = await upload('jobs.csv', '1,Engineer\n2,Analyst\n');
    const stale = store.open('jobs.csv', { version: v1.version, end: v1.size });
    await expect(stale).rejects.toBeInstanceOf(BlobChangedError);
    await expect(stale).rejects.toThrow(`"jobs.csv" changed in the Blob container since this task was queued (version ${v1.version}, now ${v2.version}, HTTP 412)`);
    await service.getContainerClient((store.describe().split('/').pop())!).deleteBlob('jobs.csv');
    await expect(store.open('jobs.csv', { version: v2.version, end: v2.size })).rejects.toThrow(`"jobs.csv" version ${v2.version} is not in the Blob container`);
  });

  it('lists .csv and .csv.gz blobs', async () => {
    const { store, upload, put } = await newContainer();
    await upload('jobs.csv', '1,Engineer\n');
    await upload('hired_employees_2021.csv.gz', 'x');
    await put('notes.txt', 'x');
    expect((await store.list()).map((e) => e.name).sort()).toEqual(['hired_employees_2021.csv.gz', 'jobs.csv']);
  });
});

describe('the loader on Azure Blob', () => {
  it('a blob overwritten under a running task fails that task (412), and the new version loads', async () => {
    const { store, upload } = await newContainer(64 * 1024);
    const dir = await mkdtemp(join(tmpdir(), 'hiredb-azure-version-'));
    const db = openSqliteDatabase(join(dir, 'hiredb.sqlite'));
    await db.migrate();
    let loader: Loader | null = null;
    cleanups.push(async () => {
      await loader?.stop();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    });
    await upload('departments.csv', departmentsCsv());
    await upload('jobs.csv', jobsCsv());
    const v1 = await upload('hired_employees.csv', hiresCsv(1, 200_000));
    loader = startLoader(db, store as BlobStore, { schedule: '0 0 0 1 1 *', batchSize: 200, concurrency: 2, leaseMs: 30_000, log: silentLogger });
    await loader.tick();
    const running = await waitFor('the hires task to be mid-file', async () => {
      const t = (await db.tasks.list({ limit: 10, offset: 0 })).tasks.find((x) => x.file_version === v1.version);
      return t && t.status === 'running' && t.checkpoint_line > 0 ? t : undefined;
    }, 60_000, 10);

    const v2 = await upload('hired_employees.csv', hiresCsv(300_001, 300_500));
    const failed = await waitFor('the task to end', async () => {
      const t = (await db.tasks.get(running.id))!;
      return t.status === 'running' ? undefined : t;
    }, 60_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain(`"hired_employees.csv" changed in the Blob container since this task was queued (version ${v1.version}, now ${v2.version}, HTTP 412)`);
    expect(failed.summary.processed).toBeLessThan(200_000);

    await loader.tick();
    await loader.idle();
    const fresh = (await db.tasks.list({ limit: 10, offset: 0 })).tasks.find((t) => t.file_version === v2.version)!;
    expect(fresh).toMatchObject({ status: 'done', error: null });
    expect(fresh.summary).toEqual({ processed: 500, inserted: 499, already_exists: 0, rejected: 1 }); // 300097 has no name
  }, 120_000);
});
