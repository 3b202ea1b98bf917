import { normalizeDateTime } from './datetime.ts';
import { hasControlCharacter, isWellFormed } from './raw-text.ts';
import type { ReasonCode } from './reasons.ts';
import {
  COLUMNS,
  MAX_ID,
  TABLE_COLUMNS,
  TABLES,
  perTable,
  type ColumnKind,
  type ColumnSpec,
  type DimensionTable,
  type RowOf,
  type TableName,
} from './tables.ts';

export { MAX_ID, MAX_NAME_LENGTH } from './tables.ts';

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

/** How checkRecord reads one column's field, and the reasons it reports for it. */
interface FieldRule {
  kind: ColumnKind;
  missing: ReasonCode;
  /** too_long_<column> for text, invalid_<column> for the other kinds. */
  broken: ReasonCode;
  /** Text only (0 for the other kinds, so every rule has the same shape). */
  maxLength: number;
}

interface TableRules {
  fieldRules: readonly FieldRule[];
  names: readonly string[];
  Row: new () => Record<string, unknown>;
}

const fieldRule = (c: ColumnSpec): FieldRule => ({
  kind: c.kind,
  missing: `missing_${c.name}`,
  broken: (c.kind === 'text' ? `too_long_${c.name}` : `invalid_${c.name}`) as ReasonCode,
  maxLength: c.kind === 'text' ? c.maxLength : 0,
});

/**
 * Makes plain objects (their prototype is Object.prototype) for the rows of one table. V8 sizes the
 * objects of a constructor to the properties they end up with, so every field of a row sits in the object
 * itself, as in an object literal; an object begun as `{}` has room for four, and a fifth costs a separate
 * allocation.
 */
function plainObjects(): new () => Record<string, unknown> {
  function Row() {}
  Row.prototype = Object.prototype;
  return Row as unknown as new () => Record<string, unknown>;
}

const RULES: Record<TableName, TableRules> = perTable((t) => ({
  fieldRules: TABLE_COLUMNS[t].map(fieldRule),
  names: COLUMNS[t],
  Row: plainObjects(),
}));

/**
 * A row from its values in column order. One store per position rather than a loop: each store then sees
 * one column name for a whole load (a parse thread loads one table) and stays a fast monomorphic store,
 * where one store in a loop sees every name (measured about 5 times slower per row).
 */
function rowOf(rules: TableRules, values: readonly unknown[]): Record<string, unknown> {
  const row = new rules.Row();
  const names = rules.names;
  const n = names.length;
  row[names[0]] = values[0];
  if (n > 1) row[names[1]] = values[1];
  if (n > 2) row[names[2]] = values[2];
  if (n > 3) row[names[3]] = values[3];
  if (n > 4) row[names[4]] = values[4];
  if (n > 5) row[names[5]] = values[5];
  for (let i = 6; i < n; i++) row[names[i]] = values[i];
  return row;
}

/**
 * Applies the rules that need nothing but the record itself (field count, text that cannot be stored,
 * empty fields, ids, name lengths, datetimes); every reason found is reported, in column order. Fields
 * are trimmed here.
 */
export function checkRecord<T extends TableName>(
  table: T,
  rawFields: readonly string[],
  /** The text every field was read from (a CSV record): searched once instead of field by field. */
  source?: string,
): RecordCheck<T> {
  const rules = RULES[table];
  const fieldRules = rules.fieldRules;
  const text = source !== undefined && !SUSPECT.test(source) ? NONE : textReasons(rawFields);
  if (rawFields.length !== fieldRules.length) return { row: null, reasons: ['field_count', ...text] };
  const values: (number | string)[] = new Array(fieldRules.length);
  let reasons: ReasonCode[] | null = null; // made for the first one: most records have none
  for (let i = 0; i < fieldRules.length; i++) {
    // an index loop, no callbacks: this runs once per record
    const rule = fieldRules[i];
    const value = rawFields[i].trim();
    if (value === '') (reasons ??= []).push(rule.missing);
    else if (rule.kind === 'text') {
      if (value.length > rule.maxLength) (reasons ??= []).push(rule.broken);
      else values[i] = value;
    } else {
      const parsed = rule.kind === 'datetime' ? normalizeDateTime(value) : parseId(value);
      if (parsed === null) (reasons ??= []).push(rule.broken);
      else values[i] = parsed;
    }
  }
  if (reasons === null && text.length === 0) return { row: rowOf(rules, values) as unknown as RowOf[T], reasons: null };
  return { row: null, reasons: reasons === null ? [...text] : [...reasons, ...text] };
}

/** A `ref` column: the table its ids must be in, and the reason a record is rejected for when one is not. */
export interface Reference {
  column: string;
  table: DimensionTable;
  /** unknown_<column without its _id suffix>: unknown_department for department_id. */
  unknown: ReasonCode;
}

/** The `ref` columns of each table, in column order. */
export const REFERENCES: Record<TableName, readonly Reference[]> = perTable((t) =>
  TABLE_COLUMNS[t].flatMap((c: ColumnSpec) =>
    c.kind === 'ref' ? [{ column: c.name, table: c.references, unknown: `unknown_${c.name.replace(/_id$/, '')}` as ReasonCode }] : [],
  ),
);

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

const DATETIME_FORM = 'YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]';

const REASON_TEXT: Record<string, string> = {
  field_count: 'has the wrong number of fields',
  duplicate_id: 'id appeared earlier in the same load',
  invalid_character: 'a field holds a control character (U+0000 to U+001F other than tab, line breaks inside quotes too)',
  invalid_encoding: "a field holds bytes that are not valid in the input's encoding, or a lone UTF-16 surrogate",
  record_too_long: 'the record is longer than MAX_RECORD_BYTES; the rest of its line was skipped',
  unterminated_quote: 'a quote opened on this line is never closed (before MAX_RECORD_BYTES or the end of the input); reading went on at the next line',
};

/** The rule each column's reasons (other than missing_<column>) stand for, from every table's columns. */
const COLUMN_REASON_TEXT = new Map<string, string>();
for (const t of TABLES) {
  for (const c of TABLE_COLUMNS[t] as readonly ColumnSpec[]) {
    const rule = fieldRule(c);
    if (c.kind === 'text') COLUMN_REASON_TEXT.set(rule.broken, `${c.name} is longer than ${c.maxLength} characters`);
    else if (c.kind === 'datetime') COLUMN_REASON_TEXT.set(rule.broken, `${c.name} is not an ISO 8601 date-time (${DATETIME_FORM}) on the calendar`);
    else COLUMN_REASON_TEXT.set(rule.broken, `${c.name} is not an integer in 1..${MAX_ID}`);
  }
  for (const r of REFERENCES[t]) COLUMN_REASON_TEXT.set(r.unknown, `${r.column} is not in ${r.table}`);
}

/** One sentence naming the record, each field and each rule broken, e.g. for an API error or a log. */
export function describeReject(table: TableName, where: string, reasons: readonly ReasonCode[]): string {
  const expected = COLUMNS[table].length;
  const parts = reasons.map((r) => {
    if (r === 'field_count') return `has the wrong number of fields (expected ${expected}: ${COLUMNS[table].join(',')})`;
    if (r.startsWith('missing_')) return `${r.slice(8)} is empty`;
    return COLUMN_REASON_TEXT.get(r) ?? REASON_TEXT[r] ?? r;
  });
  return `${where}: ${parts.join('; ')} [${reasons.join(', ')}]`;
}
