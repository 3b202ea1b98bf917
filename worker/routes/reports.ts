import type { Context } from 'hono';
import { isReportName, parseReportYear, REPORT_COLUMNS, reportToCsv } from '../../shared/domain/reports.ts';
import type { AppDeps } from '../deps.ts';
import { HireDbError } from '../../shared/domain/errors.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';
import { rawParam } from '../http-error.ts';

/** Answers one report as JSON (or CSV with ?format=csv), with an ETag and 304 on If-None-Match. */
export async function answerReport(c: Context, deps: AppDeps, name: string) {
  if (!isReportName(name)) throw new HireDbError('NOT_FOUND', `no report ${quoteInput(name)}: use hired-by-quarter or hiring-above-average`);
  let year: number;
  try {
    year = parseReportYear(c.req.query('year'));
  } catch (e) {
    throw new HireDbError('BAD_PARAMETER', (e as Error).message);
  }
  const format = c.req.query('format') ?? ((c.req.header('accept') ?? '').includes('text/csv') ? 'csv' : 'json');
  if (format !== 'json' && format !== 'csv') throw new HireDbError('BAD_PARAMETER', `format must be json or csv, got ${quoteInput(format)}`);
  const raw = rawParam(c.req.query('raw'));
  const report = await deps.getReport(name, year);
  const etag = format === 'csv' ? report.etag.replace(/"$/, raw ? '-csv-raw"' : '-csv"') : report.etag;
  c.header('etag', etag);
  c.header('cache-control', 'no-cache');
  c.header('vary', 'Accept');
  c.header('x-report-cache', report.fromCache ? 'hit' : 'miss');
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return c.body(null, 304);
  if (format === 'csv') {
    // The neutralised CSV is what BI tools fetch again and again, so it is the one kept with the report.
    const csv = raw ? reportToCsv(report.rows, REPORT_COLUMNS[name], { raw }) : (report.body.csv ??= reportToCsv(report.rows, REPORT_COLUMNS[name]));
    return c.body(csv, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}-${year}.csv"`,
    });
  }
  report.body.json ??= JSON.stringify(report.rows);
  return c.body(report.body.json, 200, { 'content-type': 'application/json' });
}
