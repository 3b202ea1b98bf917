/**
 * Parameter values for the SQL Server adapter's statements: DATETIME2 instants, the year bounds of the
 * reports, paging, dedupe keys that fit their column, and the ids and years SQL Server can hold.
 */
import { createHash } from 'node:crypto';
import { taskDedupeKey } from './migrations.ts';
import { bigint, datetime2, type SqlParams } from './mssql-executor.ts';

const DEDUPE_KEY_MAX = 450;

/** taskDedupeKey, shortened to fit NVARCHAR(450) when a long file name makes it longer (a hash keeps it unique). */
export function mssqlDedupeKey(t: Parameters<typeof taskDedupeKey>[0]): string {
  const key = taskDedupeKey(t);
  if (key.length <= DEDUPE_KEY_MAX) return key;
  const digest = createHash('sha256').update(key).digest('hex');
  return `${key.slice(0, DEDUPE_KEY_MAX - digest.length - 8)}\u001fsha256:${digest}`;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?Z$/;

/**
 * `YYYY-MM-DDTHH:MM:SS[.fffffff]Z` as the Date tedious sends for DATETIME2: milliseconds in the Date,
 * the digits past them in `nanosecondDelta` (seconds), so microseconds survive.
 */
export function toDateTime2(iso: string): Date & { nanosecondDelta?: number } {
  const m = ISO_UTC.exec(iso);
  if (!m) throw new RangeError(`not a UTC ISO 8601 date-time: ${iso}`);
  const year = Number(m[1]);
  if (year < 1) throw new RangeError(`${iso}: SQL Server DATETIME2 holds years 0001 to 9999`);
  const fraction = (m[7] ?? '').padEnd(7, '0');
  const date: Date & { nanosecondDelta?: number } = new Date(0);
  date.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  date.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), Number(fraction.slice(0, 3)));
  const rest = Number(fraction.slice(3)); // hundreds of nanoseconds
  if (rest > 0) date.nanosecondDelta = rest / 1e7;
  return date;
}

/**
 * The first and the last instant of a UTC year as DATETIME2(7) parameters: an inclusive range, because
 * the year after 9999 has no DATETIME2 to end before; no stored value lies past the last tick.
 */
export function yearRange(year: number): SqlParams {
  const y = String(year).padStart(4, '0');
  return {
    year_start: datetime2(toDateTime2(`${y}-01-01T00:00:00Z`)),
    year_end: datetime2(toDateTime2(`${y}-12-31T23:59:59.9999999Z`)),
  };
}
/** Years DATETIME2 can hold; no hire can be stored in any other. */
export const isStorableYear = (year: number) => Number.isInteger(year) && year >= 1 && year <= 9999;

/** Ids SQL Server INT can hold: any other is no task, without a round trip. */
export const isTaskId = (id: number) => Number.isInteger(id) && id >= 1 && id <= 2_147_483_647;
/** OFFSET must be >= 0 and FETCH NEXT >= 1 on SQL Server; a negative limit means no limit, as in SQLite. */
export const page = (limit: number, offset: number) => ({
  offset: bigint(Math.max(0, Math.trunc(offset) || 0)),
  limit: bigint(limit < 0 ? Number.MAX_SAFE_INTEGER : Math.trunc(limit)),
});
