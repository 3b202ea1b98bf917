/** Drives the CSV parser and the stream reader the way the loader does, for the CSV tests. */
import { CsvParser, type CsvRecord } from '../../shared/csv/csv-parser.ts';
import { readRecords, type RecordChunk } from '../../shared/csv/read-records.ts';

export const utf8 = new TextEncoder();

/** CsvParser over string pieces, as the stream reader drives it. */
export function parseStrings(pieces: readonly string[]): CsvRecord[] {
  const parser = new CsvParser();
  const out: CsvRecord[] = [];
  for (const p of pieces) parser.push(p, out);
  parser.end(out);
  return out;
}

export async function* byteChunks(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** Cuts `bytes` at the given (sorted, distinct) offsets. */
export function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const o of offsets) {
    if (o <= prev || o >= bytes.length) continue;
    out.push(bytes.subarray(prev, o));
    prev = o;
  }
  out.push(bytes.subarray(prev));
  return out;
}

export interface ReadResult {
  records: CsvRecord[];
  chunks: RecordChunk[];
  bytesRead: number;
}

export async function readAll(chunks: readonly Uint8Array[]): Promise<ReadResult> {
  const records: CsvRecord[] = [];
  const seen: RecordChunk[] = [];
  let bytesRead = 0;
  for await (const chunk of readRecords(byteChunks(chunks))) {
    seen.push(chunk);
    records.push(...chunk.records);
    bytesRead = chunk.bytesRead;
  }
  return { records, chunks: seen, bytesRead };
}

export const readText = (text: string) => readAll([utf8.encode(text)]);

export const fieldsOf = (records: readonly CsvRecord[]) => records.map((r) => r.fields);
export const linesOf = (records: readonly CsvRecord[]) => records.map((r) => r.line);
