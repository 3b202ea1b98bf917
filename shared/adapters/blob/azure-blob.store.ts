import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { BlobServiceClient, type ContainerClient, type StorageRetryOptions } from '@azure/storage-blob';
import { assertPlainFileName, BlobChangedError, isLoadableFileName, type BlobEntry, type BlobStore, type OpenOptions } from '../../ports/blob-store.port.ts';

const UPLOAD_BUFFER_BYTES = 4 * 1024 * 1024;
const UPLOAD_MAX_BUFFERS = 4;
const READ_RANGE_BYTES = 4 * 1024 * 1024;

/** Opens the Azure Blob container the loader polls, failing early when it cannot be used. */
export async function openAzureBlobStore(opts: { connectionString: string; container: string; rangeBytes?: number }): Promise<BlobStore> {
  const service = serviceFromConnectionString(opts.connectionString);
  // The start-up probe retries briefly and times out, so a wrong or firewalled endpoint fails in seconds
  // rather than after the SDK's default back-off; the store itself keeps the default retries for real traffic.
  const probe = serviceFromConnectionString(opts.connectionString, { maxTries: 2, retryDelayInMs: 500, tryTimeoutInMs: 10_000 });
  await assertContainerExists(probe.getContainerClient(opts.container), service.url, opts.container);
  return new AzureBlobStore(
    service.getContainerClient(opts.container),
    `azure://${service.accountName}/${opts.container}`,
    opts.rangeBytes ?? READ_RANGE_BYTES,
  );
}

class AzureBlobStore implements BlobStore {
  constructor(
    private readonly container: ContainerClient,
    private readonly location: string,
    private readonly rangeBytes: number,
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

  async open(name: string, opts: OpenOptions = {}): Promise<ReadableStream<Uint8Array>> {
    assertPlainFileName(name);
    const { version } = opts;
    const client = this.container.getBlobClient(name);
    // Every request is conditional on the queued etag, so no byte of another version is ever read.
    const conditions = version ? { ifMatch: `"${version}"` } : undefined;
    const failure = async (err: unknown): Promise<Error> => {
      const status = statusOf(err);
      if (version && (status === 412 || status === 404)) {
        const now = status === 412 ? await this.stat(name).catch(() => null) : null;
        return new BlobChangedError(name, version, now ? `${now.version}, HTTP 412` : null, this.location);
      }
      if (status === 404) return new Error(`blob "${name}" not found in ${this.location}`, { cause: err });
      return err instanceof Error ? err : new Error(String(err));
    };
    let stop = opts.end;
    if (stop === undefined) {
      try {
        stop = (await client.getProperties({ conditions })).contentLength ?? 0;
      } catch (err) {
        throw await failure(err);
      }
    }
    const end = stop;
    let pos = opts.start ?? 0;
    // The file is read in ranges of rangeBytes, each its own conditional request.
    const range = async (): Promise<{ chunks: AsyncIterator<Uint8Array>; left: number } | null> => {
      const count = Math.min(this.rangeBytes, end - pos);
      if (count <= 0) return null;
      let response;
      try {
        response = await client.download(pos, count, { conditions, maxRetryRequests: 3 });
      } catch (err) {
        throw await failure(err);
      }
      const body = response.readableStreamBody;
      if (!body) throw new Error(`download of "${name}" from ${this.location} returned no body`);
      return { chunks: (body as Readable)[Symbol.asyncIterator](), left: count };
    };
    let current = await range();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          for (;;) {
            if (!current) return controller.close();
            let next;
            try {
              next = await current.chunks.next();
            } catch (err) {
              throw await failure(err);
            }
            if (!next.done) {
              const chunk = next.value.byteLength > current.left ? next.value.subarray(0, current.left) : next.value;
              current.left -= chunk.byteLength;
              pos += chunk.byteLength;
              return controller.enqueue(chunk);
            }
            if (current.left > 0) throw new Error(`"${name}" in ${this.location} ended at byte ${pos}, short of the ${end} bytes it was queued with`);
            current = await range();
          }
        } catch (err) {
          controller.error(err);
        }
      },
      cancel: async () => {
        await current?.chunks.return?.();
      },
    });
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

/** The container holds only plain `.csv` / `.csv.gz` files for the loader; anything else (folders, other files) is ignored. */
function isListedName(name: string): boolean {
  if (!isLoadableFileName(name)) return false;
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
