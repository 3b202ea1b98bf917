import { normalizeDateTime } from './datetime.ts';
import { hasControlCharacter, isWellFormed } from './raw-text.ts';
import type { ReasonCode } from './reasons.ts';
import { COLUMNS, type RowOf, type TableName } from './tables.ts';

export const MAX_ID = 2147483647;
export const MAX_NAME_LENGTH = 100;

/** Outcome of the record-level rules: a typed row, or the reasons it cannot be one. */
export type RecordCheck<T extends TableName> = { row: RowOf[T]; reasons: null } | { row: null; reasons: ReasonCode[] };

/** A whole number in 1..2147483647 written in plain decimal digits; null otherwise. */
export function parseId(text: string): number | null {
  if (text.length === 0 || text.length > 10) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const n = Number(text);
  return n >= 1 && n <= MAX_ID ? n : null;
}

/**
 * Applies the rules that need nothing but the record itself (field count, text that cannot be stored,
 * empty fields, ids, name lengths, datetimes); every reason found is reported. Fields are trimmed here.
 */
export function checkRecord<T extends TableName>(
  table: T,
  rawFields: readonly string[],
  /** The text every field was read from (a CSV record): searched once instead of field by field. */
  source?: string,
): RecordCheck<T> {
  const columns = COLUMNS[table];
  const text = source !== undefined && !SUSPECT.test(source) ? NONE : textReasons(rawFields);
  if (rawFields.length !== columns.length) return { row: null, reasons: ['field_count', ...text] };
  const f: string[] = new Array(rawFields.length);
  for (let i = 0; i < rawFields.length; i++) f[i] = rawFields[i].trim(); // a loop: this runs once per record
  const reasons: ReasonCode[] = [];
  const id = idField(f[0], 'id', 'invalid_id', reasons);

  if (table === 'hired_employees') {
    const name = textField(f[1], 'name', reasons);
    let datetime: string | null = null;
    if (f[2] === '') reasons.push('missing_datetime');
    else if ((datetime = normalizeDateTime(f[2])) === null) reasons.push('invalid_datetime');
    const departmentId = idField(f[3], 'department_id', 'invalid_department_id', reasons);
    const jobId = idField(f[4], 'job_id', 'invalid_job_id', reasons);
    if (reasons.length > 0 || text.length > 0) return { row: null, reasons: [...reasons, ...text] };
    const row = { id: id!, name: name!, datetime: datetime!, department_id: departmentId!, job_id: jobId! };
    return { row: row as RowOf[T], reasons: null };
  }

  const column = columns[1];
  const value = textField(f[1], column, reasons);
  if (reasons.length > 0 || text.length > 0) return { row: null, reasons: [...reasons, ...text] };
  return { row: { id: id!, [column]: value! } as unknown as RowOf[T], reasons: null };
}

/** A control character or any surrogate (paired ones are fine, and rare). */
const SUSPECT = /[\x00-\x08\x0A-\x1F\uD800-\uDFFF]/;
const NONE: readonly ReasonCode[] = [];

/** invalid_character (a C0 control other than tab) and invalid_encoding (a lone surrogate) in any field, ids too. */
export function textReasons(fields: readonly string[]): ReasonCode[] {
  let control = false;
  let encoding = false;
  for (let i = 0; i < fields.length; i++) {
    if (!SUSPECT.test(fields[i])) continue; // one search per field on the hot path
    control ||= hasControlCharacter(fields[i]);
    encoding ||= !isWellFormed(fields[i]);
  }
  if (!control && !encoding) return [];
  return control && encoding ? ['invalid_character', 'invalid_encoding'] : [control ? 'invalid_character' : 'invalid_encoding'];
}

function idField(value: string, column: string, invalid: ReasonCode, reasons: ReasonCode[]): number | null {
  if (value === '') {
    reasons.push(`missing_${column}`);
    return null;
  }
  const id = parseId(value);
  if (id === null) reasons.push(invalid);
  return id;
}

function textField(value: string, column: string, reasons: ReasonCode[]): string | null {
  if (value === '') {
    reasons.push(`missing_${column}`);
    return null;
  }
  if (value.length > MAX_NAME_LENGTH) {
    reasons.push(`too_long_${column}`);
    return null;
  }
  return value;
}

const REASON_TEXT: Record<string, string> = {
  field_count: 'has the wrong number of fields',
  invalid_id: 'id is not an integer in 1..2147483647',
  invalid_department_id: 'department_id is not an integer in 1..2147483647',
  invalid_job_id: 'job_id is not an integer in 1..2147483647',
  invalid_datetime: 'datetime is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]) on the calendar',
  unknown_department: 'department_id is not in departments',
  unknown_job: 'job_id is not in jobs',
  duplicate_id: 'id appeared earlier in the same load',
  invalid_character: 'a field holds a control character (U+0000 to U+001F other than tab, line breaks inside quotes too)',
  invalid_encoding: "a field holds bytes that are not valid in the input's encoding, or a lone UTF-16 surrogate",
  record_too_long: 'the record is longer than MAX_RECORD_BYTES; the rest of its line was skipped',
  unterminated_quote: 'a quote opened on this line is never closed (before MAX_RECORD_BYTES or the end of the input); reading went on at the next line',
};

/** One sentence naming the record, each field and each rule broken, e.g. for an API error or a log. */
export function describeReject(table: TableName, where: string, reasons: readonly ReasonCode[]): string {
  const expected = COLUMNS[table].length;
  const parts = reasons.map((r) => {
    if (r === 'field_count') return `has the wrong number of fields (expected ${expected}: ${COLUMNS[table].join(',')})`;
    if (r.startsWith('missing_')) return `${r.slice(8)} is empty`;
    if (r.startsWith('too_long_')) return `${r.slice(9)} is longer than ${MAX_NAME_LENGTH} characters`;
    return REASON_TEXT[r] ?? r;
  });
  return `${where}: ${parts.join('; ')} [${reasons.join(', ')}]`;
}
