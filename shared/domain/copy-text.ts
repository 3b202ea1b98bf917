/**
 * Rows as PostgreSQL COPY text (text format, one line per row, fields in the table's column order). The
 * parse thread encodes a file load's rows with it, and the PostgreSQL adapter encodes rows that arrive as
 * objects or columns (a batch request) with the same functions, so both send the same bytes.
 */
import { COLUMNS, type TableName } from './tables.ts';
import type { ColumnRows, CopyLines, RowColumns } from './row-columns.ts';

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const COPY_UNESCAPES: Record<string, string> = { '\\\\': '\\', '\\t': '\t', '\\n': '\n', '\\r': '\r' };
const INT_COLUMNS = new Set(['id', 'department_id', 'job_id']);

/**
 * One field in COPY text format: backslash, tab, newline and carriage return are backslash-escaped
 * (so `\N` and `\.` in data stay data). PostgreSQL text cannot hold U+0000; validation rejects such a
 * row (invalid_character), so the check here only guards against a row that skipped validation.
 */
export function copyTextField(value: string): string {
  if (value.includes('\u0000')) throw new RangeError('PostgreSQL cannot store the character U+0000 in a text value');
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
  if (table === 'hired_employees') {
    const [id, name, datetime, department, job] = fields as [Int32Array, string[], string[], Int32Array, Int32Array];
    for (let i = 0; i < rows.count; i++) lines[i] = `${id[i]}\t${name[i]}\t${datetime[i]}\t${department[i]}\t${job[i]}\n`;
  } else {
    const [id, text] = fields as [Int32Array, string[]];
    for (let i = 0; i < rows.count; i++) lines[i] = `${id[i]}\t${text[i]}\n`;
  }
  return lines;
}

const encoder = new TextEncoder();

/** The lines of encodeLines as UTF-8 bytes, with where each line ends: what crosses from the parse thread. */
export function encodeCopyLines(table: TableName, rows: ColumnRows): CopyLines {
  const lines = encodeLines(table, rows);
  let chars = 0;
  for (const line of lines) chars += line.length;
  // Sized for ASCII (one byte a character), grown when a line holds more.
  let bytes = new Uint8Array(chars);
  const ends = new Int32Array(lines.length);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    let done = encoder.encodeInto(lines[i], bytes.subarray(at));
    if (done.read < lines[i].length) {
      const grown = new Uint8Array(Math.max(bytes.length * 2, at + lines[i].length * 3));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
      done = encoder.encodeInto(lines[i], bytes.subarray(at));
    }
    at += done.written;
    ends[i] = at;
  }
  return { bytes: at === bytes.length ? bytes : bytes.slice(0, at), ends };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The rows back as columns from their COPY text (a rare path: the fallback after a concurrent writer's insert). */
export function decodeCopyLines(table: TableName, copy: CopyLines, count: number): RowColumns {
  const names = COLUMNS[table] as readonly string[];
  const columns: RowColumns = {};
  for (const name of names) columns[name] = INT_COLUMNS.has(name) ? new Int32Array(count) : new Array<string>(count);
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
