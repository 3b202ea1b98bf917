/** Readable tables of one size's results, and the targets they meet or miss. */
import type { PathResult } from './results.ts';

const fmtInt = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const fmt = (n: number | null | undefined, digits = 2) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = headers.map((_, i) => i > 1);
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const LOAD_PATHS = ['sqlite', 'sqlite3_import', 'postgres', 'psql_copy', 'pgloader'];

export function formatResults(rows: number, runs: number, results: Record<string, PathResult>): string {
  const out: string[] = [`HireDB benchmark: ${rows.toLocaleString('en-US')} rows, ${runs} run(s), medians`];
  const loads = LOAD_PATHS.filter((p) => results[p]);
  if (loads.length) {
    out.push(
      '',
      'Loads (rows/s counts the rows of the file each tool was given; ratio = HireDB rows/s ÷ reference rows/s)',
      table(
        ['path', 'tool', 'rows', 'seconds', 'rows/s', 'ratio', 'peak RSS MB'],
        loads.map((p) => {
          const r = results[p];
          const note = p === 'pgloader' && r.timed_out ? ` (stopped at ${r.time_limit_s} s limit)` : '';
          return [p, String(r.tool ?? '') + note, fmtInt(r.rows), fmt(r.seconds), fmtInt(r.rows_per_s), r.ratio === null ? '' : `${fmt(r.ratio)}× ${r.reference}`, fmt(r.peak_rss_mb, 0)];
        }),
      ),
    );
    const fixed = ['sqlite', 'postgres'].filter((p) => typeof results[p]?.startup_s === 'number');
    if (fixed.length) {
      out.push(`HireDB fixed cost per process (the departments + jobs load, 195 rows): ${fixed.map((p) => `${p} ${fmt(results[p].startup_s as number)} s`).join(', ')}`);
    }
    if (results.postgres && results.pgloader) {
      out.push(`HireDB PostgreSQL vs pgloader: ${fmt(results.postgres.rows_per_s / results.pgloader.rows_per_s, 1)}× the rows/s`);
    }
  }
  const batches = Object.keys(results).filter((k) => k.startsWith('batch_'));
  if (batches.length) {
    out.push(
      '',
      'Batch endpoint (1000 rows per POST; batch_ = SQLite, batch_pg_ = PostgreSQL; overlap: each request shares half its ids with the one before)',
      table(
        ['path', 'concurrency', 'rows/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'seconds', 'server peak RSS MB'],
        batches.map((k) => {
          const r = results[k];
          return [
            k,
            String(r.concurrency),
            fmtInt(r.rows_per_s),
            fmt(r.p50_ms as number, 0),
            fmt(r.p99_ms as number, 0),
            fmtInt(r.requests as number),
            fmtInt((r.non_2xx as number | undefined) ?? 0),
            fmt(r.seconds, 1),
            fmt(r.peak_rss_mb, 0),
          ];
        }),
      ),
    );
  }
  const reports = Object.keys(results).filter((k) => k.startsWith('report_'));
  if (reports.length) {
    out.push(
      '',
      'Reports (year 2021; cold = first request after a data change; direct = the direct query over hired_employees in',
      'the database shell; worst year = slowest cold median of 2020, 2021, 2022; after load = the first request once loaded)',
      table(
        ['path', 'table rows', 'cold ms', 'worst year ms', 'direct ms', 'cold/direct', 'warm p50 ms', 'warm p99 ms', 'after load ms', 'answer rows'],
        reports.map((k) => {
          const r = results[k];
          return [
            k,
            fmtInt(r.rows),
            fmt(r.cold_ms as number),
            fmt(r.cold_max_year_ms as number),
            fmt(r.direct_ms as number),
            fmt(r.cold_over_direct as number),
            fmt(r.warm_p50_ms as number, 3),
            fmt(r.warm_p99_ms as number, 3),
            fmt(r.first_after_load_ms as number),
            fmtInt(r.report_rows as number),
          ];
        }),
      ),
    );
  }
  return out.join('\n');
}

export interface Target {
  target: string;
  status: 'holds' | 'misses' | 'n/a';
  detail: string;
}

/** The targets this size's results can speak to. */
export function evaluateTargets(rows: number, results: Record<string, PathResult>): Target[] {
  const t: Target[] = [];
  const check = (target: string, ok: boolean, detail: string) => t.push({ target, status: ok ? 'holds' : 'misses', detail });
  const s = results.sqlite;
  const goal = (ratio: number, of: number) => (ratio >= of ? `, goal ${fmt(of)}× met` : `, goal ${fmt(of)}× not yet`);
  if (s?.ratio !== null && s?.ratio !== undefined) check('SQLite load ≥ 0.6× sqlite3 .import', s.ratio >= 0.6, `${fmt(s.ratio)}×${goal(s.ratio, 1)}`);
  const p = results.postgres;
  if (p?.ratio !== null && p?.ratio !== undefined) {
    check('PostgreSQL load ≥ 0.5× psql \\copy (PK-only)', p.ratio >= 0.5, `${fmt(p.ratio)}×${goal(p.ratio, 0.8)}`);
  }
  if (p && results.pgloader) {
    const x = p.rows_per_s / results.pgloader.rows_per_s;
    check('PostgreSQL load far ahead of pgloader on dirty data (no number in the issue; taken here as ≥ 5×)', x >= 5, `${fmt(x, 1)}×`);
  }
  const rss = ['sqlite', 'postgres'].map((k) => results[k]?.peak_rss_mb).filter((x): x is number => typeof x === 'number');
  if (rss.length) {
    const peak = Math.max(...rss);
    if (rows >= 10_000_000) check('Peak RSS < 250 MB loading 1e7 rows', peak < 250, `${fmt(peak, 0)} MB`);
    else t.push({ target: 'Peak RSS < 250 MB loading 1e7 rows', status: 'n/a', detail: `set at 1e7 rows; ${fmt(peak, 0)} MB at this size` });
  }
  const b = results.batch_c8;
  if (b) {
    check('Batch (SQLite) ≥ 50,000 rows/s at concurrency 8', b.rows_per_s >= 50_000, `${fmtInt(b.rows_per_s)} rows/s`);
    check('Batch (SQLite) p99 < 100 ms at concurrency 8', (b.p99_ms as number) < 100, `${fmt(b.p99_ms as number, 0)} ms`);
  }
  const bp = results.batch_pg_c8;
  if (bp) {
    check('Batch (PostgreSQL) ≥ 100,000 rows/s at concurrency 8', bp.rows_per_s >= 100_000, `${fmtInt(bp.rows_per_s)} rows/s`);
    check('Batch (PostgreSQL) p99 < 100 ms at concurrency 8', (bp.p99_ms as number) < 100, `${fmt(bp.p99_ms as number, 0)} ms`);
  }
  for (const k of ['batch_overlap', 'batch_pg_overlap']) {
    const o = results[k];
    if (o) check(`${k}: no error with overlapping ids at concurrency 8`, o.non_2xx === 0, `${fmtInt(o.non_2xx as number)} non-2xx of ${fmtInt((o.requests as number) + (o.non_2xx as number))}`);
  }
  for (const k of Object.keys(results).filter((x) => x.startsWith('report_'))) {
    const r = results[k];
    check(`${k}: warm p50 < 2 ms`, (r.warm_p50_ms as number) < 2, `${fmt(r.warm_p50_ms as number, 3)} ms`);
    const worst = r.cold_max_year_ms as number | undefined;
    if (worst !== undefined) {
      const label = `${k}: cold < 50 ms, every year`;
      if (rows >= 10_000_000) check(label, worst < 50, `${fmt(worst)} ms`);
      else t.push({ target: label, status: worst < 50 ? 'holds' : 'misses', detail: `${fmt(worst)} ms (the issue sets it at 1e7 rows)` });
    }
    const cold = r.cold_over_direct as number | null;
    const label = `${k}: cold ≤ 1.2× direct`;
    if (cold === null) t.push({ target: label, status: 'n/a', detail: 'no direct query time' });
    else if (rows >= 10_000_000) check(label, cold <= 1.2, `${fmt(cold)}×`);
    else t.push({ target: label, status: cold <= 1.2 ? 'holds' : 'misses', detail: `${fmt(cold)}× (the issue sets it at 1e7 rows)` });
  }
  return t;
}

export function formatTargets(targets: Target[]): string {
  if (!targets.length) return '';
  return ['Targets', ...targets.map((x) => `  [${x.status === 'holds' ? 'holds ' : x.status === 'misses' ? 'MISSES' : 'n/a   '}] ${x.target}: ${x.detail}`)].join('\n');
}
