import type { Reject } from '../domain/reasons.ts';
import type { RowOf, TableName } from '../domain/tables.ts';
import type { RecordChunk } from '../csv/read-records.ts';
import { validateRecord, type LoadContext } from './validate.ts';

/** Valid rows and rejects of consecutive records, ready to commit with the task's checkpoint. */
export interface PreparedBatch<T extends TableName = TableName> {
  rows: RowOf[T][];
  rejects: Reject[];
  /** Last line this batch covers; the task resumes after it. */
  lastLine: number;
  bytesRead: number;
}

export interface PrepareOptions {
  batchSize: number;
  /** Records on lines up to this one are already committed: only remembered for duplicate_id. */
  resumeAfterLine: number;
  /** 0-based index of the first data record to load and how many (a slice task); null for all. */
  slice: { start: number; limit: number } | null;
}

/**
 * Turns a stream of parsed records into batches of at most `batchSize` valid rows (and as many rejects),
 * applying every data rule. Memory stays bounded by one batch whatever the file size.
 */
export async function* prepareBatches<T extends TableName>(
  chunks: AsyncIterable<RecordChunk>,
  ctx: LoadContext<T>,
  opts: PrepareOptions,
): AsyncGenerator<PreparedBatch<T>> {
  let batch: PreparedBatch<T> = { rows: [], rejects: [], lastLine: opts.resumeAfterLine, bytesRead: 0 };
  let index = -1;
  const first = opts.slice?.start ?? 0;
  const last = opts.slice ? opts.slice.start + opts.slice.limit - 1 : Number.POSITIVE_INFINITY;
  for await (const chunk of chunks) {
    for (const record of chunk.records) {
      index++;
      if (index < first) continue;
      if (index > last) break;
      const result = validateRecord(ctx, record.line, record.raw, record.fields);
      if (record.line <= opts.resumeAfterLine) continue;
      if (result.reject) batch.rejects.push(result.reject);
      else batch.rows.push(result.row);
      batch.lastLine = record.line;
      if (batch.rows.length >= opts.batchSize || batch.rejects.length >= opts.batchSize) {
        batch.bytesRead = chunk.bytesRead;
        yield batch;
        batch = { rows: [], rejects: [], lastLine: record.line, bytesRead: chunk.bytesRead };
      }
    }
    batch.bytesRead = chunk.bytesRead;
    if (index >= last) break;
  }
  yield batch; // the final one, possibly empty: it commits the end of the file
}
