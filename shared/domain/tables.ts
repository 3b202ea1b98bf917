/** The three tables of the migration, their CSV columns and the typed rows stored in them. */
export const TABLES = ['departments', 'jobs', 'hired_employees'] as const;
export type TableName = (typeof TABLES)[number];
export type DimensionTable = 'departments' | 'jobs';

export const COLUMNS = {
  departments: ['id', 'department'],
  jobs: ['id', 'job'],
  hired_employees: ['id', 'name', 'datetime', 'department_id', 'job_id'],
} as const satisfies Record<TableName, readonly string[]>;

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
