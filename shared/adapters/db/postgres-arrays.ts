/**
 * Columns as PostgreSQL array literals, the parameters of INSERT_NEW's unnest: one string per column,
 * built in one pass instead of by pg's per-element conversion.
 */
import type { RowColumns } from '../../domain/row-columns.ts';
import { refuseUnstorableText } from '../../domain/copy-text.ts';

const NEEDS_ESCAPE = /["\\]/;

/** `{1,2,3}` for integers; `{"a","b \"c\""}` for text (every element quoted, `"` and `\` escaped). */
export function arrayLiteral(column: RowColumns[string], count: number): string {
  if (column instanceof Int32Array) return `{${column.subarray(0, count).join(',')}}`;
  let literal = '{';
  for (let i = 0; i < count; i++) {
    const value = column[i];
    refuseUnstorableText(value);
    literal += `${i === 0 ? '"' : ',"'}${NEEDS_ESCAPE.test(value) ? value.replace(/["\\]/g, '\\$&') : value}"`;
  }
  return `${literal}}`;
}
