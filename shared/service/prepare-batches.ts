import type { Reject } from '../domain/reasons.ts';
import type { RowOf, TableName } from '../domain/tables.ts';
import type { RecordChunk } from '../csv/read-records.ts';
import type { Encoding } from '../csv/decode.ts';
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
  /** The file's encoding when it has no byte order mark (UTF-8 by default). */
  encoding?: Encoding;
  /** Longest record, in bytes (as UTF-8); 1 MiB by default. */
  maxRecordBytes?: number;
}

/** A batch also closes once its rejects hold this much raw text, so long rejected records stay bounded (the commits in flight hold at most twice this: run-task.ts). */
export const MAX_BATCH_RAW_CHARS = 2 << 20;

/** The first records (at most 100, or those in the first 64 Ki characters) decide whether the file is in its encoding at all. */
export const ENCODING_SAMPLE_RECORDS = 100;
export const ENCODING_SAMPLE_CHARS = 64 * 1024;

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
  let rawChars = 0;
  // Batches wait until the sample has shown the file is in its encoding, so a wrong one writes nothing.
  const sample = { records: 0, chars: 0, undecodable: 0 };
  const held: PreparedBatch<T>[] = [];
  const decided = () => sample.records >= ENCODING_SAMPLE_RECORDS || sample.chars >= ENCODING_SAMPLE_CHARS;
  let index = -1;
  const first = opts.slice?.start ?? 0;
  const last = opts.slice ? opts.slice.start + opts.slice.limit - 1 : Number.POSITIVE_INFINITY;
  for await (const chunk of chunks) {
    for (const record of chunk.records) {
      index++;
      if (index < first) continue;
      if (index > last) break;
      const result = validateRecord(ctx, record.line, record.raw, record.fields, record.error);
      if (!decided()) {
        sample.records++;
        sample.chars += record.raw.length;
        if (result.reject?.reasons.includes('invalid_encoding')) sample.undecodable++;
        if (decided()) checkEncoding(sample, opts.encoding);
      }
      if (record.line <= opts.resumeAfterLine) continue;
      if (result.reject) {
        batch.rejects.push(result.reject);
        rawChars += result.reject.raw.length;
      } else batch.rows.push(result.row);
      batch.lastLine = record.line;
      if (batch.rows.length >= opts.batchSize || batch.rejects.length >= opts.batchSize || rawChars >= MAX_BATCH_RAW_CHARS) {
        batch.bytesRead = chunk.bytesRead;
        if (decided()) {
          yield* held.splice(0);
          yield batch;
        } else held.push(batch);
        batch = { rows: [], rejects: [], lastLine: record.line, bytesRead: chunk.bytesRead };
        rawChars = 0;
      }
    }
    batch.bytesRead = chunk.bytesRead;
    if (index >= last) break;
  }
  checkEncoding(sample, opts.encoding);
  yield* held;
  yield batch; // the final one, possibly empty: it commits the end of the file
}

/** A file whose sampled records are mostly undecodable is in another encoding: its task fails saying so. */
function checkEncoding(sample: { records: number; chars: number; undecodable: number }, encoding: Encoding | undefined) {
  if (sample.undecodable * 2 <= sample.records) return;
  const named = encoding ?? 'utf-8';
  throw new Error(
    `the file is not in ${named}: ${sample.undecodable} of its first ${sample.records} records hold bytes that are not valid ${named}; ` +
      'name its encoding with `hiredb load --encoding` or LOAD_ENCODING (utf-8, windows-1252, latin1, utf-16le, utf-16be)',
  );
}
