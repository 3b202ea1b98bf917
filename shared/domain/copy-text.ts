/**
 * Rows as PostgreSQL COPY text (text format, one line per row, fields in the table's column order). The
 * parse thread encodes a file load's rows with it, and the PostgreSQL adapter encodes rows that arrive as
 * objects or columns (a batch request) with the same functions, so both send the same bytes.
 */
import { COLUMNS, type TableName } from './tables.ts';
import { INT_COLUMNS, type ColumnRows, type CopyLines, type RowColumns } from './row-columns.ts';

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const COPY_UNESCAPES: Record<string, string> = { '\\\\': '\\', '\\t': '\t', '\\n': '\n', '\\r': '\r' };

/**
 * PostgreSQL text cannot hold U+0000; validation rejects such a row (invalid_character), so this only
 * guards against a row that skipped validation, before anything is sent.
 */
export function refuseUnstorableText(value: string): void {
  if (value.includes('\u0000')) throw new RangeError('PostgreSQL cannot store the character U+0000 in a text value');
}

/**
 * One field in COPY text format: backslash, tab, newline and carriage return are backslash-escaped
 * (so `\N` and `\.` in data stay data).
 */
export function copyTextField(value: string): string {
  refuseUnstorableText(value);
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value;
}

/**
 * Each row of `table` as one COPY text line, fields in the order of its COPY_INTO column list (the table's
 * columns). Integer columns are Int32Arrays, so only the text needs checking and escaping.
 */
export function encodeLines(table: TableName, rows: ColumnRows): string[] {
  const fields = COLUMNS[table].map((name) => {
    const column = rows.columns[name];
    return column instanceof Int32Array ? column : (column as string[]).map(copyTextField);
  });
  const lines = new Array<string>(rows.count);
  for (let i = 0; i < rows.count; i++) {
    let line = `${fields[0][i]}`;
    // `${line}\t…` rather than line += `\t…`, which would first make a string of the tab and the field alone.
    for (let f = 1; f < fields.length; f++) line = `${line}\t${fields[f][i]}`;
    lines[i] = `${line}\n`;
  }
  return lines;
}

const encoder = new TextEncoder();

/** The lines of encodeLines as UTF-8 bytes, with where each line ends: what crosses from the parse thread. */
export function encodeCopyLines(table: TableName, rows: ColumnRows): CopyLines {
  const lines = encodeLines(table, rows);
  const ends = new Int32Array(lines.length);
  // The usual batch is all ASCII (one byte a character): one encoding of the whole text, and the ends
  // follow from the lines' lengths.
  const ascii = encoder.encode(lines.join(''));
  let at = 0;
  for (let i = 0; i < lines.length; i++) ends[i] = at += lines[i].length;
  if (ascii.length === at) return { bytes: ascii, ends };
  const bytes = new Uint8Array(ascii.length);
  at = 0;
  for (let i = 0; i < lines.length; i++) ends[i] = at += encoder.encodeInto(lines[i], bytes.subarray(at)).written;
  return { bytes, ends };
}

/**
 * The rows as their COPY text and ids, the form a file load's rows take to PostgreSQL. A value PostgreSQL
 * cannot store leaves the refusal in the text, for the adapter to raise before it sends anything.
 */
export function asCopyText(table: TableName, rows: ColumnRows): ColumnRows {
  const columns = { id: rows.columns.id };
  try {
    return { count: rows.count, columns, copy: encodeCopyLines(table, rows) };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { count: rows.count, columns, copy: { bytes: new Uint8Array(0), ends: new Int32Array(rows.count), refused: e.message } };
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The rows back as columns from their COPY text (a rare path: the fallback after a concurrent writer's insert). */
export function decodeCopyLines(table: TableName, copy: CopyLines, count: number): RowColumns {
  const names = COLUMNS[table] as readonly string[];
  const columns: RowColumns = {};
  for (const name of names) columns[name] = INT_COLUMNS[table].has(name) ? new Int32Array(count) : new Array<string>(count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    const line = decoder.decode(copy.bytes.subarray(start, copy.ends[i] - 1)); // without its newline
    start = copy.ends[i];
    const fields = line.split('\t');
    if (fields.length !== names.length) throw new Error(`COPY line ${i} holds ${fields.length} fields, not ${names.length}`);
    for (let f = 0; f < names.length; f++) {
      const column = columns[names[f]];
      if (column instanceof Int32Array) column[i] = Number(fields[f]);
      else column[i] = fields[f].replace(/\\[\\tnr]/g, (e) => COPY_UNESCAPES[e]);
    }
  }
  return columns;
}
