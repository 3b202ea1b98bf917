import { createHash, randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { openAzureBlobStore } from '../../shared/adapters/blob/azure-blob.store.ts';
import type { BlobStore } from '../../shared/ports/blob-store.port.ts';
import { startAzurite, type Azurite } from '../helpers/azurite.ts';

let azurite: Azurite;
let service: BlobServiceClient;

beforeAll(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
}, 30_000);

afterAll(async () => {
  await azurite?.stop();
});

async function newStore(): Promise<{ store: BlobStore; container: string }> {
  const container = `hiredb-${randomUUID()}`;
  await service.createContainer(container);
  return { store: await openAzureBlobStore({ connectionString: azurite.connectionString, container }), container };
}

function streamOf(...parts: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(typeof part === 'string' ? encoder.encode(part) : part);
      controller.close();
    },
  });
}

async function forEachChunk(stream: ReadableStream<Uint8Array>, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) onChunk(next.value);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  await forEachChunk(stream, (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks);
}

describe('openAzureBlobStore', () => {
  it('names a missing container', async () => {
    await expect(
      openAzureBlobStore({ connectionString: azurite.connectionString, container: 'no-such-container' }),
    ).rejects.toThrow('Azure Blob container "no-such-container" does not exist (AZURE_BLOB_CONTAINER)');
  });

  it('rejects an unusable connection string without echoing it', async () => {
    const attempt = openAzureBlobStore({ connectionString: 'not-a-connection-string', container: 'x' });
    await expect(attempt).rejects.toThrow(/^AZURE_STORAGE_CONNECTION_STRING is not a valid connection string: /);
    await expect(attempt).rejects.not.toThrow(/not-a-connection-string/);
    await expect(openAzureBlobStore({ connectionString: '  ', container: 'x' })).rejects.toThrow('it is empty');
  });

  it('names the account URL when the account is unreachable', async () => {
    const unreachable = azurite.connectionString.replace(/BlobEndpoint=[^;]+/, 'BlobEndpoint=http://127.0.0.1:1/devstoreaccount1');
    await expect(openAzureBlobStore({ connectionString: unreachable, container: 'x' })).rejects.toThrow(
      /Azure Blob account http:\/\/127\.0\.0\.1:1\/devstoreaccount1 is unreachable/,
    );
  });

  it('names the account URL when the key is wrong', async () => {
    const { container } = await newStore();
    const wrongKey = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from('wrong key').toString('base64')}`);
    await expect(openAzureBlobStore({ connectionString: wrongKey, container })).rejects.toThrow(
      /Azure Blob account http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 refused the credentials/,
    );
  });

  it('describes itself as azure://account/container', async () => {
    const { store, container } = await newStore();
    expect(store.describe()).toBe(`azure://devstoreaccount1/${container}`);
  });
});

describe('Azure BlobStore', () => {
  it('writes a CSV from a stream, then lists and stats it', async () => {
    const { store } = await newStore();
    const written = await store.write('departments.csv', streamOf('1,Supply Chain\n', '2,Maintenance\n'));
    expect(written).toMatchObject({ name: 'departments.csv', size: '1,Supply Chain\n2,Maintenance\n'.length });
    expect(written.version).not.toBe('');
    expect(written.version).not.toContain('"');

    expect(await store.list()).toEqual([written]);
    expect(await store.stat('departments.csv')).toEqual(written);
    expect(await store.stat('missing.csv')).toBeNull();
  });

  it('reads a file back byte for byte, and from an offset', async () => {
    const { store } = await newStore();
    const content = Buffer.from('\uFEFFid,name\r\n1,Zoë ♥\r\n2,"quoted, comma"\r\n', 'utf8');
    const written = await store.write('jobs.csv', streamOf(content.subarray(0, 5), content.subarray(5)));
    expect(written.size).toBe(content.length);

    expect(await readAll(await store.open('jobs.csv'))).toEqual(content);
    expect(await readAll(await store.open('jobs.csv', { start: 11 }))).toEqual(content.subarray(11));
    expect((await readAll(await store.open('jobs.csv', { start: content.length }))).length).toBe(0);
    await expect(store.open('missing.csv')).rejects.toThrow(/blob "missing.csv" not found in azure:\/\/devstoreaccount1\//);
  });

  it('changes the version when content is overwritten, keeps it otherwise', async () => {
    const { store } = await newStore();
    const first = await store.write('jobs.csv', streamOf('1,Engineer\n'));
    expect((await store.list())[0]).toEqual(first);
    expect((await store.list())[0]).toEqual(first);

    const second = await store.write('jobs.csv', streamOf('1,Engineer\n2,Designer\n'));
    expect(second.version).not.toBe(first.version);
    expect(await store.list()).toEqual([second]);
    expect(await readAll(await store.open('jobs.csv'))).toEqual(Buffer.from('1,Engineer\n2,Designer\n'));
  });

  it('keeps the previous content when an upload stream fails', async () => {
    const { store } = await newStore();
    const kept = await store.write('jobs.csv', streamOf('1,Engineer\n'));
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('2,Designer\n'));
        controller.error(new Error('client went away'));
      },
    });
    await expect(store.write('jobs.csv', failing)).rejects.toThrow('client went away');
    expect(await store.stat('jobs.csv')).toEqual(kept);
  });

  it('lists only plain .csv files, whatever the case of the extension', async () => {
    const { store, container } = await newStore();
    await store.write('a.csv', streamOf('1,a\n'));
    await store.write('B.CSV', streamOf('2,b\n'));
    // Names the store itself refuses to write, put there by another tool.
    const other = service.getContainerClient(container);
    await other.getBlockBlobClient('notes.txt').upload('hello', 5);
    await other.getBlockBlobClient('a.csv.bak').upload('old', 3);
    await other.getBlockBlobClient('archive/old.csv').upload('3,c\n', 4);

    expect((await store.list()).map((entry) => entry.name).sort()).toEqual(['B.CSV', 'a.csv']);
  });

  it('refuses names with path separators or ..', async () => {
    const { store } = await newStore();
    for (const name of ['sub/a.csv', 'sub\\a.csv', '..', '../a.csv', 'a..csv', '']) {
      await expect(store.stat(name)).rejects.toThrow('invalid file name');
      await expect(store.open(name)).rejects.toThrow('invalid file name');
      await expect(store.write(name, streamOf('1,a\n'))).rejects.toThrow('invalid file name');
    }
    expect(await store.list()).toEqual([]);
  });

  it('streams a ~20 MB upload and download without holding it in memory', async () => {
    const { store } = await newStore();
    const chunkCount = 320; // 320 x 64 KiB = 20 MiB
    const sent = createHash('sha256');
    let produced = 0;
    function* chunks(): Generator<Uint8Array> {
      for (let i = 0; i < chunkCount; i++) {
        const line = `${i},employee ${i},2021-01-01T00:00:00Z,1,1\n`;
        const chunk = Buffer.alloc(64 * 1024, line);
        sent.update(chunk);
        produced += chunk.length;
        yield chunk;
      }
    }
    const source = chunks();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = source.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    });

    const written = await store.write('hired_employees.csv', body);
    expect(written.size).toBe(20 * 1024 * 1024);
    expect(written.size).toBe(produced);
    expect(await store.stat('hired_employees.csv')).toEqual(written);

    const received = createHash('sha256');
    let receivedBytes = 0;
    await forEachChunk(await store.open('hired_employees.csv'), (chunk) => {
      received.update(chunk);
      receivedBytes += chunk.length;
    });
    expect(receivedBytes).toBe(written.size);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  }, 60_000);
});
