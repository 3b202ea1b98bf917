/**
 * The batch endpoint on SQLite and PostgreSQL: `POST /api/v1/hired-employees/batch` with 1000 valid rows
 * per request, at concurrency 1, 8 and 32 for a fixed duration each (autocannon, in this process). Every
 * request carries a new id range, so its rows are inserted, never already_exists. Rows/s counts the rows
 * the server answered as inserted. Then one phase at concurrency 8 whose requests overlap (each starts
 * 500 ids after the one before, so half of its rows are another request's): every answer must be a 200.
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { DataSet } from './generate.ts';
import { prng } from './generate.ts';
import { hiredbLoad, startServer, workDir, type Server } from './hiredb.ts';
import { median } from './measure.ts';
import { freshSchema, hiredbPgUrl, pgAvailable } from './pg.ts';
import { busyCpuSeconds, processCpuSeconds, quietRun, waitForQuiet } from './quiet.ts';
import { round, type Log, type PathResult } from './results.ts';

export const CONCURRENCIES = [1, 8, 32];
const OVERLAP_CONCURRENCY = 8;
const ROWS_PER_REQUEST = 1000;

/** The JSON of one row without its id: `,"name":…}`; ids are put in front per request. */
function rowTails(count: number): string[] {
  const rand = prng(0xba7c4);
  const names = ['Harold Vogt', 'Ty Hofer', 'Lyman Hadye', 'Lotti Crowthe', 'Gretna Lording', 'Merrily Di Biaggi'];
  const tails: string[] = [];
  for (let i = 0; i < count; i++) {
    const when = new Date(Date.UTC(2021, 0, 1) + Math.floor(rand() * 365 * 86400) * 1000).toISOString().slice(0, 19) + 'Z';
    tails.push(
      `,"name":${JSON.stringify(names[i % names.length])},"datetime":"${when}","department_id":${1 + Math.floor(rand() * 12)},"job_id":${1 + Math.floor(rand() * 183)}}`,
    );
  }
  return tails;
}

export function batchBody(firstId: number, tails: string[]): string {
  let s = '[';
  for (let i = 0; i < tails.length; i++) s += `${i ? ',' : ''}{"id":${firstId + i}${tails[i]}`;
  return s + ']';
}

interface Phase {
  connections: number;
  seconds: number;
  requests: number;
  inserted: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  peakRssMb: number | null;
  /** Cores busy outside the server and this process (autocannon) during the phase. */
  otherCpuCores: number | null;
  /** Cores the server process used during the phase. */
  serverCpuCores: number | null;
}

async function phase(url: string, connections: number, seconds: number, nextId: () => number, tails: string[]): Promise<Omit<Phase, 'peakRssMb' | 'otherCpuCores' | 'serverCpuCores'>> {
  let inserted = 0;
  let answered = 0;
  const result = await autocannon({
    url: `${url}/api/v1/hired-employees/batch`,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: batchBody(nextId(), tails) }),
        onResponse: (status, body) => {
          if (status !== 200) return;
          answered++;
          inserted += (JSON.parse(body) as { inserted: number }).inserted;
        },
      },
    ],
  });
  return {
    connections,
    seconds: result.duration,
    requests: answered,
    inserted,
    non2xx: result.non2xx,
    errors: result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/** One phase with the CPU the server, this process (autocannon) and everything else used meanwhile. */
async function measuredPhase(
  server: Server,
  c: number,
  seconds: number,
  nextId: () => number,
  tails: string[],
  log: Log,
  label: string,
): Promise<Phase> {
  await waitForQuiet(log);
  const busy0 = busyCpuSeconds();
  const server0 = processCpuSeconds(server.pid);
  const self0 = process.cpuUsage();
  const p = await phase(server.url, c, seconds, nextId, tails);
  const busy1 = busyCpuSeconds();
  const server1 = processCpuSeconds(server.pid);
  const self = process.cpuUsage(self0);
  const serverCpu = server0 !== null && server1 !== null ? server1 - server0 : null;
  const other =
    busy0 !== null && busy1 !== null && serverCpu !== null
      ? Math.max(0, (busy1 - busy0 - serverCpu - (self.user + self.system) / 1e6) / p.seconds)
      : null;
  const one: Phase = {
    ...p,
    peakRssMb: server.peakRssMb(),
    otherCpuCores: other,
    serverCpuCores: serverCpu === null ? null : serverCpu / p.seconds,
  };
  log(
    `${label}: ${Math.round(p.inserted / p.seconds).toLocaleString('en-US')} rows/s, p50 ${p.p50} ms, p99 ${p.p99} ms ` +
      `(${p.requests} requests), server used ${one.serverCpuCores?.toFixed(2)} cores` +
      (other === null ? '' : `, others busy ${other.toFixed(2)} cores`),
  );
  return one;
}

export async function benchBatch(data: DataSet, runs: number, phaseSeconds: number, log: Log) {
  const problems: string[] = [];
  const results: Record<string, PathResult> = {};
  const databases: BatchDatabase[] = ['sqlite'];
  if (await pgAvailable()) databases.push('postgres');
  else problems.push('batch on PostgreSQL: the database does not answer (PG_BENCH_URL); skipped');
  for (const database of databases) {
    const one = await benchBatchOn(database, data, runs, phaseSeconds, log);
    Object.assign(results, one.results);
    problems.push(...one.problems);
  }
  return { results, problems };
}

type BatchDatabase = 'sqlite' | 'postgres';
const DATABASE_NAME: Record<BatchDatabase, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
/** Result keys: batch_c8 on SQLite, batch_pg_c8 on PostgreSQL; the overlap phase is batch[_pg]_overlap. */
const keyPrefix = (database: BatchDatabase) => (database === 'sqlite' ? 'batch_' : 'batch_pg_');

async function benchBatchOn(database: BatchDatabase, data: DataSet, runs: number, phaseSeconds: number, log: Log) {
  const problems: string[] = [];
  const tails = rowTails(ROWS_PER_REQUEST);
  const phases = new Map<string, Phase[]>([...CONCURRENCIES.map((c) => [`c${c}`, []] as [string, Phase[]]), ['overlap', []]]);
  const name = DATABASE_NAME[database];
  for (let r = 1; r <= runs; r++) {
    const work = await workDir('batch');
    const schema = database === 'postgres' ? await freshSchema('batch') : null;
    let server: Server | undefined;
    try {
      const dbUrl = schema ? hiredbPgUrl(schema.schema) : `sqlite:${join(work.dir, 'hiredb.sqlite')}`;
      await hiredbLoad(dbUrl, [data.departmentsFile, data.jobsFile], work.dir);
      server = await startServer(dbUrl, work.dir);
      let next = 1;
      const nextId = () => {
        const id = next;
        next += ROWS_PER_REQUEST;
        return id;
      };
      // Warm-up (not reported): JIT, statement cache, the first pages of the table.
      await phase(server.url, 8, Math.min(2, phaseSeconds), nextId, tails);
      for (const c of CONCURRENCIES) {
        const label = `batch ${name} run ${r}/${runs} c=${c}`;
        const p = await quietRun(label, log, () => measuredPhase(server!, c, phaseSeconds, nextId, tails, log, label));
        phases.get(`c${c}`)!.push(p);
        if (p.non2xx || p.errors) problems.push(`${label}: ${p.non2xx} non-2xx answers, ${p.errors} errors`);
        if (p.inserted !== p.requests * ROWS_PER_REQUEST) problems.push(`${label}: ${p.inserted} rows inserted by ${p.requests} answered requests`);
      }
      const overlapping = () => {
        const id = next;
        next += ROWS_PER_REQUEST / 2;
        return id;
      };
      const label = `batch ${name} run ${r}/${runs} overlapping ids, c=${OVERLAP_CONCURRENCY}`;
      const p = await quietRun(label, log, () => measuredPhase(server!, OVERLAP_CONCURRENCY, phaseSeconds, overlapping, tails, log, label));
      phases.get('overlap')!.push(p);
      if (p.non2xx || p.errors) problems.push(`${label}: ${p.non2xx} non-2xx answers, ${p.errors} errors`);
    } finally {
      await server?.stop();
      await work.remove();
      await schema?.drop();
    }
  }
  const results: Record<string, PathResult> = {};
  for (const [phaseName, list] of phases) {
    if (list.length === 0) continue;
    const overlap = phaseName === 'overlap';
    const c = overlap ? OVERLAP_CONCURRENCY : Number(phaseName.slice(1));
    const rates = list.map((p) => p.inserted / p.seconds);
    const rss = list.map((p) => p.peakRssMb).filter((x): x is number => x !== null);
    results[`${keyPrefix(database)}${phaseName}`] = {
      rows: Math.round(median(list.map((p) => p.inserted))),
      seconds: round(median(list.map((p) => p.seconds)), 3),
      rows_per_s: Math.round(median(rates)),
      ratio: null,
      peak_rss_mb: rss.length ? round(Math.max(...rss), 1) : null,
      tool: `POST /api/v1/hired-employees/batch, ${ROWS_PER_REQUEST} rows, concurrency ${c}${overlap ? ', overlapping ids' : ''} (${name})`,
      concurrency: c,
      p50_ms: median(list.map((p) => p.p50)),
      p99_ms: median(list.map((p) => p.p99)),
      requests: Math.round(median(list.map((p) => p.requests))),
      non_2xx: list.reduce((n, p) => n + p.non2xx + p.errors, 0),
      runs_rows_per_s: rates.map((x) => Math.round(x)),
      server_cpu_cores: round(median(list.map((p) => p.serverCpuCores ?? NaN)), 2),
      runs_other_cpu_cores: list.map((p) => (p.otherCpuCores === null ? null : round(p.otherCpuCores, 2))),
    };
  }
  return { results, problems };
}
