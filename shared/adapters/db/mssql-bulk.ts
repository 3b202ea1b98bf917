/**
 * What the SQL Server adapter bulk-loads: the columns of #staging (one per data table) and of
 * task_rejects, the DDL that creates #staging, and the rows in column order.
 */
import { COLUMNS, TABLE_COLUMNS, perTable, type ColumnSpec, type RowOf, type TableName } from '../../domain/tables.ts';
import type { Reject } from '../../domain/reasons.ts';
import type { BulkColumn } from './mssql-executor.ts';
import { toDateTime2 } from './mssql-params.ts';

/** A column as bulk-loaded into #staging: the types of sql/mssql/001_init.sql. */
function stagingColumn(c: ColumnSpec): BulkColumn {
  switch (c.kind) {
    case 'id':
    case 'ref':
      return { name: c.name, type: 'Int', nullable: false };
    case 'text':
      return { name: c.name, type: 'NVarChar', length: c.maxLength, nullable: false };
    case 'datetime':
      return { name: c.name, type: 'DateTime2', scale: 7, nullable: false };
  }
}

/** Columns of each data table as bulk-loaded into #staging. */
export const STAGING_COLUMNS: Record<TableName, BulkColumn[]> = perTable((t) => TABLE_COLUMNS[t].map(stagingColumn));

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
  const columns = STAGING_COLUMNS[table];
  const names = COLUMNS[table];
  const values: unknown[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const value = (row as unknown as Record<string, unknown>)[names[i]];
    values[i] = columns[i].type === 'DateTime2' ? toDateTime2(value as string) : value;
  }
  return values;
}

/** A reject as the values of the task_rejects columns, in order. */
export const rejectRow = (taskId: number, r: Reject): unknown[] => [taskId, r.line, r.id, r.raw, r.reasons.join(',')];
