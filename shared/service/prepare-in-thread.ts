import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import type { TableName } from '../domain/tables.ts';
import type { ByteSource } from '../csv/read-records.ts';
import type { PreparedBatch, PrepareOptions } from './prepare-batches.ts';
import type { StartMessage } from './prepare-thread.ts';
import { fromColumns, type RowColumns } from './row-columns.ts';

type ThreadMessage =
  | { type: 'more' }
  | { type: 'end' }
  | { type: 'failed'; message: string }
  | ({ type: 'batch'; columns: RowColumns; count: number } & Omit<PreparedBatch, 'rows'>);

/**
 * prepareBatches run in a worker thread: this thread feeds it the file's bytes and receives validated
 * batches, so parsing the next batch overlaps with committing this one.
 */
export async function* prepareBatchesInThread<T extends TableName>(
  source: ByteSource,
  table: T,
  dims: { departmentIds?: ReadonlySet<number>; jobIds?: ReadonlySet<number> },
  options: PrepareOptions,
): AsyncGenerator<PreparedBatch<T>> {
  const worker = startThread();
  const input = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const inbox: ThreadMessage[] = [];
  let wake: (() => void) | null = null;
  let crashed: Error | null = null;
  let feeding = Promise.resolve(); // reads one chunk at a time, in order
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', (m: ThreadMessage) => {
    if (m.type === 'more') feeding = feeding.then(feed);
    else {
      inbox.push(m);
      notify();
    }
  });
  worker.on('error', (e) => {
    crashed = e;
    notify();
  });
  const feed = async () => {
    try {
      const next = await input.next();
      if (next.done) {
        worker.postMessage({ type: 'eof' });
        return;
      }
      // Copy when the chunk is a view into a larger (pooled) buffer, which must not be transferred.
      const whole = next.value.byteOffset === 0 && next.value.byteLength === next.value.buffer.byteLength;
      const bytes = whole ? next.value : next.value.slice();
      worker.postMessage({ type: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
    } catch (e) {
      crashed = e instanceof Error ? e : new Error(String(e));
      notify();
    }
  };

  const start: StartMessage = {
    type: 'start',
    table,
    departmentIds: dims.departmentIds ? Int32Array.from(dims.departmentIds) : null,
    jobIds: dims.jobIds ? Int32Array.from(dims.jobIds) : null,
    options,
    credits: 4,
  };
  worker.postMessage(start);
  try {
    for (;;) {
      while (inbox.length === 0 && !crashed) await new Promise<void>((resolve) => (wake = resolve));
      if (crashed) throw crashed;
      const m = inbox.shift()!;
      if (m.type === 'end') return;
      if (m.type === 'failed') throw new Error(m.message);
      if (m.type === 'batch') {
        const { columns, count, type: _type, ...rest } = m;
        yield { rows: fromColumns(table, columns, count), ...rest };
        worker.postMessage({ type: 'credit' });
      }
    }
  } finally {
    await worker.terminate();
    await input.return?.();
  }
}

let source: string | null = null;

/** Deno runs the thread's TypeScript as it is (no subprocess to permit); Node gets it bundled. */
function startThread(): Worker {
  if ('Deno' in globalThis) return new Worker(new URL('./prepare-thread.ts', import.meta.url));
  return new Worker(threadSource(), { eval: true });
}

/**
 * The thread's code as one plain script, bundled once per process from its TypeScript: the thread then
 * starts in milliseconds, without a TypeScript loader of its own.
 */
function threadSource(): string {
  source ??= buildSync({
    entryPoints: [fileURLToPath(new URL('./prepare-thread.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'error',
  }).outputFiles[0].text;
  return source;
}
