import { Hono } from 'hono';
import { COLUMNS, type TableName } from '../../shared/domain/tables.ts';
import { parseCsvText } from '../../shared/csv/read-records.ts';
import { decodeBytes } from '../../shared/csv/decode.ts';
import { ingestBatch, MAX_BATCH_ROWS, type BatchItem } from '../../shared/service/ingest-batch.ts';
import type { AppDeps } from '../deps.ts';
import { noteWrite } from '../auth/context.ts';
import { HireDbError } from '../../shared/domain/errors.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';
import { readBodyBytes } from '../body.ts';

const PATH_TABLES: Record<string, TableName> = {
  departments: 'departments',
  jobs: 'jobs',
  'hired-employees': 'hired_employees',
};

/** `POST /api/v1/{departments|jobs|hired-employees}/batch`: 1 to 1000 rows as JSON or CSV. */
export function batchRoutes(deps: AppDeps) {
  const app = new Hono();
  app.post('/:table/batch', async (c) => {
    const table = PATH_TABLES[c.req.param('table')];
    if (!table) throw new HireDbError('NOT_FOUND', `no table ${quoteInput(c.req.param('table'))}: use departments, jobs or hired-employees`);
    const mode = c.req.query('mode') ?? 'partial';
    if (mode !== 'partial' && mode !== 'atomic') throw new HireDbError('BAD_PARAMETER', `mode must be partial or atomic, got ${quoteInput(mode)}`);

    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json' && type !== 'text/csv') {
      throw new HireDbError('UNSUPPORTED_MEDIA_TYPE', `send application/json (an array of objects) or text/csv, not ${type ? quoteInput(type) : 'nothing'}`);
    }
    // Decoded here, not by the runtime, so an invalid byte rejects its row instead of becoming U+FFFD.
    const text = decodeBytes(await readBodyBytes(c.req.raw, deps.http.maxBatchBytes));
    const items = type === 'text/csv' ? csvItems(text) : jsonItems(table, text);
    if (items.length < 1 || items.length > MAX_BATCH_ROWS) {
      throw new HireDbError('BAD_BATCH_SIZE', `a batch holds 1 to ${MAX_BATCH_ROWS} rows, got ${items.length}; nothing was written`);
    }
    const outcome = await ingestBatch(deps.db, table, items, mode, deps.retry);
    const { aborted, ...body } = outcome;
    noteWrite(c, { table, mode, processed: body.processed, inserted: body.inserted, already_exists: body.already_exists, rejected: body.rejected });
    return c.json(body, aborted ? 422 : 200);
  });
  return app;
}

function csvItems(text: string): BatchItem[] {
  return parseCsvText(text).map((r) => ({ fields: r.fields, raw: r.raw, error: r.error }));
}

/** A JSON batch body: an array of objects whose values are strings, numbers or null, as rows of fields. */
function jsonItems(table: TableName, text: string): BatchItem[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HireDbError('BAD_JSON', `the body is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(body)) throw notRows('', 'it is not an array');
  const columns: readonly string[] = COLUMNS[table];
  return body.map((item: unknown, index): BatchItem => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw notRows(`${index}`, 'each row must be an object with the column names');
    const values = item as Record<string, unknown>;
    const fields = columns.map((col) => fieldText(values[col], index, col));
    // Keys that are not columns make the row's field count wrong, so it is rejected rather than silently trimmed.
    for (const key in values) if (!columns.includes(key)) fields.push(fieldText(values[key], index, key));
    return { fields };
  });
}

function fieldText(value: unknown, index: number, key: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw notRows(`${index}.${key}`, `a value must be a string, a number or null, not ${Array.isArray(value) ? 'an array' : typeof value}`);
}

function notRows(path: string, why: string): HireDbError {
  return new HireDbError('BAD_JSON', `the body must be an array of objects with string or number values${path ? ` (at ${path})` : ''}: ${why}`);
}
