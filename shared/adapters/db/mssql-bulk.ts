/**
 * What the SQL Server adapter bulk-loads: the columns of #staging (one per data table) and of
 * task_rejects, the DDL that creates #staging, and the rows in column order.
 */
import type { RowOf, TableName } from '../../domain/tables.ts';
import type { Reject } from '../../domain/reasons.ts';
import type { BulkColumn } from './mssql-executor.ts';
import { toDateTime2 } from './mssql-params.ts';

/** Columns of each data table as bulk-loaded into #staging (the types of sql/mssql/001_init.sql). */
export const STAGING_COLUMNS: Record<TableName, BulkColumn[]> = {
  departments: [
    { name: 'id', type: 'Int', nullable: false },
    { name: 'department', type: 'NVarChar', length: 100, nullable: false },
  ],
  jobs: [
    { name: 'id', type: 'Int', nullable: false },
    { name: 'job', type: 'NVarChar', length: 100, nullable: false },
  ],
  hired_employees: [
    { name: 'id', type: 'Int', nullable: false },
    { name: 'name', type: 'NVarChar', length: 100, nullable: false },
    { name: 'datetime', type: 'DateTime2', scale: 7, nullable: false },
    { name: 'department_id', type: 'Int', nullable: false },
    { name: 'job_id', type: 'Int', nullable: false },
  ],
};

export const REJECT_COLUMNS: BulkColumn[] = [
  { name: 'task_id', type: 'Int', nullable: false },
  { name: 'line', type: 'BigInt', nullable: false },
  { name: 'record_id', type: 'NVarChar', length: Infinity, nullable: true },
  { name: 'raw', type: 'NVarChar', length: Infinity, nullable: false },
  { name: 'reasons', type: 'NVarChar', length: 1000, nullable: false },
];

function columnDeclaration(c: BulkColumn): string {
  switch (c.type) {
    case 'Int':
      return 'INT';
    case 'BigInt':
      return 'BIGINT';
    case 'DateTime2':
      return `DATETIME2(${c.scale ?? 7})`;
    case 'NVarChar':
      return `NVARCHAR(${c.length === undefined || c.length > 4000 ? 'MAX' : c.length}) COLLATE DATABASE_DEFAULT`;
  }
}

/** Drops any #staging left on this session, then creates it with the table's columns (sent as a plain batch). */
export function stagingDdl(table: TableName): string {
  const columns = STAGING_COLUMNS[table].map(
    (c) => `${c.name} ${columnDeclaration(c)} ${c.nullable ? 'NULL' : 'NOT NULL'}${c.name === 'id' ? ' PRIMARY KEY' : ''}`,
  );
  return `IF OBJECT_ID(N'tempdb..#staging') IS NOT NULL DROP TABLE #staging;
CREATE TABLE #staging (${columns.join(', ')});`;
}

/** A data row as the values of its #staging columns, in order. */
export function stagingRow(table: TableName, row: RowOf[TableName]): unknown[] {
  switch (table) {
    case 'departments': {
      const r = row as RowOf['departments'];
      return [r.id, r.department];
    }
    case 'jobs': {
      const r = row as RowOf['jobs'];
      return [r.id, r.job];
    }
    case 'hired_employees': {
      const r = row as RowOf['hired_employees'];
      return [r.id, r.name, toDateTime2(r.datetime), r.department_id, r.job_id];
    }
  }
}

/** A reject as the values of the task_rejects columns, in order. */
export const rejectRow = (taskId: number, r: Reject): unknown[] => [taskId, r.line, r.id, r.raw, r.reasons.join(',')];
