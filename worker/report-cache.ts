import { LRUCache } from 'lru-cache';
import type { Database } from '../shared/ports/database.port.ts';
import type { ReportName } from '../shared/domain/reports.ts';
import { runReport, type ReportRows } from '../shared/service/run-report.ts';

export interface CachedReport {
  rows: ReportRows;
  etag: string;
  /** The rendered bodies, made on first use: a warm request only sends bytes. */
  body: { json?: string; csv?: string };
}

/** A report as answered: `fromCache` tells whether it was computed for an earlier request. */
export type ReportAnswer = CachedReport & { fromCache: boolean };

/**
 * Reports cached by (report, year, data version): any committed insert, by this process or another,
 * bumps the data version (hires once they are folded, which comes first here), so a cached answer is
 * never stale and needs no explicit invalidation.
 */
export function createReportCache(db: Database, max = 256) {
  const cache = new LRUCache<string, CachedReport>({ max });
  return async function getReport(name: ReportName, year: number): Promise<ReportAnswer> {
    await db.reports.foldPending();
    const version = await db.dataVersion();
    const key = `${name}:${year}:${version}`;
    const hit = cache.get(key);
    if (hit) return { ...hit, fromCache: true };
    const rows = await runReport(db.reports, name, year);
    const report: CachedReport = { rows, etag: `"${name}-${year}-v${version}"`, body: {} };
    cache.set(key, report);
    return { ...report, fromCache: false };
  };
}
