/**
 * The three tables of the migration: each one's columns (the descriptor every rule, statement and
 * encoding of a table is derived from) and the typed rows stored in them.
 */
export const TABLES = ['departments', 'jobs', 'hired_employees'] as const;
export type TableName = (typeof TABLES)[number];
export type DimensionTable = 'departments' | 'jobs';

/** Ids (`id` and `ref` columns) are whole numbers in 1..MAX_ID, what an INT holds in every database. */
export const MAX_ID = 2147483647;
/** The longest name, in UTF-16 code units (JavaScript's `length`, SQL Server's NVARCHAR(100)). */
export const MAX_NAME_LENGTH = 100;

/**
 * A column, by kind:
 * - `id`: the table's primary key, an integer in 1..MAX_ID;
 * - `ref`: an integer in 1..MAX_ID that must be the id of a row of `references`;
 * - `text`: at most `maxLength` UTF-16 code units;
 * - `datetime`: an ISO 8601 date-time, stored in UTC.
 * No column may be empty.
 */
export type ColumnSpec =
  | { readonly name: string; readonly kind: 'id' }
  | { readonly name: string; readonly kind: 'ref'; readonly references: DimensionTable }
  | { readonly name: string; readonly kind: 'text'; readonly maxLength: number }
  | { readonly name: string; readonly kind: 'datetime' };
export type ColumnKind = ColumnSpec['kind'];

/** Each table's columns in CSV and storage order, its `id` first. */
export const TABLE_COLUMNS = {
  departments: [
    { name: 'id', kind: 'id' },
    { name: 'department', kind: 'text', maxLength: MAX_NAME_LENGTH },
  ],
  jobs: [
    { name: 'id', kind: 'id' },
    { name: 'job', kind: 'text', maxLength: MAX_NAME_LENGTH },
  ],
  hired_employees: [
    { name: 'id', kind: 'id' },
    { name: 'name', kind: 'text', maxLength: MAX_NAME_LENGTH },
    { name: 'datetime', kind: 'datetime' },
    { name: 'department_id', kind: 'ref', references: 'departments' },
    { name: 'job_id', kind: 'ref', references: 'jobs' },
  ],
} as const satisfies Record<TableName, readonly [{ name: 'id'; kind: 'id' }, ...ColumnSpec[]]>;

type TableColumns = typeof TABLE_COLUMNS;
type NamesOf<C extends readonly ColumnSpec[]> = { readonly [K in keyof C]: C[K]['name'] };

/** A value per table, computed once (a statement's SQL, a column list). */
export function perTable<V>(of: (table: TableName) => V): Record<TableName, V> {
  return Object.fromEntries(TABLES.map((t) => [t, of(t)])) as Record<TableName, V>;
}

/** Each table's column names, in order. */
export const COLUMNS = perTable((t) => TABLE_COLUMNS[t].map((c) => c.name)) as unknown as {
  readonly [T in TableName]: NamesOf<TableColumns[T]>;
};

export interface DepartmentRow { id: number; department: string }
export interface JobRow { id: number; job: string }
/** `datetime` is normalised to UTC ISO 8601 (`YYYY-MM-DDTHH:MM:SS[.ffffff]Z`). */
export interface HiredEmployeeRow {
  id: number;
  name: string;
  datetime: string;
  department_id: number;
  job_id: number;
}

export interface RowOf {
  departments: DepartmentRow;
  jobs: JobRow;
  hired_employees: HiredEmployeeRow;
}

/** The row a descriptor's columns make: ids as numbers, text and datetimes as strings. */
type RowFrom<C extends readonly ColumnSpec[]> = { [S in C[number] as S['name']]: S['kind'] extends 'id' | 'ref' ? number : string };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Does not compile when a row interface and its table's columns disagree.
type RowsMatchColumns<T extends { [N in TableName]: true }> = T;
type _RowChecks = RowsMatchColumns<{ [T in TableName]: Same<RowOf[T], RowFrom<TableColumns[T]>> }>;

export function isTableName(value: string): value is TableName {
  return (TABLES as readonly string[]).includes(value);
}

/** The table a Blob file (`*.csv` or gzip-compressed `*.csv.gz`) feeds, by its name prefix; null for names HireDB does not know. */
export function tableForFile(fileName: string): TableName | null {
  const lower = fileName.toLowerCase();
  if (!lower.endsWith('.csv') && !lower.endsWith('.csv.gz')) return null;
  if (lower.startsWith('hired_employees')) return 'hired_employees';
  if (lower.startsWith('departments')) return 'departments';
  if (lower.startsWith('jobs')) return 'jobs';
  return null;
}
