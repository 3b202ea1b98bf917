/**
 * `npm run bench:runtimes [-- --runs K --requests N --only node,deno,workerd]`: the same HTTP app on each runtime, on one PostgreSQL
 * database (the sample data loaded) and one Azurite container. For each runtime: the cold start, from
 * spawning the process to its first `/health` 200 (K runs), and the latency of N sequential
 * `GET /api/v1/reports/hired-by-quarter?year=2021` requests with a read key (after 20 unmeasured ones), as
 * p50 and p99. Runtimes are measured one at a time (the machine has two cores); timings are printed, never
 * asserted. A runtime is one entry of RUNTIMES: how to spawn it on a base URL's port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildEdge } from '../worker/entry/build-edge.ts';
import { startWorkerd } from '../worker/entry/serve-workerd.ts';
import { startDeno } from '../worker/entry/serve-deno.ts';
import { prepareSmokeFixture, type SmokeFixture } from '../tests/runtime/setup.ts';
import { freePort, HIREDB_BIN, REPO_DIR, runCli } from '../tests/helpers/processes.ts';
import { busyCores, waitForQuiet } from './quiet.ts';

interface Runtime {
  /** What --only names it by. */
  key: string;
  name: string;
  /** Anything done once before the runs (a build), not part of the cold start. */
  prepare?(): Promise<void>;
  /** Spawns the runtime serving HireDB on 127.0.0.1:port with the fixture's settings. */
  spawn(env: Record<string, string>, port: number, workdir: string): Promise<ChildProcess>;
}

const RUNTIMES: Runtime[] = [
  {
    key: 'node',
    name: 'node (hiredb serve --no-loader)',
    spawn: async (env, port) =>
      spawn(process.execPath, [HIREDB_BIN, 'serve', '--no-loader'], {
        cwd: tmpdir(),
        env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
        stdio: 'ignore',
      }),
  },
  {
    key: 'deno',
    name: 'deno (worker/entry/deno.ts --no-loader)',
    spawn: async (env, port) => startDeno({ env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, args: ['--no-loader'], cwd: tmpdir(), stdio: 'ignore' }),
  },
  {
    key: 'workerd',
    name: 'workerd (dist/edge/worker.mjs)',
    prepare: async () => {
      await buildEdge();
    },
    spawn: (env, port, workdir) => startWorkerd({ env, host: '127.0.0.1', port, configFile: join(workdir, 'workerd.capnp'), stdio: 'ignore' }),
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before answering /health`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no /health 200 within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(force);
}

interface RuntimeResult {
  name: string;
  coldStartMs: number[];
  /** Cores other processes kept busy just before the runtime was measured (null without /proc). */
  otherCores: number | null;
  p50Ms: number;
  p99Ms: number;
}

async function measure(runtime: Runtime, fixture: SmokeFixture, runs: number, requests: number): Promise<RuntimeResult> {
  await runtime.prepare?.();
  await waitForQuiet((m) => process.stderr.write(`${m}\n`));
  const otherCores = await busyCores(500);
  const workdir = await mkdtemp(join(tmpdir(), 'hiredb-bench-runtime-'));
  const coldStartMs: number[] = [];
  let latencies: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const started = performance.now();
      const child = await runtime.spawn(fixture.env, port, workdir);
      try {
        await waitForHealth(url, child);
        coldStartMs.push(performance.now() - started);
        if (run === runs - 1) latencies = await sequentialReports(url, fixture.keys.read, requests);
      } finally {
        await stop(child);
      }
    }
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { name: runtime.name, coldStartMs, otherCores, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

async function sequentialReports(url: string, key: string, requests: number): Promise<number[]> {
  const get = async () => {
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/reports/hired-by-quarter?year=2021`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`report answered ${res.status}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) await get();
  const times: number[] = [];
  for (let i = 0; i < requests; i++) times.push(await get());
  return times;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '3' }, requests: { type: 'string', default: '200' }, only: { type: 'string' } },
  });
  const keys = values.only?.split(',').map((k) => k.trim()) ?? RUNTIMES.map((r) => r.key);
  const unknown = keys.filter((k) => !RUNTIMES.some((r) => r.key === k));
  if (unknown.length > 0) throw new Error(`--only: unknown runtime ${unknown.join(', ')}; expected ${RUNTIMES.map((r) => r.key).join(', ')}`);
  const runs = Number(values.runs);
  const requests = Number(values.requests);
  if (!(Number.isInteger(runs) && runs >= 1) || !(Number.isInteger(requests) && requests >= 1)) {
    throw new Error('--runs and --requests must be positive integers');
  }
  const fixture = await prepareSmokeFixture({ rounds: 0 });
  try {
    const sample = join(REPO_DIR, 'data', 'sample');
    const files = readdirSync(sample).filter((f) => f.endsWith('.csv')).map((f) => join(sample, f));
    const load = await runCli(['load', ...files], { env: { DATABASE_URL: fixture.env.DATABASE_URL }, timeoutMs: 60_000 });
    if (load.code !== 0) throw new Error(`loading the sample failed:\n${load.stderr}`);
    const results: RuntimeResult[] = [];
    for (const runtime of RUNTIMES.filter((r) => keys.includes(r.key))) results.push(await measure(runtime, fixture, runs, requests));
    const ms = (n: number) => n.toFixed(1);
    process.stdout.write(
      `| runtime | cold start to first /health (${runs} runs) | p50 | p99 (${requests} sequential hired-by-quarter) | other load before (cores) |\n| --- | --- | --- | --- | --- |\n`,
    );
    for (const r of results) {
      const load = r.otherCores === null ? 'n/a' : r.otherCores.toFixed(2);
      process.stdout.write(`| ${r.name} | ${r.coldStartMs.map((t) => `${Math.round(t)}`).join(', ')} ms | ${ms(r.p50Ms)} ms | ${ms(r.p99Ms)} ms | ${load} |\n`);
    }
  } finally {
    await fixture.cleanup();
  }
}

await main();
