import { COLUMNS, TABLE_COLUMNS, perTable, type ColumnSpec, type RowOf, type TableName } from './tables.ts';

/** Each table's integer columns (`id` and `ref`): those that cross as Int32Arrays. */
export const INT_COLUMNS: Record<TableName, ReadonlySet<string>> = perTable(
  (t) => new Set((TABLE_COLUMNS[t] as readonly ColumnSpec[]).filter((c) => c.kind === 'id' || c.kind === 'ref').map((c) => c.name)),
);

/** Rows of one table as columns: whole numbers in Int32Arrays (transferable), text in string arrays. */
export type RowColumns = Record<string, Int32Array | string[]>;

/**
 * Rows as columns, with their count: the shape rows keep from the parse thread to the database adapter
 * (no object per row on the way). `columns.id` is always an Int32Array.
 */
export interface ColumnRows {
  count: number;
  columns: RowColumns;
  /**
   * The rows already encoded as PostgreSQL COPY text (shared/domain/copy-text.ts), for a file load into
   * PostgreSQL: then `columns` holds only `id`.
   */
  copy?: CopyLines;
}

/** COPY text lines as UTF-8: line i is `bytes` from `ends[i - 1]` (0 for the first) to `ends[i]`, its newline included. */
export interface CopyLines {
  bytes: Uint8Array;
  ends: Int32Array;
  /** Why the rows could not be encoded (a value PostgreSQL cannot store): the adapter refuses them with it. */
  refused?: string;
}

/** What an adapter takes: rows as objects (a batch request) or already as columns (a file load). */
export type RowsIn<T extends TableName> = readonly RowOf[T][] | ColumnRows;

/** Packs rows into columns, which cross a thread boundary several times faster than objects. */
export function toColumns<T extends TableName>(table: T, rows: readonly RowOf[T][]): RowColumns {
  const columns: RowColumns = {};
  for (const name of COLUMNS[table]) {
    if (INT_COLUMNS[table].has(name)) {
      const values = new Int32Array(rows.length);
      for (let i = 0; i < rows.length; i++) values[i] = (rows[i] as unknown as Record<string, number>)[name];
      columns[name] = values;
    } else {
      columns[name] = rows.map((r) => (r as unknown as Record<string, string>)[name]);
    }
  }
  return columns;
}

export function fromColumns<T extends TableName>(table: T, columns: RowColumns, count: number): RowOf[T][] {
  if (!(COLUMNS[table][1] in columns)) throw new Error(`${table} rows encoded as COPY text go only to PostgreSQL`);
  const names = COLUMNS[table];
  const rows = new Array<RowOf[T]>(count);
  for (let i = 0; i < count; i++) {
    const row: Record<string, number | string> = {};
    for (const name of names) row[name] = columns[name][i];
    rows[i] = row as unknown as RowOf[T];
  }
  return rows;
}

/**
 * Rows as columns. Object rows are checked to be whole numbers where the table has integers: an Int32Array
 * would silently wrap or truncate anything else.
 */
export function asColumns<T extends TableName>(table: T, rows: RowsIn<T>): ColumnRows {
  if (!Array.isArray(rows)) return rows as ColumnRows;
  const objects = rows as readonly RowOf[T][];
  for (const name of COLUMNS[table]) {
    if (!INT_COLUMNS[table].has(name)) continue;
    for (const r of objects) {
      const v = (r as unknown as Record<string, unknown>)[name];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        throw new RangeError(`${name} must be a 32-bit integer, got ${String(v)}`);
      }
    }
  }
  return { count: objects.length, columns: toColumns(table, objects) };
}

/** Rows as objects (for an adapter whose driver takes them so). */
export function asObjects<T extends TableName>(table: T, rows: RowsIn<T>): readonly RowOf[T][] {
  return Array.isArray(rows) ? (rows as readonly RowOf[T][]) : fromColumns(table, (rows as ColumnRows).columns, (rows as ColumnRows).count);
}

/** Consecutive blocks of rows as one. */
export function concatColumns(table: TableName, parts: readonly ColumnRows[]): ColumnRows {
  if (parts.length === 1) return parts[0];
  let count = 0;
  for (const p of parts) count += p.count;
  const columns: RowColumns = {};
  const copy = parts[0].copy ? concatCopyLines(parts) : undefined;
  for (const name of copy ? ['id'] : COLUMNS[table]) {
    if (INT_COLUMNS[table].has(name)) {
      const values = new Int32Array(count);
      let at = 0;
      for (const p of parts) {
        values.set((p.columns[name] as Int32Array).subarray(0, p.count), at);
        at += p.count;
      }
      columns[name] = values;
    } else {
      const values: string[] = new Array(count);
      let at = 0;
      for (const p of parts) {
        const from = p.columns[name] as string[];
        for (let i = 0; i < p.count; i++) values[at++] = from[i];
      }
      columns[name] = values;
    }
  }
  return copy ? { count, columns, copy } : { count, columns };
}

function concatCopyLines(parts: readonly ColumnRows[]): CopyLines {
  let length = 0;
  let lines = 0;
  let refused: string | undefined;
  for (const p of parts) {
    if (!p.copy) throw new Error('rows as COPY text cannot be joined with rows as columns');
    length += p.copy.bytes.length;
    lines += p.count;
    refused ??= p.copy.refused;
  }
  if (refused !== undefined) return { bytes: new Uint8Array(0), ends: new Int32Array(lines), refused };
  const bytes = new Uint8Array(length);
  const ends = new Int32Array(lines);
  let at = 0;
  let line = 0;
  for (const p of parts) {
    const copy = p.copy as CopyLines;
    bytes.set(copy.bytes, at);
    for (let i = 0; i < p.count; i++) ends[line++] = copy.ends[i] + at;
    at += copy.bytes.length;
  }
  return { bytes, ends };
}

/** The ArrayBuffers of the columns, to transfer rather than copy. */
export function transferables(columns: RowColumns): ArrayBuffer[] {
  return Object.values(columns)
    .filter((c): c is Int32Array => c instanceof Int32Array)
    .map((c) => c.buffer as ArrayBuffer);
}
