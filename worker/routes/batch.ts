import { Hono } from 'hono';
import * as v from 'valibot';
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

/** A batch body: 1..1000 objects whose values are strings, numbers or null. */
const JsonBatch = v.array(
  v.pipe(
    v.custom<object>((item) => typeof item === 'object' && item !== null && !Array.isArray(item), 'each row must be an object with the column names'),
    v.record(v.string(), v.nullable(v.union([v.string(), v.number()]))),
  ),
);

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

function jsonItems(table: TableName, text: string): BatchItem[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HireDbError('BAD_JSON', `the body is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = v.safeParse(JsonBatch, body);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => p.key).join('.') ?? '';
    throw new HireDbError('BAD_JSON', `the body must be an array of objects with string or number values${path ? ` (at ${path})` : ''}: ${issue.message}`);
  }
  const columns: readonly string[] = COLUMNS[table];
  return parsed.output.map((item) => {
    const fields = columns.map((col) => (item[col] === null || item[col] === undefined ? '' : String(item[col])));
    // Keys that are not columns make the row's field count wrong, so it is rejected rather than silently trimmed.
    for (const key of Object.keys(item)) if (!columns.includes(key)) fields.push(String(item[key]));
    return { fields, raw: JSON.stringify(item), json: true };
  });
}
