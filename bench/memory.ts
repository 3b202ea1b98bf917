/**
 * `node bin/run-ts.mjs bench/memory.ts [--size small]`: peak memory of real `hiredb` processes on inputs
 * built to stress it, each measured from outside:
 *  a. `hiredb load` of 300 records of 1,000,000 characters (and `hiredb serve` loading the same file);
 *  b. the rejects export of 1,000,000 rejects, and of the 300 long records, by `hiredb rejects` and by
 *     `GET /api/v1/tasks/:id/rejects?format=csv` from a running `hiredb serve`;
 *  c. `hiredb load` of 1,000,000 ids scattered over 1..2^31-1, and of 1..1,000,000 for comparison.
 * `--cases long,rejects,ids` picks groups; `--database postgres` runs them on PostgreSQL (PG_BENCH_URL, a fresh
 * schema each; SQLite files by default); `--size small`
 * tries the script on tiny inputs; `--json` prints {target_mb, results}.
 * A command's peak RSS is GNU time's "Maximum resident set size" (`/usr/bin/time -v`, worker threads
 * included); a server's is its VmHWM from /proc/<pid>/status once it has answered. The target is under
 * 300 MB for every one. Figures are printed, never asserted; inputs live in a temporary folder.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { onCleanup, withCleanup } from './cleanup.ts';
import { REPO_DIR } from './generate.ts';
import { makeInputs, type MemorySizes } from './memory-inputs.ts';
import { freshSchema, hiredbPgUrl, pgQuery } from './pg.ts';
import { freePort, HIREDB_BIN, hiredbEnv } from './hiredb.ts';
import { killTree, peakRssOf, sleep } from './measure.ts';

const GNU_TIME = '/usr/bin/time';
export const MEMORY_TARGET_MB = 300;

const SIZES: Record<'full' | 'small', MemorySizes> = {
  /** The issue's sizes. */
  full: { longRecords: 300, longChars: 1_000_000, rejects: 1_000_000, ids: 1_000_000 },
  /** A quick shake-out of the script itself. */
  small: { longRecords: 10, longChars: 100_000, rejects: 20_000, ids: 20_000 },
};

const log = (message: string) => process.stderr.write(`[memory ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

export interface MemoryResult {
  case: string;
  command: string;
  peak_rss_mb: number | null;
  seconds: number;
  outcome: string;
  under_target: boolean | null;
}

// ---------------------------------------------------------------------------------------------------
// Measuring

interface TimedRun {
  code: number | null;
  seconds: number;
  peakRssMb: number | null;
  /** The first 64 KiB of standard output. */
  stdoutHead: string;
  stdoutBytes: number;
  stderrTail: string;
}

/** Runs a command under `/usr/bin/time -v`, reading its output as it comes (counted, not kept). */
async function timeV(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<TimedRun> {
  const dir = await mkdtemp(join(tmpdir(), 'hiredb-memory-time-'));
  const report = join(dir, 'time.txt');
  try {
    const started = process.hrtime.bigint();
    const child = spawn(GNU_TIME, ['-v', '-o', report, cmd, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const forget = onCleanup(`${cmd} (pid ${child.pid})`, () => {
      if (child.exitCode === null && child.pid) killTree(child.pid, 'SIGKILL');
    });
    let stdoutHead = '';
    let stdoutBytes = 0;
    let stderrTail = '';
    child.stdout.on('data', (b: Buffer) => {
      stdoutBytes += b.length;
      if (stdoutHead.length < 65_536) stdoutHead += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => (stderrTail = (stderrTail + b.toString('utf8')).slice(-4000)));
    const [code] = (await once(child, 'close')) as [number | null];
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await forget();
    const text = await readFile(report, 'utf8').catch(() => '');
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
    return { code, seconds, peakRssMb: m ? Number(m[1]) / 1024 : null, stdoutHead, stdoutBytes, stderrTail };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface RunningServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** `hiredb serve` (with its loader unless noLoader) on a free port, once /health answers 200. */
async function startServe(env: NodeJS.ProcessEnv, cwd: string, noLoader: boolean): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [HIREDB_BIN, 'serve', ...(noLoader ? ['--no-loader'] : [])], {
    cwd,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  child.stderr.on('data', (b: Buffer) => (tail = (tail + b.toString('utf8')).slice(-4000)));
  let gone = false;
  const exited = once(child, 'exit').then(() => (gone = true));
  const pid = child.pid!;
  const stop = onCleanup(`server ${pid}`, async () => {
    if (gone) return;
    killTree(pid, 'SIGTERM');
    const timer = setTimeout(() => killTree(pid, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gone) throw new Error(`hiredb serve exited before answering /health:\n${tail}`);
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { url, pid, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`hiredb serve did not answer /health on ${url}:\n${tail}`);
    }
    await sleep(100);
  }
}

/** Reads a response body as it arrives, counting its bytes and lines. */
async function drainBody(res: Response): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  return { bytes, lines };
}

const under = (mb: number | null) => (mb === null ? null : mb < MEMORY_TARGET_MB);
const mbText = (mb: number | null) => (mb === null ? '?' : mb.toFixed(0));

// ---------------------------------------------------------------------------------------------------
// The cases

export const CASE_GROUPS = ['long', 'rejects', 'ids'] as const;
export type CaseGroup = (typeof CASE_GROUPS)[number];

export type MemoryDatabase = 'sqlite' | 'postgres';

async function benchMemory(sizes: MemorySizes, groups: ReadonlySet<CaseGroup>, database: MemoryDatabase): Promise<MemoryResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'hiredb-memory-'));
  const removeDir = onCleanup(`folder ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const results: MemoryResult[] = [];
  try {
    log(`writing inputs under ${dir}`);
    const files = await makeInputs(dir, sizes);
    let dbCount = 0;
    const schemas = new Map<string, string>(); // DATABASE_URL → schema
    const freshEnv = async () => {
      const n = ++dbCount;
      const schema = database === 'postgres' ? (await freshSchema(`memory_${n}`)).schema : null;
      const url = schema ? hiredbPgUrl(schema) : `sqlite:${join(dir, `db-${n}.sqlite`)}`;
      if (schema) schemas.set(url, schema);
      return hiredbEnv({ DATABASE_URL: url, BLOB_DIR: join(dir, `blob-${n}`) });
    };
    // What autovacuum does after a large load (it is off on the shared test server): without statistics,
    // PostgreSQL reads a million rejects by a bitmap scan and a sort for every page of an export.
    const analyze = async (env: NodeJS.ProcessEnv) => {
      const schema = schemas.get(env.DATABASE_URL ?? '');
      if (schema) await pgQuery(`ANALYZE ${schema}.task_rejects, ${schema}.hired_employees`);
    };

    /** `hiredb <args>` under time; a load's JSON summaries are parsed from its output. */
    const hiredb = async (name: string, env: NodeJS.ProcessEnv, args: string[]) => {
      log(`${name}: hiredb ${args.map((a) => a.replace(dir + '/', '')).join(' ')}`);
      const r = await timeV(process.execPath, [HIREDB_BIN, ...args], env, dir);
      if (args[0] === 'load') await analyze(env);
      // A load's summaries (an export's output is counted, not parsed; its kept head may end mid-line).
      const summaries = (args[0] === 'load' ? r.stdoutHead.split('\n') : [])
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { task_id: number; processed: number; inserted: number; already_exists: number; rejected: number });
      return { ...r, summaries };
    };
    const record = (name: string, command: string, r: { peakRssMb: number | null; seconds: number }, outcome: string) => {
      results.push({ case: name, command, peak_rss_mb: r.peakRssMb, seconds: r.seconds, outcome, under_target: under(r.peakRssMb) });
      log(`  ${name}: peak ${mbText(r.peakRssMb)} MB, ${r.seconds.toFixed(1)} s, ${outcome}`);
    };
    const loadOutcome = (r: Awaited<ReturnType<typeof hiredb>>) => {
      if (r.code !== 0) return `exit ${r.code}: ${r.stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`;
      const s = r.summaries.at(-1);
      return s ? `processed ${s.processed}, inserted ${s.inserted}, already_exists ${s.already_exists}, rejected ${s.rejected}` : 'no summary';
    };

    // a. 300 records of 1,000,000 characters.
    if (groups.has('long')) {
      const longEnv = await freshEnv();
      await hiredb('dimensions', longEnv, ['load', files.departments, files.jobs, '--json']);
      const long = await hiredb('load_long_records', longEnv, ['load', files.long, '--json']);
      record('load_long_records', `hiredb load (${sizes.longRecords} records of ${sizes.longChars.toLocaleString('en-US')} characters)`, long, loadOutcome(long));

      // The same file through `hiredb serve`: uploaded over HTTP, loaded by the server's own loader.
      {
        const env = await freshEnv();
        await hiredb('dimensions', env, ['load', files.departments, files.jobs, '--json']);
        log('serve_load_long_records: PUT /api/v1/files/hired_employees_long.csv on hiredb serve');
        const server = await startServe(env, dir, false);
        const started = process.hrtime.bigint();
        let outcome: string;
        try {
          const body = createReadStream(files.long);
          const put = await fetch(`${server.url}/api/v1/files/hired_employees_long.csv`, {
            method: 'PUT',
            headers: { 'content-type': 'text/csv' },
            body: body as unknown as BodyInit,
            duplex: 'half',
          } as RequestInit);
          const answer = (await put.json()) as { task?: { id: number } };
          if (!answer.task) throw new Error(`upload answered ${put.status}: ${JSON.stringify(answer).slice(0, 300)}`);
          const deadline = Date.now() + 600_000;
          let task: { status: string; summary: Record<string, number>; error: string | null } | undefined;
          for (;;) {
            const alive = peakRssOf(server.pid) !== null;
            task = (await (await fetch(`${server.url}/api/v1/tasks/${answer.task.id}`)).json()) as typeof task;
            if (!alive || task!.status === 'done' || task!.status === 'failed' || Date.now() > deadline) break;
            await sleep(200);
          }
          const s = task!.summary;
          outcome = `task ${task!.status}${task!.error ? ` (${task!.error.slice(0, 200)})` : ''}: processed ${s.processed}, inserted ${s.inserted}, rejected ${s.rejected}`;
        } catch (e) {
          outcome = `failed: ${(e as Error).message.slice(0, 300)}`;
        }
        const peak = peakRssOf(server.pid);
        await server.stop();
        record('serve_load_long_records', `hiredb serve loading the same file (VmHWM)`, { peakRssMb: peak, seconds: Number(process.hrtime.bigint() - started) / 1e9 }, outcome);
      }
    }

    // b. Rejects exports: 1,000,000 short rejects, and the long records' rejects (when they loaded).
    if (groups.has('rejects')) {
      // The long records' rejects come from a load in batches of 5 records, so that they are there to
      // export whatever a load in the default batches does with them.
      const longEnv = { ...(await freshEnv()), BATCH_SIZE: '5' };
      await hiredb('dimensions', longEnv, ['load', files.departments, files.jobs, '--json']);
      const long = await hiredb('load_long_records_batch_5', longEnv, ['load', files.long, '--json']);
      record('load_long_records_batch_5', `hiredb load, BATCH_SIZE=5 (${sizes.longRecords} records of ${sizes.longChars.toLocaleString('en-US')} characters)`, long, loadOutcome(long));
      const longTask = long.code === 0 ? long.summaries.at(-1)?.task_id : undefined;
      const rejectsEnv = await freshEnv();
      await hiredb('dimensions', rejectsEnv, ['load', files.departments, files.jobs, '--json']);
      const rejectsLoad = await hiredb('load_all_rejected', rejectsEnv, ['load', files.rejects, '--json']);
      record('load_all_rejected', `hiredb load (${sizes.rejects.toLocaleString('en-US')} rows, all rejected)`, rejectsLoad, loadOutcome(rejectsLoad));
      const exports: { name: string; env: NodeJS.ProcessEnv; task: number | undefined; count: string }[] = [
        { name: 'rejects_many', env: rejectsEnv, task: rejectsLoad.summaries.at(-1)?.task_id, count: sizes.rejects.toLocaleString('en-US') },
        { name: 'rejects_long', env: longEnv, task: longTask, count: `${sizes.longRecords} long` },
      ];
      for (const e of exports) {
        if (e.task === undefined) {
          log(`${e.name}: skipped, its load did not finish`);
          continue;
        }
        for (const format of ['json', 'table'] as const) {
          const r = await hiredb(`${e.name}_cli_${format}`, e.env, ['rejects', String(e.task), ...(format === 'json' ? ['--json'] : [])]);
          const outcome = r.code === 0 ? `${(r.stdoutBytes / 1e6).toFixed(1)} MB written` : `exit ${r.code}: ${r.stderrTail.trim().slice(-300)}`;
          record(`${e.name}_cli_${format}`, `hiredb rejects${format === 'json' ? ' --json' : ''} (${e.count} rejects)`, r, outcome);
        }
        log(`${e.name}_api: GET /api/v1/tasks/${e.task}/rejects?format=csv on hiredb serve --no-loader`);
        const server = await startServe(e.env, dir, true);
        const started = process.hrtime.bigint();
        let outcome: string;
        try {
          const res = await fetch(`${server.url}/api/v1/tasks/${e.task}/rejects?format=csv`);
          const { bytes, lines } = await drainBody(res);
          outcome = `${res.status}, ${(bytes / 1e6).toFixed(1)} MB, ${lines - 1} rejects`;
        } catch (err) {
          outcome = `failed: ${(err as Error).message}`;
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const peak = peakRssOf(server.pid);
        await server.stop();
        record(`${e.name}_api`, `GET /api/v1/tasks/:id/rejects?format=csv (${e.count} rejects; server VmHWM)`, { peakRssMb: peak, seconds }, outcome);
      }
    }

    // c. Sparse ids, and dense ones for comparison.
    if (groups.has('ids')) {
      for (const [name, file, what] of [
        ['load_sparse_ids', files.sparse, 'random ids in 1..2^31-1'],
        ['load_dense_ids', files.dense, 'ids 1..N'],
      ] as const) {
        const env = await freshEnv();
        await hiredb('dimensions', env, ['load', files.departments, files.jobs, '--json']);
        const r = await hiredb(name, env, ['load', file, '--json']);
        record(name, `hiredb load (${sizes.ids.toLocaleString('en-US')} rows, ${what})`, r, loadOutcome(r));
      }
    }
  } finally {
    await removeDir();
  }
  return results;
}

export function formatMemory(results: MemoryResult[]): string {
  const rows = results.map((r) => [
    r.case,
    r.command,
    mbText(r.peak_rss_mb),
    r.seconds.toFixed(1),
    r.under_target === null ? '?' : r.under_target ? 'yes' : 'NO',
    r.outcome,
  ]);
  const head = ['case', 'what', 'peak RSS MB', 'seconds', `< ${MEMORY_TARGET_MB} MB`, 'outcome'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Runs every memory case; `small` makes the inputs tiny, to try the script. */
export async function runMemoryBench(
  size: keyof typeof SIZES = 'full',
  groups: readonly CaseGroup[] = CASE_GROUPS,
  database: MemoryDatabase = 'sqlite',
): Promise<MemoryResult[]> {
  return benchMemory(SIZES[size], new Set(groups), database);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'full' },
      cases: { type: 'string', default: CASE_GROUPS.join(',') },
      database: { type: 'string', default: 'sqlite' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.database !== 'sqlite' && values.database !== 'postgres') throw new Error(`--database takes sqlite or postgres, got "${values.database}"`);
  if (!(values.size in SIZES)) throw new Error(`--size takes ${Object.keys(SIZES).join(' or ')}, got "${values.size}"`);
  const groups = values.cases.split(',').map((g) => g.trim());
  for (const g of groups) if (!(CASE_GROUPS as readonly string[]).includes(g)) throw new Error(`--cases takes ${CASE_GROUPS.join(',')}, got "${g}"`);
  return withCleanup(async () => {
    log(`HireDB at ${REPO_DIR}, Node ${process.version}, ${values.database}`);
    const results = await runMemoryBench(values.size as keyof typeof SIZES, groups as CaseGroup[], values.database as MemoryDatabase);
    process.stdout.write((values.json ? JSON.stringify({ target_mb: MEMORY_TARGET_MB, results }) : formatMemory(results)) + '\n');
    const misses = results.filter((r) => r.under_target === false).map((r) => r.case);
    log(misses.length ? `over ${MEMORY_TARGET_MB} MB: ${misses.join(', ')}` : `every peak under ${MEMORY_TARGET_MB} MB`);
    return 0;
  });
}

if (process.argv[1] && /memory\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`bench/memory: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
