import type { RecordError } from '../csv/csv-parser.ts';
import type { ReasonCode } from '../domain/reasons.ts';
import { describeReject } from '../domain/row-rules.ts';
import type { RowOf, TableName } from '../domain/tables.ts';
import type { Summary } from '../domain/task.ts';
import type { Database } from '../ports/database.port.ts';
import { dimensionsFor } from './dimensions.ts';
import { newLoadContext, validateRecord } from './validate.ts';
import { withRetry, type RetryOptions } from './retry.ts';

export const MAX_BATCH_ROWS = 1000;
export type BatchMode = 'partial' | 'atomic';

/** One row of a batch request: its fields in column order and, for a CSV row, its text as received. */
export interface BatchItem {
  fields: string[];
  /** The CSV text the fields were read from (the rules check it too); a JSON row has none. */
  raw?: string;
  /** Set when the CSV text of the row could not be read as a record. */
  error?: RecordError;
}

export interface BatchError {
  index: number;
  id: string | null;
  reasons: ReasonCode[];
  message: string;
}

export interface BatchOutcome extends Summary {
  errors: BatchError[];
  /** True when atomic mode wrote nothing because some row was rejected. */
  aborted: boolean;
}

/**
 * The batch path of the one validate-and-insert service: every row checked by the same rules as a
 * file load, valid rows inserted in one transaction. In atomic mode any reject means nothing is written.
 */
export async function ingestBatch(
  db: Database,
  table: TableName,
  items: BatchItem[],
  mode: BatchMode,
  retry?: RetryOptions,
): Promise<BatchOutcome> {
  if (items.length < 1 || items.length > MAX_BATCH_ROWS) {
    throw new RangeError(`a batch holds 1 to ${MAX_BATCH_ROWS} rows, got ${items.length}`);
  }
  const ctx = newLoadContext(table, await withRetry(() => dimensionsFor(db, table), retry));
  const rows: RowOf[TableName][] = [];
  const errors: BatchError[] = [];
  items.forEach((item, index) => {
    const result = validateRecord(ctx, index, item.raw ?? '', item.fields, item.error, item.raw !== undefined);
    if (!result.reject) rows.push(result.row);
    else {
      const { id, reasons } = result.reject;
      errors.push({ index, id, reasons, message: describeReject(table, `row ${index}${id ? ` (id ${id})` : ''}`, reasons) });
    }
  });
  const aborted = mode === 'atomic' && errors.length > 0;
  const written = rows.length > 0 && !aborted ? await withRetry(() => db.insertBatch(table, rows), retry) : { inserted: 0, already_exists: 0 };
  return {
    processed: items.length,
    inserted: written.inserted,
    already_exists: written.already_exists,
    // An aborted atomic batch writes no row, so every row counts as rejected; errors name the causes.
    rejected: aborted ? items.length : errors.length,
    errors,
    aborted,
  };
}
