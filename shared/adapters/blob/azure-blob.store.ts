import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { BlobServiceClient, type ContainerClient, type StorageRetryOptions } from '@azure/storage-blob';
import { assertPlainFileName, type BlobEntry, type BlobStore } from '../../ports/blob-store.port.ts';

const UPLOAD_BUFFER_BYTES = 4 * 1024 * 1024;
const UPLOAD_MAX_BUFFERS = 4;

/** Opens the Azure Blob container the loader polls, failing early when it cannot be used. */
export async function openAzureBlobStore(opts: { connectionString: string; container: string }): Promise<BlobStore> {
  const service = serviceFromConnectionString(opts.connectionString);
  // The start-up probe retries briefly and times out, so a wrong or firewalled endpoint fails in seconds
  // rather than after the SDK's default back-off; the store itself keeps the default retries for real traffic.
  const probe = serviceFromConnectionString(opts.connectionString, { maxTries: 2, retryDelayInMs: 500, tryTimeoutInMs: 10_000 });
  await assertContainerExists(probe.getContainerClient(opts.container), service.url, opts.container);
  return new AzureBlobStore(service.getContainerClient(opts.container), `azure://${service.accountName}/${opts.container}`);
}

class AzureBlobStore implements BlobStore {
  constructor(
    private readonly container: ContainerClient,
    private readonly location: string,
  ) {}

  async list(): Promise<BlobEntry[]> {
    const entries: BlobEntry[] = [];
    for await (const blob of this.container.listBlobsFlat()) {
      if (!isListedName(blob.name)) continue;
      entries.push({ name: blob.name, version: cleanEtag(blob.properties.etag), size: blob.properties.contentLength ?? 0 });
    }
    return entries;
  }

  async stat(name: string): Promise<BlobEntry | null> {
    assertPlainFileName(name);
    try {
      const props = await this.container.getBlobClient(name).getProperties();
      return { name, version: cleanEtag(props.etag), size: props.contentLength ?? 0 };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async open(name: string, start = 0): Promise<ReadableStream<Uint8Array>> {
    assertPlainFileName(name);
    let response;
    try {
      response = await this.container.getBlobClient(name).download(start);
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) throw new Error(`blob "${name}" not found in ${this.location}`, { cause: err });
      // Azure answers 416 for a range starting at (or past) the end: nothing left to read.
      if (status === 416 && start > 0) return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      throw err;
    }
    const body = response.readableStreamBody;
    if (!body) throw new Error(`download of "${name}" from ${this.location} returned no body`);
    return Readable.toWeb(body as Readable) as unknown as ReadableStream<Uint8Array>;
  }

  async write(name: string, body: ReadableStream<Uint8Array>): Promise<BlobEntry> {
    assertPlainFileName(name);
    let size = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    const source = Readable.fromWeb(counted as unknown as NodeWebReadableStream<Uint8Array>);
    const result = await this.container
      .getBlockBlobClient(name)
      .uploadStream(source, UPLOAD_BUFFER_BYTES, UPLOAD_MAX_BUFFERS, { blobHTTPHeaders: { blobContentType: 'text/csv' } });
    return { name, version: cleanEtag(result.etag), size };
  }

  describe(): string {
    return this.location;
  }
}

function serviceFromConnectionString(connectionString: string, retryOptions?: StorageRetryOptions): BlobServiceClient {
  const invalid = (reason: string, cause?: unknown) =>
    new Error(`AZURE_STORAGE_CONNECTION_STRING is not a valid connection string: ${reason}`, { cause });
  if (!connectionString.trim()) throw invalid('it is empty');
  try {
    return BlobServiceClient.fromConnectionString(connectionString, { retryOptions });
  } catch (err) {
    // The SDK says only "Invalid URL" when it finds no usable endpoint; name the expected shapes (never the secret).
    const hint = /invalid url/i.test(messageOf(err))
      ? ' (expected "DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net" or "BlobEndpoint=https://...;SharedAccessSignature=...")'
      : '';
    throw invalid(messageOf(err) + hint, err);
  }
}

async function assertContainerExists(container: ContainerClient, accountUrl: string, name: string): Promise<void> {
  let exists: boolean;
  try {
    exists = await container.exists();
  } catch (err) {
    const status = statusOf(err);
    if (status === 401 || status === 403) {
      throw new Error(`Azure Blob account ${accountUrl} refused the credentials in AZURE_STORAGE_CONNECTION_STRING (HTTP ${status}): ${messageOf(err)}`, { cause: err });
    }
    if (status === undefined) {
      throw new Error(`Azure Blob account ${accountUrl} is unreachable: ${messageOf(err)}`, { cause: err });
    }
    throw new Error(`Azure Blob account ${accountUrl} failed to check container "${name}" (HTTP ${status}): ${messageOf(err)}`, { cause: err });
  }
  if (!exists) throw new Error(`Azure Blob container "${name}" does not exist (AZURE_BLOB_CONTAINER)`);
}

/** The container holds only plain `.csv` files for the loader; anything else (folders, other files) is ignored. */
function isListedName(name: string): boolean {
  if (!name.toLowerCase().endsWith('.csv')) return false;
  try {
    assertPlainFileName(name);
    return true;
  } catch {
    return false;
  }
}

function cleanEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
