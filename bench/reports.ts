/**
 * The two reports with the data set loaded (SQLite, and PostgreSQL when selected and reachable):
 * - cold: the first request after a data change (one new row is posted to the batch endpoint before
 *   each cold sample, which bumps the data version and so misses the report cache), for 2020, 2021 and
 *   2022, each sample with a row of its year;
 * - first after the load: the very first request once the data set is loaded (it folds every loaded
 *   row into the rollup), once per report;
 * - warm: the cached answer, sequential requests on a kept-alive connection, p50 and p99;
 * - direct: the SQL the adapter runs (read from its source, the year bounds substituted), in the
 *   sqlite3 shell (`.timer on`) or psql (`\timing on`), interleaved with the cold samples.
 * JSON: seconds = cold median, ratio = direct ÷ cold (a speed ratio like the load paths'; the table
 * prints cold ÷ direct, the issue's form).
 */
import { Agent, request } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yearBounds } from '../shared/domain/reports.ts';
import type { DataSet } from './generate.ts';
import { REPO_DIR } from './generate.ts';
import { loadDataSet, startServer, workDir, type Server } from './hiredb.ts';
import { median, percentile, run } from './measure.ts';
import { freshSchema, hiredbPgUrl, psqlEnv } from './pg.ts';
import { round, type Log, type PathResult } from './results.ts';
import { ensureCommand } from './tools.ts';
import { waitForQuiet } from './quiet.ts';

export const REPORTS = [
  { name: 'hired-by-quarter', constant: 'HIRED_BY_QUARTER' },
  { name: 'hiring-above-average', constant: 'HIRING_ABOVE_AVERAGE' },
] as const;
export type Dialect = 'sqlite' | 'postgres';
const YEAR = 2021;
/** Years whose first request after an insert is measured (the data set spans 2020-2022); direct for YEAR only. */
const COLD_YEARS = [2020, 2021, 2022];

/**
 * The report SQL HireDB runs, with literal year bounds, as one shell statement: the constant is read
 * from the adapter's source files (shared/adapters/db/<dialect>.*.ts), so it follows the code.
 */
export function directSql(dialect: Dialect, constant: string): string {
  const dir = join(REPO_DIR, 'shared', 'adapters', 'db');
  const files = readdirSync(dir).filter((f) => f.startsWith(`${dialect}.`) && f.endsWith('.ts'));
  const pattern = new RegExp(`(?:export\\s+)?const ${constant}\\s*=\\s*\`([^\`]*)\``);
  let found: string | null = null;
  for (const f of files) {
    const m = pattern.exec(readFileSync(join(dir, f), 'utf8'));
    if (m) {
      found = m[1];
      break;
    }
  }
  if (found === null) throw new Error(`cannot find ${constant} in shared/adapters/db/${dialect}.*.ts`);
  if (found.includes('${')) throw new Error(`${constant} is built with interpolation: cannot run it as written`);
  let sql = found.trim();
  if (dialect === 'sqlite') {
    const [from, to] = yearBounds(YEAR);
    let i = 0;
    sql = sql.replace(/\?/g, () => `'${i++ % 2 === 0 ? from : to}'`);
  } else {
    sql = sql.replace(/\$1\b/g, String(YEAR));
  }
  return sql.replace(/;?\s*$/, ';');
}

/** Runs the statement in the database's own shell; returns the time the shell reports, in seconds. */
async function timeDirect(dialect: Dialect, target: string, sql: string): Promise<number> {
  if (dialect === 'sqlite') {
    const out = await run('sqlite3', [target], { input: `.timer on\n.output /dev/null\n${sql}\n` });
    const m = /Run Time: real ([\d.]+)/.exec(out);
    if (!m) throw new Error(`sqlite3 printed no timing: ${out.slice(0, 300)}`);
    return Number(m[1]);
  }
  const out = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], { env: psqlEnv(target), input: `\\timing on\n\\o /dev/null\n${sql}\n` });
  const m = /Time: ([\d.]+) ms/.exec(out);
  if (!m) throw new Error(`psql printed no timing: ${out.slice(0, 300)}`);
  return Number(m[1]) / 1000;
}

/** One HTTP exchange on a kept-alive connection, timed from request to the last byte of the body. */
function timedHttp(agent: Agent, url: string, method = 'GET', body?: string): Promise<{ ms: number; status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface ReportOptions {
  coldSamples: number;
  warmRequests: number;
}

async function benchOn(dialect: Dialect, data: DataSet, opts: ReportOptions, log: Log, problems: string[]) {
  const results: Record<string, PathResult> = {};
  const work = await workDir(`reports-${dialect}`);
  let server: Server | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let dropSchema: (() => Promise<void>) | undefined;
  try {
    let dbUrl: string;
    let target: string; // the sqlite file, or the PostgreSQL schema
    if (dialect === 'sqlite') {
      target = join(work.dir, 'hiredb.sqlite');
      dbUrl = `sqlite:${target}`;
    } else {
      const s = await freshSchema('reports');
      target = s.schema;
      dropSchema = s.drop;
      dbUrl = hiredbPgUrl(s.schema);
    }
    log(`reports (${dialect}): loading ${data.rows.toLocaleString('en-US')} rows…`);
    const load = await loadDataSet(dbUrl, data, work.dir);
    await waitForQuiet(log);
    problems.push(...load.problems.map((p) => `reports ${dialect} load: ${p}`));
    server = await startServer(dbUrl, work.dir);

    const cold = new Map<string, number[]>(REPORTS.map((r) => [r.name, []]));
    const direct = new Map<string, number[]>(REPORTS.map((r) => [r.name, []]));
    const answerRows = new Map<string, number>();
    const sql = new Map<string, string | null>();
    for (const r of REPORTS) {
      try {
        sql.set(r.name, directSql(dialect, r.constant));
      } catch (e) {
        sql.set(r.name, null);
        problems.push(`reports ${dialect} ${r.name}: no direct query (${(e as Error).message})`);
      }
    }
    for (const r of REPORTS) {
      const text = sql.get(r.name);
      if (text) await timeDirect(dialect, target, text); // warms the shell's page cache too
    }

    let nextId = data.rows + 1;
    /** Posts one new hire dated in `year`: it bumps the data version, so the next report request is cold. */
    const insertOne = async (year: number) => {
      const bump = await timedHttp(
        agent,
        `${server!.url}/api/v1/hired-employees/batch`,
        'POST',
        JSON.stringify([{ id: nextId++, name: 'Cold Sample', datetime: `${year}-06-15T12:00:00Z`, department_id: 1, job_id: 1 }]),
      );
      if (bump.status !== 200 || (JSON.parse(bump.text) as { inserted: number }).inserted !== 1) {
        throw new Error(`posting one row to change the data failed: ${bump.status} ${bump.text.slice(0, 300)}`);
      }
    };
    const getReport = async (name: string, year: number) => {
      const res = await timedHttp(agent, `${server!.url}/api/v1/reports/${name}?year=${year}`);
      if (res.status !== 200) throw new Error(`GET ${name}: ${res.status} ${res.text.slice(0, 300)}`);
      return res;
    };
    // The very first request after the load reads (folds) every row the load wrote: measured once, apart.
    const afterLoad = new Map<string, number>();
    for (const r of REPORTS) afterLoad.set(r.name, (await getReport(r.name, YEAR)).ms);
    const coldByYear = new Map<string, number[]>(REPORTS.flatMap((r) => COLD_YEARS.map((y) => [`${r.name}:${y}`, []] as [string, number[]])));
    for (let i = 0; i < opts.coldSamples; i++) {
      for (const year of COLD_YEARS) {
        for (const r of REPORTS) {
          await insertOne(year);
          const res = await getReport(r.name, year);
          coldByYear.get(`${r.name}:${year}`)!.push(res.ms / 1000);
          if (year !== YEAR) continue;
          answerRows.set(r.name, (JSON.parse(res.text) as unknown[]).length);
          cold.get(r.name)!.push(res.ms / 1000);
          const text = sql.get(r.name);
          if (text) direct.get(r.name)!.push(await timeDirect(dialect, target, text));
        }
      }
    }
    for (const r of REPORTS) {
      const warm: number[] = [];
      for (let i = 0; i < opts.warmRequests; i++) {
        warm.push((await getReport(r.name, YEAR)).ms);
      }
      const coldS = median(cold.get(r.name)!);
      const directS = direct.get(r.name)!.length ? median(direct.get(r.name)!) : NaN;
      const known = (x: number) => (Number.isFinite(x) ? x : null);
      const tableRows = data.cleanRows + opts.coldSamples * COLD_YEARS.length * REPORTS.length;
      const coldYears = Object.fromEntries(COLD_YEARS.map((y) => [y, round(median(coldByYear.get(`${r.name}:${y}`)!) * 1000, 2)]));
      const key = `report_${dialect}_${r.name.replaceAll('-', '_')}`;
      results[key] = {
        rows: tableRows,
        seconds: round(coldS, 4),
        rows_per_s: Math.round(tableRows / coldS),
        ratio: known(round(directS / coldS, 3)),
        peak_rss_mb: server.peakRssMb() === null ? null : round(server.peakRssMb()!, 1),
        reference: `${dialect === 'sqlite' ? 'sqlite3' : 'psql'} direct query`,
        tool: `GET /api/v1/reports/${r.name}?year=${YEAR} (${dialect})`,
        cold_ms: round(coldS * 1000, 2),
        cold_ms_by_year: coldYears,
        cold_max_year_ms: Math.max(...Object.values(coldYears)),
        first_after_load_ms: round(afterLoad.get(r.name)!, 2),
        direct_ms: known(round(directS * 1000, 2)),
        cold_over_direct: known(round(coldS / directS, 3)),
        warm_p50_ms: round(median(warm), 3),
        warm_p99_ms: round(percentile(warm, 99), 3),
        report_rows: answerRows.get(r.name) ?? null,
        cold_samples_ms: cold.get(r.name)!.map((s) => round(s * 1000, 2)),
        direct_samples_ms: direct.get(r.name)!.map((s) => round(s * 1000, 2)),
      };
      const x = results[key];
      log(
        `reports (${dialect}) ${r.name}: cold ${x.cold_ms} ms (by year ${JSON.stringify(coldYears)}), direct ${x.direct_ms} ms, ` +
          `warm p50 ${x.warm_p50_ms} ms, first after the load ${x.first_after_load_ms} ms`,
      );
    }
  } finally {
    agent.destroy();
    await server?.stop();
    await dropSchema?.();
    await work.remove();
  }
  return results;
}

export async function benchReports(data: DataSet, dialects: Dialect[], opts: ReportOptions, log: Log) {
  const problems: string[] = [];
  const results: Record<string, PathResult> = {};
  for (const dialect of dialects) {
    const shell = dialect === 'sqlite' ? ensureCommand('sqlite3', 'sqlite3', log) : ensureCommand('psql', 'postgresql-client', log);
    if (!shell) {
      problems.push(`reports (${dialect}): the database shell is missing, skipped`);
      continue;
    }
    try {
      Object.assign(results, await benchOn(dialect, data, opts, log, problems));
    } catch (e) {
      const msg = `reports (${dialect}) failed: ${(e as Error)?.message ?? String(e)}`;
      log(msg);
      problems.push(msg);
    }
  }
  return { results, problems };
}
