/**
 * `npm run bench [-- options]`: HireDB side by side with sqlite3 .import, psql \copy and pgloader, the
 * batch endpoint under load, and the reports cold and warm (issue 4). One measurement at a time: the
 * machine has two cores. Timings are printed, never asserted.
 */
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchBatch } from './batch.ts';
import { withCleanup } from './cleanup.ts';
import { evaluateTargets, formatResults, formatTargets, type Target } from './format.ts';
import { generate, type DataSet } from './generate.ts';
import { describeMachine, type Machine } from './machine.ts';
import { formatMemory, runMemoryBench, type MemoryResult } from './memory.ts';
import { pgAvailable } from './pg.ts';
import { benchPgloader } from './pgloader.ts';
import { benchPostgres } from './postgres.ts';
import { benchReports, type Dialect } from './reports.ts';
import type { PathResult } from './results.ts';
import { benchSqlite } from './sqlite.ts';

const PATHS = ['sqlite', 'postgres', 'pgloader', 'batch', 'reports', 'memory'] as const;
type PathName = (typeof PATHS)[number];
const DEFAULT_SIZES = [100_000, 1_000_000];
/** The issue measures the reports at 1e6 and 1e7 rows; smaller sizes skip them unless --only names them. */
const REPORTS_FROM_ROWS = 1_000_000;

const USAGE = `Usage: npm run bench -- [options]

  --rows N              one size (default: 100000 and 1000000; 10000000 only when asked)
  --runs K              repetitions of each measurement, the median is reported (default 3)
  --only LIST           comma-separated: ${PATHS.join(',')} (default: all but memory,
                        which runs only when named: its inputs do not depend on --rows)
  --json                print one JSON object per size on stdout (tables go to stderr)
  --pgloader-timeout S  time limit for each pgloader run (default 120)
  --batch-seconds S     duration of each batch-endpoint phase (default 10)
  --cold-samples N      cold report requests per report (default 5)
  --warm-requests N     warm report requests per report (default 200)

Environment: PG_BENCH_URL (default postgres://postgres@127.0.0.1:5432/test).`;

interface Options {
  sizes: number[];
  runs: number;
  only: Set<PathName>;
  onlyGiven: boolean;
  json: boolean;
  pgloaderTimeout: number;
  batchSeconds: number;
  coldSamples: number;
  warmRequests: number;
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      runs: { type: 'string', default: '3' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      'pgloader-timeout': { type: 'string', default: '120' },
      'batch-seconds': { type: 'string', default: '10' },
      'cold-samples': { type: 'string', default: '5' },
      'warm-requests': { type: 'string', default: '200' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const only = new Set<PathName>();
  for (const p of (values.only ?? PATHS.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(PATHS as readonly string[]).includes(p)) throw new Error(`--only takes ${PATHS.join(',')}, got "${p}"`);
    only.add(p as PathName);
  }
  return {
    sizes: values.rows ? [positiveInt('--rows', values.rows)] : DEFAULT_SIZES,
    runs: positiveInt('--runs', values.runs),
    only,
    onlyGiven: values.only !== undefined,
    json: values.json,
    pgloaderTimeout: positiveInt('--pgloader-timeout', values['pgloader-timeout']),
    batchSeconds: positiveInt('--batch-seconds', values['batch-seconds']),
    coldSamples: positiveInt('--cold-samples', values['cold-samples']),
    warmRequests: positiveInt('--warm-requests', values['warm-requests']),
  };
}

const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** Reads a file once so every tool then finds it in the page cache alike. */
function prewarm(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    createReadStream(file, { highWaterMark: 1 << 20 }).on('data', () => {}).on('end', resolve).on('error', reject);
  });
}

interface SizeReport {
  machine: Machine;
  rows: number;
  runs: number;
  data: { rows: number; clean_rows: number; bad_rows: number; bad_by_kind: DataSet['badByKind']; bytes: number };
  results: Record<string, PathResult>;
  /** Peak RSS of the memory cases (bench/memory.ts), with --only memory. */
  memory?: MemoryResult[];
  targets: Target[];
  problems: string[];
  skipped: string[];
}

async function benchSize(rows: number, opts: Options, machine: Machine, first: boolean): Promise<SizeReport> {
  const data = await generate(rows, { log });
  await prewarm(data.hiredFile);
  await prewarm(data.cleanFile);
  const results: Record<string, PathResult> = {};
  const problems: string[] = [];
  const skipped: string[] = [];
  const pgVersion = opts.only.has('postgres') || opts.only.has('pgloader') || opts.only.has('reports') ? await pgAvailable() : null;
  const noPg = (what: string) => {
    const msg = `${what}: PostgreSQL is not reachable (PG_BENCH_URL), skipped`;
    log(msg);
    skipped.push(msg);
  };
  // A path that fails is reported and the others still run.
  const take = async (path: string, work: () => Promise<{ results: Record<string, PathResult>; problems: string[] }>) => {
    try {
      const o = await work();
      Object.assign(results, o.results);
      problems.push(...o.problems);
    } catch (e) {
      const msg = `${path} failed: ${(e as Error)?.message ?? String(e)}`;
      log(msg);
      problems.push(msg);
    }
  };

  if (opts.only.has('sqlite')) await take('sqlite', () => benchSqlite(data, opts.runs, log));
  if (opts.only.has('postgres')) {
    if (pgVersion) await take('postgres', () => benchPostgres(data, opts.runs, log));
    else noPg('postgres');
  }
  if (opts.only.has('pgloader')) {
    if (pgVersion) await take('pgloader', () => benchPgloader(data, opts.runs, opts.pgloaderTimeout, log));
    else noPg('pgloader');
  }
  if (opts.only.has('batch')) {
    // The batch endpoint does not depend on the file size: measured once per invocation.
    if (first) await take('batch', () => benchBatch(data, opts.runs, opts.batchSeconds, log));
    else skipped.push('batch: measured once, with the first size');
  }
  let memory: MemoryResult[] | undefined;
  if (opts.only.has('memory')) {
    if (!opts.onlyGiven) skipped.push('memory: run with --only memory');
    else if (!first) skipped.push('memory: measured once, with the first size');
    else {
      log('memory: peak RSS of long records, rejects exports, sparse and dense ids');
      memory = await runMemoryBench().catch((e) => {
        problems.push(`memory failed: ${(e as Error)?.message ?? String(e)}`);
        return undefined;
      });
    }
  }
  if (opts.only.has('reports')) {
    if (rows >= REPORTS_FROM_ROWS || opts.onlyGiven) {
      const dialects: Dialect[] = pgVersion ? ['sqlite', 'postgres'] : ['sqlite'];
      if (!pgVersion) noPg('reports on PostgreSQL');
      await take('reports', () => benchReports(data, dialects, { coldSamples: opts.coldSamples, warmRequests: opts.warmRequests }, log));
    } else {
      skipped.push(`reports: measured from ${REPORTS_FROM_ROWS.toLocaleString('en-US')} rows (or with --only reports)`);
    }
  }
  return {
    machine,
    rows,
    runs: opts.runs,
    data: { rows: data.rows, clean_rows: data.cleanRows, bad_rows: data.badRows, bad_by_kind: data.badByKind, bytes: data.bytes },
    results,
    memory,
    targets: evaluateTargets(rows, results),
    problems,
    skipped,
  };
}

function printReport(r: SizeReport, out: NodeJS.WritableStream) {
  const lines = [
    '',
    formatResults(r.rows, r.runs, r.results),
    '',
    `Data: ${r.data.rows.toLocaleString('en-US')} rows, ${r.data.bad_rows.toLocaleString('en-US')} bad (${((r.data.bad_rows / r.data.rows) * 100).toFixed(2)}%), ${(r.data.bytes / 1e6).toFixed(1)} MB`,
    formatTargets(r.targets),
  ];
  if (r.memory) lines.push('', 'Memory (peak RSS; target under 300 MB)', formatMemory(r.memory));
  if (r.skipped.length) lines.push('Skipped:', ...r.skipped.map((s) => `  ${s}`));
  if (r.problems.length) lines.push('Problems:', ...r.problems.map((s) => `  ${s}`));
  out.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`| head`) must not stop the run before it cleans up.
  process.stdout.on('error', () => {});
  let opts: Options | null;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!opts) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const options = opts;
  return withCleanup(async () => {
    const machine = await describeMachine();
    log(`machine: ${machine.nproc} cores, ${machine.cpu_model}, ${machine.memory_mb} MB, Node ${machine.node}`);
    const sizes = [...options.sizes].sort((a, b) => a - b);
    for (const [i, rows] of sizes.entries()) {
      log(`size ${rows.toLocaleString('en-US')} rows: ${[...options.only].join(', ')}, ${options.runs} run(s)`);
      const report = await benchSize(rows, options, machine, i === 0);
      report.machine = (await describeMachine()) ?? machine; // pgloader may have been installed meanwhile
      printReport(report, options.json ? process.stderr : process.stdout);
      if (options.json) process.stdout.write(JSON.stringify(report) + '\n');
    }
    return 0;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
