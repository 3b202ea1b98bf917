import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TableName } from '../domain/tables.ts';
import type { ByteSource } from '../csv/read-records.ts';
import type { PreparedBatch, PrepareOptions } from './prepare-batches.ts';
import type { RowWire, StartMessage } from './prepare-thread.ts';
import type { ColumnRows, CopyLines, RowColumns } from '../domain/row-columns.ts';

type ThreadMessage =
  | { type: 'more' }
  | { type: 'end' }
  | { type: 'failed'; message: string }
  | ({ type: 'batch'; columns: RowColumns; copy?: CopyLines; count: number } & Omit<PreparedBatch, 'rows'>);

/** A prepared batch as the main thread gets it: its rows stay columns all the way to the database. */
export interface ColumnBatch extends Omit<PreparedBatch, 'rows'> {
  rows: ColumnRows;
}

/**
 * prepareBatches run in a worker thread: this thread feeds it the file's bytes and receives validated
 * batches, so parsing the next batch overlaps with committing this one.
 */
export async function* prepareBatchesInThread(
  source: ByteSource,
  table: TableName,
  dims: { departmentIds?: ReadonlySet<number>; jobIds?: ReadonlySet<number> },
  options: PrepareOptions,
  /** Batches the thread may prepare ahead of this thread taking them (at least 2). */
  ahead = 4,
  /** How the rows come: as columns, or as PostgreSQL COPY text with their ids (the database's dialect decides). */
  wire: RowWire = 'columns',
): AsyncGenerator<ColumnBatch> {
  const worker = takeThread();
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
    credits: Math.max(2, ahead),
    wire,
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
        const { columns, copy, count, type: _type, ...rest } = m;
        yield { rows: copy ? { count, columns, copy } : { count, columns }, ...rest };
        worker.postMessage({ type: 'credit' });
      }
    }
  } finally {
    await worker.terminate();
    await input.return?.();
  }
}

/**
 * The thread's prebuilt script (`npm run build`): it starts in milliseconds, with nothing to compile.
 * dist/node/ and this folder are both two levels below the repository, so the same URL finds the script
 * from the sources (tests) and from the build.
 */
const THREAD_FILE = fileURLToPath(new URL('../../dist/node/prepare-thread.js', import.meta.url));

/**
 * Threads started ahead of their tasks: a thread takes ~50 ms to boot, which then overlaps with opening
 * the database and claiming the task instead of adding to them. `warmParseThreads(n)` keeps one thread
 * ready until n have been taken; an idle one does not keep the process alive.
 */
let ready: { worker: Worker; drop: () => void } | null = null;
let toWarm = 0;

export function warmParseThreads(count = 1): void {
  toWarm = Math.max(toWarm, count);
  refill();
}

function refill(): void {
  if (ready || toWarm === 0) return;
  toWarm--;
  const worker = new Worker(threadFile());
  worker.unref();
  // A thread that dies before its task is dropped; its task starts a new one, which reports the failure.
  const drop = () => {
    if (ready?.worker === worker) ready = null;
  };
  worker.once('error', drop).once('exit', drop);
  ready = { worker, drop };
}

function takeThread(): Worker {
  const taken = ready;
  ready = null;
  refill();
  if (!taken) return new Worker(threadFile());
  taken.worker.off('error', taken.drop).off('exit', taken.drop).ref();
  return taken.worker;
}

function threadFile(): string | URL {
  // Deno runs the thread's TypeScript module as it is: nothing to build.
  if ('Deno' in globalThis) return new URL('./prepare-thread.ts', import.meta.url);
  if (!existsSync(THREAD_FILE)) throw new Error(`the parse thread's script ${THREAD_FILE} is missing; run npm run build`);
  return THREAD_FILE;
}
