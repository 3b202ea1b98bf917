import { CsvParser, DEFAULT_MAX_RECORD_BYTES, type CsvRecord } from './csv-parser.ts';
import { ByteDecoder, decodeBytes, type Encoding } from './decode.ts';
import { gunzipIfGzip } from './gunzip.ts';

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Records parsed from one chunk of input, with the bytes consumed so far. */
export interface RecordChunk {
  records: CsvRecord[];
  bytesRead: number;
}

export interface ReadOptions {
  /** The file's encoding when it has no byte order mark; UTF-8 by default. */
  encoding?: Encoding;
  maxRecordBytes?: number;
}

/**
 * Streams the records of a CSV file chunk by chunk (never the whole file in memory), gzip-compressed
 * or not. A first record whose first field is `id` (any case) is a header and is skipped.
 */
export async function* readRecords(source: ByteSource, opts: ReadOptions = {}): AsyncGenerator<RecordChunk> {
  const decoder = new ByteDecoder(opts.encoding ?? 'utf-8');
  const parser = new CsvParser(opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  let bytesRead = 0;
  let first = true;
  const take = (records: CsvRecord[]): CsvRecord[] => {
    if (first && records.length > 0) {
      first = false;
      if (isHeader(records[0])) records.shift();
    }
    return records;
  };
  for await (const piece of gunzipIfGzip(source as AsyncIterable<Uint8Array>)) {
    bytesRead = piece.bytesRead;
    const records: CsvRecord[] = [];
    parser.push(decoder.decode(piece.bytes), records);
    if (records.length > 0) yield { records: take(records), bytesRead };
  }
  const records: CsvRecord[] = [];
  const rest = decoder.decode(new Uint8Array(0), true);
  if (rest) parser.push(rest, records);
  parser.end(records);
  yield { records: take(records), bytesRead };
}

const isHeader = (r: CsvRecord) => !r.error && r.fields.length > 0 && r.fields[0].trim().toLowerCase() === 'id';

/** Parses a small in-memory CSV text (a batch request body). */
export function parseCsvText(text: string, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): CsvRecord[] {
  return parseWhole(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, maxRecordBytes);
}

function parseWhole(text: string, maxRecordBytes: number): CsvRecord[] {
  const parser = new CsvParser(maxRecordBytes);
  const records: CsvRecord[] = [];
  parser.push(text, records);
  parser.end(records);
  if (records.length > 0 && isHeader(records[0])) records.shift();
  return records;
}

/** Parses a CSV body from its bytes (UTF-8; undecodable bytes kept escaped, see decode.ts). */
export function parseCsvBytes(bytes: Uint8Array, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): CsvRecord[] {
  return parseWhole(decodeBytes(bytes), maxRecordBytes);
}
