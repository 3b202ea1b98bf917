/**
 * Drives the real product as a user would: `node bin/hiredb.mjs load … --json` and
 * `node bin/hiredb.mjs serve --no-loader`, configured through the environment only.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';
import { REPO_DIR, OUT_DIR, type DataSet } from './generate.ts';
import { killTree, measure, peakRssOf, sleep, type Measured } from './measure.ts';

export const HIREDB_BIN = join(REPO_DIR, 'bin', 'hiredb.mjs');

export interface LoadSummary {
  file: string;
  table: string;
  task_id: number;
  processed: number;
  inserted: number;
  already_exists: number;
  rejected: number;
}

/** Our environment without anything that would point HireDB elsewhere, plus `extra`. */
export function hiredbEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_URL|BLOB_DIR|PORT|HOST|LOAD_|BATCH_SIZE|AZURE_|HIREDB_|NODE_OPTIONS$)/.test(key)) delete env[key];
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** A temporary folder under bench/out (same disk as the data), removed when the run ends. */
export async function workDir(label: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(OUT_DIR, `work-${label}-`));
  const remove = onCleanup(`folder ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return { dir, remove };
}

/** `hiredb load <files> --json`, timed, with the summaries it printed. Throws when the load fails. */
export async function hiredbLoad(
  databaseUrl: string,
  files: string[],
  cwd: string,
  log?: (message: string) => void,
): Promise<{ measured: Measured; summaries: LoadSummary[] }> {
  const measured = await measure(process.execPath, [HIREDB_BIN, 'load', ...files, '--json'], {
    env: hiredbEnv({ DATABASE_URL: databaseUrl }),
    cwd,
    log,
    // The PostgreSQL server's work is part of the load, not noise from other processes.
    partOfWork: databaseUrl.startsWith('postgres') ? ['postgres'] : undefined,
  });
  if (measured.code !== 0) {
    throw new Error(`hiredb load ${files.join(' ')} exited with ${measured.code}: ${measured.stderr.trim().slice(-2000)}`);
  }
  const summaries = measured.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LoadSummary);
  return { measured, summaries };
}

/** Loads departments and jobs (untimed), then hired_employees (timed); checks the counts add up. */
export async function loadDataSet(
  databaseUrl: string,
  data: DataSet,
  cwd: string,
  opts: { beforeTimed?: () => Promise<void>; log?: (message: string) => void } = {},
) {
  // Its time is reported as HireDB's fixed cost (Node + TypeScript loader start, migrations, 195 rows).
  const dims = await hiredbLoad(databaseUrl, [data.departmentsFile, data.jobsFile], cwd);
  await opts.beforeTimed?.();
  const { measured, summaries } = await hiredbLoad(databaseUrl, [data.hiredFile], cwd, opts.log);
  const s = summaries[0];
  if (!s) throw new Error(`hiredb load printed no summary: ${measured.stdout.slice(0, 500)}`);
  const problems: string[] = [];
  if (s.processed !== data.rows) problems.push(`processed ${s.processed}, file has ${data.rows}`);
  if (s.inserted !== data.cleanRows) problems.push(`inserted ${s.inserted}, expected ${data.cleanRows}`);
  if (s.rejected !== data.badRows) problems.push(`rejected ${s.rejected}, expected ${data.badRows}`);
  return { measured, dimsMeasured: dims.measured, summary: s, problems };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Server {
  url: string;
  pid: number;
  /** Peak RSS of the server process so far (VmHWM), in MB. */
  peakRssMb(): number | null;
  stop(): Promise<void>;
}

/** `hiredb serve --no-loader` on a free port; resolves once GET /health answers 200. */
export async function startServer(databaseUrl: string, cwd: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [HIREDB_BIN, 'serve', '--no-loader'], {
    cwd,
    env: hiredbEnv({ DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', BLOB_DIR: join(cwd, 'blob') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString('utf8')).slice(-8000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      resolve();
    }),
  );
  const pid = child.pid!;
  const stop = onCleanup(`server ${pid}`, async () => {
    if (gone) return;
    killTree(pid, 'SIGTERM');
    const timer = setTimeout(() => killTree(pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gone) throw new Error(`hiredb serve exited before answering /health:\n${tail}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`hiredb serve did not answer /health on ${url}:\n${tail}`);
    }
    await sleep(100);
  }
  return { url, pid, peakRssMb: () => peakRssOf(pid), stop };
}
