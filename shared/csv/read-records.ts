import { CsvParser, type CsvRecord } from './csv-parser.ts';

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Records parsed from one chunk of input, with the bytes consumed so far. */
export interface RecordChunk {
  records: CsvRecord[];
  bytesRead: number;
}

/**
 * Streams the records of a CSV file chunk by chunk (never the whole file in memory). UTF-8 with or
 * without BOM. A first record whose first field is `id` (any case) is a header and is skipped.
 */
export async function* readRecords(source: ByteSource): AsyncGenerator<RecordChunk> {
  const decoder = new TextDecoder('utf-8'); // strips a leading BOM
  const parser = new CsvParser();
  let bytesRead = 0;
  let first = true;
  const take = (records: CsvRecord[]): CsvRecord[] => {
    if (first && records.length > 0) {
      first = false;
      if (records[0].fields[0].trim().toLowerCase() === 'id') records.shift();
    }
    return records;
  };
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    bytesRead += chunk.byteLength;
    const records: CsvRecord[] = [];
    parser.push(decoder.decode(chunk, { stream: true }), records);
    if (records.length > 0) yield { records: take(records), bytesRead };
  }
  const records: CsvRecord[] = [];
  const rest = decoder.decode();
  if (rest) parser.push(rest, records);
  parser.end(records);
  yield { records: take(records), bytesRead };
}

/** Parses a small in-memory CSV text (a batch request body). */
export function parseCsvText(text: string): CsvRecord[] {
  const parser = new CsvParser();
  const records: CsvRecord[] = [];
  parser.push(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, records);
  parser.end(records);
  if (records.length > 0 && records[0].fields[0].trim().toLowerCase() === 'id') records.shift();
  return records;
}
