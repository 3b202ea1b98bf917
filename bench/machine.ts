/** What the figures were measured on. */
import { readFileSync } from 'node:fs';
import { availableParallelism, release } from 'node:os';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { REPO_DIR } from './generate.ts';
import { pgAvailable } from './pg.ts';
import { commandVersion, hasCommand } from './tools.ts';

export interface Machine {
  nproc: number;
  cpu_model: string;
  memory_mb: number;
  os: string;
  kernel: string;
  node: string;
  sqlite_library: string;
  sqlite3_shell: string | null;
  postgresql_server: string | null;
  psql: string | null;
  pgloader: string | null;
  /** The HireDB code measured: commit, and whether files outside bench/ differed from it. */
  hiredb_commit: string | null;
}

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

function hiredbCommit(): string | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_DIR, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--', '.', ':!bench', ':!BENCHMARKS.md'], { cwd: REPO_DIR, encoding: 'utf8' });
  return head.stdout.trim() + (dirty.stdout.trim() ? ' + uncommitted changes' : '');
}

export async function describeMachine(): Promise<Machine> {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(read('/proc/cpuinfo'))?.[1]?.trim() ?? 'unknown';
  const memKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(read('/proc/meminfo'))?.[1] ?? 0);
  const os = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(read('/etc/os-release'))?.[1] ?? 'unknown';
  const mem = new Database(':memory:');
  const sqliteLib = (mem.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  mem.close();
  return {
    nproc: availableParallelism(),
    cpu_model: cpu,
    memory_mb: Math.round(memKb / 1024),
    os,
    kernel: release(),
    node: process.version,
    sqlite_library: `${sqliteLib} (better-sqlite3, used by HireDB)`,
    sqlite3_shell: hasCommand('sqlite3') ? commandVersion('sqlite3', ['--version'])?.split(' ')[0] ?? null : null,
    postgresql_server: await pgAvailable(),
    psql: hasCommand('psql') ? commandVersion('psql', ['--version']) : null,
    pgloader: hasCommand('pgloader') ? commandVersion('pgloader', ['--version']) : null,
    hiredb_commit: hiredbCommit(),
  };
}
