// Stopping cleanly. SIGTERM to `hiredb serve` mid-load: the batch in flight commits, the task goes back to
// `queued` with its checkpoint, the process exits 0 within 15 s, and a new process finishes the task with
// exactly the totals of an uninterrupted load. SIGTERM with an upload in flight: exit within 15 s, no file,
// no task. Ctrl-C during `hiredb load`: the task is left failed `interrupted`, exit 130 with a hint, and the
// same command resumes it from its checkpoint; `--restart` starts a new task. A file appended to during
// `hiredb load` is read only up to the size it had when the load started. A port in use ends `serve` at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIREDB_BIN, runCli, startServer, tempHome, waitFor, type TempHome } from '../helpers/processes.ts';
import { hiresCsv, writeDimensions } from '../helpers/generated-files.ts';

const ROWS = 150_000;
const BATCH_SIZE = '200';

interface TaskRow {
  id: number;
  file_name: string;
  file_version: string;
  status: string;
  error: string | null;
  checkpoint_line: number;
  bytes_read: number;
  bytes_total: number;
  processed: number;
  inserted: number;
  already_exists: number;
  rejected: number;
  lease_owner: string | null;
}

const homes: TempHome[] = [];
afterAll(async () => {
  for (const h of homes) await h.cleanup();
});

async function home(extra: Record<string, string> = {}): Promise<TempHome> {
  const h = await tempHome({ BATCH_SIZE, ...extra });
  homes.push(h);
  await mkdir(h.blobDir, { recursive: true });
  return h;
}

function readDb<T>(h: TempHome, fn: (db: BetterSqlite3.Database) => T): T | undefined {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(h.dbFile, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    return fn(db);
  } catch {
    return undefined; // not created yet, or busy
  } finally {
    db?.close();
  }
}

const tasksOf = (h: TempHome) => readDb(h, (db) => db.prepare('SELECT * FROM tasks ORDER BY id').all() as TaskRow[]) ?? [];
const hireTask = (h: TempHome) => tasksOf(h).find((t) => t.file_name === 'hired_employees.csv');
const hireCount = (h: TempHome) => readDb(h, (db) => (db.prepare('SELECT COUNT(*) AS n FROM hired_employees').get() as { n: number }).n);
const summaryOf = (t: TaskRow) => ({ processed: t.processed, inserted: t.inserted, already_exists: t.already_exists, rejected: t.rejected });

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Sends `signal` and resolves with the exit and the time it took; SIGKILL after 20 s. */
async function signalAndTime(child: ChildProcess, signal: NodeJS.Signals) {
  const started = Date.now();
  const exited = exitOf(child);
  child.kill(signal);
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const result = await exited;
  clearTimeout(kill);
  return { ...result, ms: Date.now() - started };
}

let dataDir: TempHome;
let files: { departments: string; jobs: string; hired: string };
let reference: { summary: ReturnType<typeof summaryOf>; rows: number };

beforeAll(async () => {
  dataDir = await home();
  const dims = await writeDimensions(dataDir.dir);
  const hired = join(dataDir.dir, 'hired_employees.csv');
  await writeFile(hired, hiresCsv(1, ROWS));
  files = { ...dims, hired };
  // The reference: the same files loaded once, uninterrupted.
  const ref = await home();
  const res = await runCli(['load', files.departments, files.jobs, files.hired, '--json'], { env: ref.env, cwd: ref.dir, timeoutMs: 120_000 });
  expect(res.code, res.stderr).toBe(0);
  reference = { summary: summaryOf(hireTask(ref)!), rows: hireCount(ref)! };
  expect(reference.summary.processed).toBe(ROWS);
}, 180_000);

describe('hiredb serve', () => {
  it('SIGTERM mid-load: exits 0 within 15 s, the task is queued again with its checkpoint, and a new process finishes it exactly', async () => {
    const h = await home();
    await writeDimensions(h.blobDir);
    await writeFile(join(h.blobDir, 'hired_employees.csv'), hiresCsv(1, ROWS));
    const first = await startServer(['serve'], { env: h.env, cwd: h.dir });
    await waitFor('the hires task to be mid-file', async () => {
      const t = hireTask(h);
      return t && t.status === 'running' && t.checkpoint_line > 0 ? t : undefined;
    }, 60_000, 20);

    const stop = await signalAndTime(first.child, 'SIGTERM');
    expect(stop.code, first.output().stderr).toBe(0);
    expect(stop.ms).toBeLessThan(15_000);
    const released = hireTask(h)!;
    expect(released, first.output().stderr).toMatchObject({ status: 'queued', lease_owner: null, error: null });
    expect(released.checkpoint_line).toBeGreaterThan(0);
    expect(released.processed).toBeLessThan(ROWS); // stopped mid-file, not after loading all of it
    // What the checkpoint says is what is in the table: the batch in flight committed or rolled back whole.
    expect(hireCount(h)).toBe(released.inserted);
    expect(first.output().stderr).toMatch(/task released/);

    const second = await startServer(['serve'], { env: h.env, cwd: h.dir });
    try {
      const finished = await waitFor('the released task to finish', async () => {
        const t = hireTask(h);
        return t && t.status === 'done' ? t : undefined;
      }, 60_000);
      expect(finished.id).toBe(released.id);
      expect(summaryOf(finished)).toEqual(reference.summary);
      expect(hireCount(h)).toBe(reference.rows);
      expect(tasksOf(h).filter((t) => t.file_name === 'hired_employees.csv')).toHaveLength(1);
    } finally {
      await second.stop();
    }
  }, 150_000);

  it('SIGTERM with an upload in flight: exits 0 within 15 s, keeps no file and queues no task', async () => {
    const h = await home();
    const server = await startServer(['serve'], { env: h.env, cwd: h.dir });
    // A client that sends part of a body and then waits.
    const req = request(`${server.url}/api/v1/files/hired_employees.csv`, { method: 'PUT', headers: { 'content-type': 'text/csv' } });
    req.on('error', () => {});
    req.write(hiresCsv(1, 1000));
    await waitFor('the upload to be in progress', async () =>
      (await readdir(h.blobDir)).some((n) => n.endsWith('.partial')) ? true : undefined,
    );

    const stop = await signalAndTime(server.child, 'SIGTERM');
    req.destroy();
    expect(stop.code, server.output().stderr).toBe(0);
    expect(stop.ms).toBeLessThan(15_000);
    expect(await readdir(h.blobDir)).toEqual([]);
    expect(tasksOf(h)).toEqual([]);
  }, 60_000);
});

describe('hiredb serve start-up', () => {
  it('a port in use ends start-up with exit 1 and claims no task', async () => {
    const h = await home();
    await writeDimensions(h.blobDir);
    const holder = await startServer(['serve', '--no-loader'], { env: h.env, cwd: h.dir });
    try {
      const res = await runCli(['serve'], { env: { ...h.env, PORT: String(holder.port) }, cwd: h.dir, timeoutMs: 20_000 });
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).toContain('EADDRINUSE');
      expect(tasksOf(h).filter((t) => t.status !== 'queued')).toEqual([]);
    } finally {
      await holder.stop();
    }
  }, 60_000);
});

describe('hiredb load', () => {
  it('Ctrl-C: the task is left failed "interrupted", exit 130 with how to resume; the same command resumes it exactly; --restart starts anew', async () => {
    const h = await home();
    const args = ['load', files.departments, files.jobs, files.hired];
    expect((await runCli(['migrate'], { env: h.env, cwd: h.dir })).code).toBe(0);
    const child = spawn(process.execPath, [HIREDB_BIN, ...args], { cwd: h.dir, env: { ...process.env, ...h.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await waitFor('the hires load to be mid-file', async () => {
      const t = hireTask(h);
      return t && t.checkpoint_line > 0 ? t : undefined;
    }, 60_000, 20);

    const stop = await signalAndTime(child, 'SIGINT');
    expect(stop.code, stderr).toBe(130);
    const interrupted = hireTask(h)!;
    expect(interrupted).toMatchObject({ status: 'failed', error: 'interrupted' });
    expect(interrupted.checkpoint_line).toBeGreaterThan(0);
    expect(interrupted.processed).toBeLessThan(ROWS);
    expect(hireCount(h)).toBe(interrupted.inserted);
    expect(stderr).toContain(`task ${interrupted.id}`);
    expect(stderr).toContain(`hiredb ${args.join(' ')}`);

    const resumed = await runCli([...args, '--json'], { env: h.env, cwd: h.dir, timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming task ${interrupted.id}`);
    const answers = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const hires = answers.find((a) => a.table === 'hired_employees');
    expect(hires.task_id).toBe(interrupted.id);
    const done = hireTask(h)!;
    expect(done).toMatchObject({ id: interrupted.id, status: 'done', error: null });
    expect(summaryOf(done)).toEqual(reference.summary);
    expect(hires).toMatchObject(reference.summary);
    expect(hireCount(h)).toBe(reference.rows);

    // Done and unchanged: answered from the task, nothing loaded again.
    const again = await runCli([...args, '--json'], { env: h.env, cwd: h.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/already loaded by task \d+/);
    expect(again.stdout).toBe(resumed.stdout);
    expect(tasksOf(h)).toHaveLength(3);

    // --restart: a new task, which finds every row already there.
    const restart = await runCli(['load', files.hired, '--restart', '--json'], { env: h.env, cwd: h.dir, timeoutMs: 120_000 });
    expect(restart.code, restart.stderr).toBe(0);
    const fresh = JSON.parse(restart.stdout);
    expect(fresh.task_id).not.toBe(interrupted.id);
    expect(fresh).toMatchObject({
      processed: ROWS,
      inserted: 0,
      already_exists: reference.summary.inserted,
      rejected: reference.summary.rejected,
    });
    expect(tasksOf(h)).toHaveLength(4);
  }, 240_000);

  it('a file appended to during the load is read only up to the size it had when the load started', async () => {
    const h = await home();
    const dims = await writeDimensions(h.dir);
    const hired = join(h.dir, 'hired_employees.csv');
    await writeFile(hired, hiresCsv(1, ROWS));
    expect((await runCli(['load', dims.departments, dims.jobs], { env: h.env, cwd: h.dir })).code).toBe(0);
    const loading = runCli(['load', hired, '--json'], { env: h.env, cwd: h.dir, timeoutMs: 120_000 });
    await waitFor('the hires load to be mid-file', async () => {
      const t = hireTask(h);
      return t && t.checkpoint_line > 0 ? t : undefined;
    }, 60_000, 20);
    await appendFile(hired, hiresCsv(ROWS + 1, ROWS + 20_000));

    const res = await loading;
    expect(res.code, res.stderr).toBe(0);
    const t = hireTask(h)!;
    expect(t.status).toBe('done');
    expect(t.bytes_read).toBeLessThanOrEqual(t.bytes_total);
    expect(t.bytes_read).toBe(t.bytes_total);
    expect(summaryOf(t)).toEqual(reference.summary);
    expect(hireCount(h)).toBe(reference.rows);
    expect(readDb(h, (db) => db.prepare('SELECT COUNT(*) AS n FROM hired_employees WHERE id > ?').get(ROWS))).toEqual({ n: 0 });
  }, 180_000);
});
