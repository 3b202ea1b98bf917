import type { RecordError } from '../csv/csv-parser.ts';
import { escapeRaw } from '../domain/raw-text.ts';
import type { ReasonCode, Reject } from '../domain/reasons.ts';
import { checkRecord, parseId, REFERENCES } from '../domain/row-rules.ts';
import type { DimensionTable, RowOf, TableName } from '../domain/tables.ts';
import { IdSet } from './id-set.ts';

/** What validating a load needs besides the record: the ids its `ref` columns may hold, and ids already seen in this load. */
export interface LoadContext<T extends TableName = TableName> {
  table: T;
  /** The table's `ref` columns whose ids were given, each with those ids. */
  refs: readonly RefCheck[];
  seen: IdSet;
}

interface RefCheck {
  column: string;
  ids: ReadonlySet<number>;
  unknown: ReasonCode;
}

export function newLoadContext<T extends TableName>(
  table: T,
  dims: { departmentIds?: ReadonlySet<number>; jobIds?: ReadonlySet<number> } = {},
): LoadContext<T> {
  const idsOf: Record<DimensionTable, ReadonlySet<number> | undefined> = { departments: dims.departmentIds, jobs: dims.jobIds };
  const refs = REFERENCES[table].flatMap((r) => {
    const ids = idsOf[r.table];
    return ids ? [{ column: r.column, ids, unknown: r.unknown }] : [];
  });
  return { table, refs, seen: new IdSet() };
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
  let reasons: ReasonCode[] | null = null; // made for the first one: most records have none
  if (checked.reasons === null) {
    const row = checked.row;
    const values = row as unknown as Record<string, number>;
    const refs = ctx.refs;
    // Written out per position rather than as one loop: each lookup then sees a single column name all load
    // long and stays as fast as `row.job_id` (a lookup in a loop sees every name: measured twice as slow).
    if (refs.length > 0 && !refs[0].ids.has(values[refs[0].column])) (reasons ??= []).push(refs[0].unknown);
    if (refs.length > 1 && !refs[1].ids.has(values[refs[1].column])) (reasons ??= []).push(refs[1].unknown);
    for (let i = 2; i < refs.length; i++) if (!refs[i].ids.has(values[refs[i].column])) (reasons ??= []).push(refs[i].unknown);
    if (ctx.seen.has(row.id)) (reasons ??= []).push('duplicate_id');
    if (reasons === null) {
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
