import {
  sortHiredByQuarter,
  sortHiringAboveAverage,
  type HiredByQuarterRow,
  type HiringAboveAverageRow,
  type ReportName,
} from '../domain/reports.ts';
import type { ReportQueries } from '../ports/database.port.ts';

export type ReportRows = HiredByQuarterRow[] | HiringAboveAverageRow[];

/** Every report: its query and its one ordering, shared by the HTTP cache and the CLI. */
const REPORT_REGISTRY: Record<ReportName, (queries: ReportQueries, year: number) => Promise<ReportRows>> = {
  'hired-by-quarter': async (q, year) => sortHiredByQuarter(await q.hiredByQuarter(year)),
  'hiring-above-average': async (q, year) => sortHiringAboveAverage(await q.hiringAboveAverage(year)),
};

/** A report's rows for `year`, in the order every database shares. */
export function runReport(queries: ReportQueries, name: ReportName, year: number): Promise<ReportRows> {
  return REPORT_REGISTRY[name](queries, year);
}
