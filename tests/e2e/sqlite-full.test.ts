// A full disk under SQLite: `hiredb load` on a database file that lives on a 2 MiB tmpfs (a private mount
// namespace, so nothing outside the test sees it). The load must stop with the error and leave its task
// `failed` with that error text, never `running`; what was committed before stays. Small batches fill the
// disk with less room left over than large ones, so each batch size is tried.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIREDB_BIN, runCli } from '../helpers/processes.ts';

const canMount = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], { stdio: 'ignore' }).status === 0;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hiredb-full-'));
  await writeFile(join(dir, 'departments.csv'), Array.from({ length: 5 }, (_, i) => `${i + 1},Department ${i + 1}\n`).join(''));
  await writeFile(join(dir, 'jobs.csv'), Array.from({ length: 5 }, (_, i) => `${i + 1},Job ${i + 1}\n`).join(''));
  await writeFile(
    join(dir, 'hired_employees.csv'),
    Array.from({ length: 60_000 }, (_, i) => `${i + 1},Person number ${i + 1},2021-03-01T00:00:00Z,${1 + (i % 5)},${1 + (i % 5)}\n`).join(''),
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `script` with sh in a mount namespace of its own; resolves with its output. */
function inMountNamespace(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-m', 'sh', '-c', script], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

describe.skipIf(!canMount)('SQLite on a full disk', () => {
  it.each(['1000', '100', '10'])('hiredb load (BATCH_SIZE %s) stops with "database or disk is full" and leaves the task failed with that text', async (batchSize) => {
    const seed = join(dir, 'seed.sqlite');
    const dims = await runCli(['load', 'departments.csv', 'jobs.csv'], { env: { DATABASE_URL: `sqlite:${seed}` }, cwd: dir });
    expect(dims.code, dims.stderr).toBe(0);
    const mnt = join(dir, `mnt-${batchSize}`);
    await mkdir(mnt);
    const db = join(mnt, 'hiredb.sqlite');
    const node = `"${process.execPath}" "${HIREDB_BIN}"`;
    const { out } = await inMountNamespace(
      `set -e
       mount -t tmpfs -o size=2m tmpfs "${mnt}"
       cp "${seed}" "${db}"
       set +e
       ${node} load hired_employees.csv --json
       echo "load exit=$?"
       echo "tasks:"
       ${node} tasks --json`,
      { DATABASE_URL: `sqlite:${db}`, BATCH_SIZE: batchSize },
    );
    expect(out).toMatch(/hiredb: loading "hired_employees.csv" failed \(task \d+\): database or disk is full/);
    expect(out).toContain('load exit=1');
    const tasks = JSON.parse(out.slice(out.indexOf('tasks:') + 'tasks:'.length).trim()) as {
      table: string;
      status: string;
      error: string | null;
      progress: { line: number };
      summary: { processed: number; inserted: number; already_exists: number; rejected: number };
    }[];
    const hired = tasks.find((t) => t.table === 'hired_employees')!;
    expect(hired, out).toMatchObject({ status: 'failed', error: 'database or disk is full' });
    // Whole batches went in before the disk filled; the counts agree with the checkpoint.
    expect(hired.summary.processed).toBe(hired.progress.line);
    expect(hired.summary.processed).toBeGreaterThan(0);
    expect(hired.summary.processed).toBeLessThan(60_000);
    expect(hired.summary.inserted).toBe(hired.summary.processed);
    // No task is left running.
    expect(tasks.filter((t) => t.status === 'running')).toEqual([]);
  }, 120_000);
});
