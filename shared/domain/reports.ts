import { csvLine, type CsvExportOptions } from '../csv/csv-format.ts';

/** The hiring reports BI tools read: row shapes, parameters and the one ordering every database shares. */
export const REPORTS = ['hired-by-quarter', 'hiring-above-average'] as const;
export type ReportName = (typeof REPORTS)[number];

export interface HiredByQuarterRow {
  department: string;
  job: string;
  Q1: number;
  Q2: number;
  Q3: number;
  Q4: number;
}

export interface HiringAboveAverageRow {
  id: number;
  department: string;
  hired: number;
}

export const DEFAULT_REPORT_YEAR = 2021;

export function isReportName(value: string): value is ReportName {
  return (REPORTS as readonly string[]).includes(value);
}

/** Parses the `year` parameter: absent means 2021; otherwise a whole number in 1..9999. */
export function parseReportYear(value: string | undefined | null): number {
  if (value === undefined || value === null || value === '') return DEFAULT_REPORT_YEAR;
  if (!/^\d{1,4}$/.test(value.trim()) || Number(value) < 1) {
    throw new RangeError(`year must be a whole number between 1 and 9999, got "${value}"`);
  }
  return Number(value);
}

/** UTC day bounds of a year as `YYYY-MM-DD` strings: [start, end). */
export function yearBounds(year: number): [string, string] {
  const pad = (y: number) => String(y).padStart(4, '0');
  return [`${pad(year)}-01-01`, year >= 9999 ? '9999-12-32' : `${pad(year + 1)}-01-01`];
}

/** Case-insensitive first, then exact text, so every database yields the same order. */
export function compareText(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

export function sortHiredByQuarter(rows: HiredByQuarterRow[]): HiredByQuarterRow[] {
  return rows.sort((a, b) => compareText(a.department, b.department) || compareText(a.job, b.job));
}

export function sortHiringAboveAverage(rows: HiringAboveAverageRow[]): HiringAboveAverageRow[] {
  return rows.sort((a, b) => b.hired - a.hired || a.id - b.id);
}

/** Report rows as CSV with a header line; formula cells neutralised unless `raw`. */
export function reportToCsv(
  rows: HiredByQuarterRow[] | HiringAboveAverageRow[],
  columns: readonly string[],
  opts: CsvExportOptions = {},
): string {
  const lines = [csvLine(columns, opts)];
  for (const row of rows as unknown as Record<string, unknown>[]) lines.push(csvLine(columns.map((c) => row[c]), opts));
  return lines.join('\n') + '\n';
}

export const REPORT_COLUMNS: Record<ReportName, readonly string[]> = {
  'hired-by-quarter': ['department', 'job', 'Q1', 'Q2', 'Q3', 'Q4'],
  'hiring-above-average': ['id', 'department', 'hired'],
};
