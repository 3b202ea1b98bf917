/**
 * Real HireDB processes for end-to-end tests: `node bin/hiredb.mjs …` with its configuration in the
 * environment, a free port and temporary folders. Every process started here is killed on stop(), and
 * any still alive when the test process exits is killed then.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const HIREDB_BIN = join(REPO_DIR, 'bin', 'hiredb.mjs');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A TCP port nobody listens on right now (the OS picks it). */
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

/** A temporary home for one HireDB: its SQLite file, its Blob folder, and the environment naming them. */
export interface TempHome {
  dir: string;
  dbFile: string;
  blobDir: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function tempHome(extra: Record<string, string> = {}): Promise<TempHome> {
  const dir = await mkdtemp(join(tmpdir(), 'hiredb-e2e-'));
  const dbFile = join(dir, 'hiredb.sqlite');
  const blobDir = join(dir, 'blob');
  return {
    dir,
    dbFile,
    blobDir,
    env: {
      DATABASE_URL: `sqlite:${dbFile}`,
      BLOB_DIR: blobDir,
      HOST: '127.0.0.1',
      LOAD_SCHEDULE: '*/1 * * * * *',
      ...extra,
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The child's environment: ours without anything that would point HireDB elsewhere, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(base)) {
    if (/^(DATABASE_URL|BLOB_DIR|PORT|HOST|LOAD_|BATCH_SIZE|AZURE_|HIREDB_|NODE_OPTIONS$|VITEST)/.test(key)) delete base[key];
  }
  return { ...base, NO_COLOR: '1', ...env };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `hiredb <args>` to completion. `cwd` defaults to the temporary home's folder (or the OS temp folder),
 * so no `.env` of the repository is read.
 */
export function runCli(args: string[], opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HIREDB_BIN, ...args], {
      cwd: opts.cwd ?? tmpdir(),
      env: childEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hiredb ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface RunningServer {
  url: string;
  port: number;
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Starts `hiredb <args>` (serve …) on a free port (HOST `host`, 127.0.0.1 by default) and resolves once GET /health answers 200 on 127.0.0.1. */
export async function startServer(
  args: string[],
  opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number; host?: string },
): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [HIREDB_BIN, ...args], {
    cwd: opts.cwd ?? tmpdir(),
    env: childEnv({ ...opts.env, PORT: String(port), HOST: opts.host ?? '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      live.delete(child);
      resolve();
    }),
  );

  const stop = async () => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (gone) throw new Error(`hiredb ${args.join(' ')} exited before answering /health (code ${child.exitCode})\n${stdout}\n${stderr}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`hiredb ${args.join(' ')} did not answer /health on ${url}\n${stdout}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
  return { url, port, child, output: () => ({ stdout, stderr }), stop };
}

/** How often a starting server is asked for /health: short, so a test waits little past the moment it is up. */
const HEALTH_POLL_MS = 20;

/** GET (or another method) against a running server, with the body parsed when it is JSON. */
export async function http(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; text: string; body: any }> {
  const res = await fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(10_000) });
  const text = await res.text();
  const body = (res.headers.get('content-type') ?? '').includes('application/json') ? JSON.parse(text) : text;
  return { status: res.status, headers: res.headers, text, body };
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
