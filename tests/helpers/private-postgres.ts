/**
 * A private PostgreSQL 15 cluster for fault tests: created with initdb in a temporary folder, served on a
 * free port with its socket in that folder, and stopped, killed (-9) or restarted at will. The shared
 * server on 5432 is never touched. Run as root (the test machines), the server runs as user `postgres`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from './processes.ts';

const BIN = '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth). */
  url: string;
  /** Starts the server (after stop() or kill()) and resolves once it accepts connections. */
  start(): Promise<void>;
  /** Fast shutdown: sessions are terminated, new connections refused until start(). */
  stop(): Promise<void>;
  /** kill -9 of the server and every backend, as a crash or a lost machine would; start() recovers. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Runs one statement on a connection of its own. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  readonly running: boolean;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

/** The uid/gid to run PostgreSQL as: it refuses to run as root. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPrivatePostgres(settings: Record<string, string> = {}): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'hiredb-pg-'));
  const data = join(dir, 'data');
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], {
    encoding: 'utf8',
    ...asUser,
  });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr}`);

  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const options = { fsync: 'off', full_page_writes: 'off', max_connections: '100', shared_buffers: '32MB', ...settings };
  let server: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  const query = async <T,>(sql: string, values?: unknown[]): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end().catch(() => {});
    }
  };

  const start = async () => {
    if (server) return;
    const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir];
    for (const [k, v] of Object.entries(options)) args.push('-c', `${k}=${v}`);
    // Its own process group, so kill() reaches the backends too.
    const child = spawn(join(BIN, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...asUser });
    server = child;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)));
    exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (server === child) server = null;
        resolve();
      }),
    );
    await waitFor(
      `the private PostgreSQL on port ${port} to accept connections`,
      async () => {
        if (server !== child) throw new Error(`postgres exited:\n${log}`);
        await query('SELECT 1');
        return true;
      },
      30_000,
      50,
    );
  };

  const signal = async (sig: NodeJS.Signals, group: boolean) => {
    const child = server;
    if (!child?.pid) return;
    try {
      process.kill(group ? -child.pid : child.pid, sig);
    } catch {
      // already gone
    }
    await exited;
  };

  await start();
  return {
    port,
    url,
    start,
    stop: () => signal('SIGINT', false), // fast shutdown
    kill: () => signal('SIGKILL', true),
    async restart() {
      await signal('SIGINT', false);
      await start();
    },
    query,
    get running() {
      return server !== null;
    },
    async destroy() {
      await signal('SIGKILL', true);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The URL with extra libpq `options` (appended to any it already has), e.g. `-c search_path=s`. */
export function withOptions(url: string, options: string): string {
  const parsed = new URL(url);
  const existing = parsed.searchParams.get('options');
  parsed.searchParams.set('options', existing ? `${existing} ${options}` : options);
  return parsed.toString();
}
