import { COLUMNS, type RowOf, type TableName } from '../domain/tables.ts';

const INT_COLUMNS = new Set(['id', 'department_id', 'job_id']);

/** Rows of one table as columns: whole numbers in Int32Arrays (transferable), text in string arrays. */
export type RowColumns = Record<string, Int32Array | string[]>;

/** Packs rows into columns, which cross a thread boundary several times faster than objects. */
export function toColumns<T extends TableName>(table: T, rows: RowOf[T][]): RowColumns {
  const columns: RowColumns = {};
  for (const name of COLUMNS[table]) {
    if (INT_COLUMNS.has(name)) {
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
  const names = COLUMNS[table];
  const rows = new Array<RowOf[T]>(count);
  for (let i = 0; i < count; i++) {
    const row: Record<string, number | string> = {};
    for (const name of names) row[name] = columns[name][i];
    rows[i] = row as unknown as RowOf[T];
  }
  return rows;
}

/** The ArrayBuffers of the columns, to transfer rather than copy. */
export function transferables(columns: RowColumns): ArrayBuffer[] {
  return Object.values(columns)
    .filter((c): c is Int32Array => c instanceof Int32Array)
    .map((c) => c.buffer as ArrayBuffer);
}
