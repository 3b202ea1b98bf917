import type { RecordError } from '../csv/csv-parser.ts';
import { escapeRaw } from '../domain/raw-text.ts';
import type { ReasonCode, Reject } from '../domain/reasons.ts';
import { checkRecord, parseId } from '../domain/row-rules.ts';
import type { RowOf, TableName } from '../domain/tables.ts';
import { IdSet } from './id-set.ts';

/** What validating a load needs besides the record: dimension ids, and ids already seen in this load. */
export interface LoadContext<T extends TableName = TableName> {
  table: T;
  /** Ids present in departments and jobs (hired_employees loads only). */
  departmentIds: ReadonlySet<number> | null;
  jobIds: ReadonlySet<number> | null;
  seen: IdSet;
}

export function newLoadContext<T extends TableName>(
  table: T,
  dims: { departmentIds?: ReadonlySet<number>; jobIds?: ReadonlySet<number> } = {},
): LoadContext<T> {
  return { table, departmentIds: dims.departmentIds ?? null, jobIds: dims.jobIds ?? null, seen: new IdSet() };
}

export type Validated<T extends TableName> = { row: RowOf[T]; reject: null } | { row: null; reject: Reject };

/**
 * Applies every data rule to one record. A valid record's id is remembered, so a later record with the
 * same id in the same load is rejected as duplicate_id. A record the parser could not read (`error`)
 * is rejected for that alone. A reject's raw text and id are escaped when they cannot be stored as text.
 */
export function validateRecord<T extends TableName>(
  ctx: LoadContext<T>,
  line: number,
  raw: string,
  fields: readonly string[],
  error?: RecordError,
  /** False when `raw` is not the text the fields were read from (a JSON row). */
  fieldsInRaw = true,
): Validated<T> {
  const checked = error ? ({ row: null, reasons: [error] } as const) : checkRecord(ctx.table, fields, fieldsInRaw ? raw : undefined);
  let reasons: ReasonCode[];
  if (checked.reasons === null) {
    reasons = [];
    const row = checked.row;
    if (ctx.table === 'hired_employees') {
      const h = row as RowOf['hired_employees'];
      if (ctx.departmentIds && !ctx.departmentIds.has(h.department_id)) reasons.push('unknown_department');
      if (ctx.jobIds && !ctx.jobIds.has(h.job_id)) reasons.push('unknown_job');
    }
    if (ctx.seen.has(row.id)) reasons.push('duplicate_id');
    if (reasons.length === 0) {
      ctx.seen.add(row.id);
      return { row, reject: null };
    }
  } else {
    reasons = [...checked.reasons];
    const id = fields.length > 0 && !error ? parseId(fields[0].trim()) : null;
    if (id !== null && ctx.seen.has(id)) reasons.push('duplicate_id');
  }
  const idText = fields.length > 0 && fields[0].trim() !== '' ? escapeRaw(fields[0].trim()) : null;
  return { row: null, reject: { line, id: idText, raw: escapeRaw(raw), reasons } };
}
