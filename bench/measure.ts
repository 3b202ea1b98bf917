/**
 * Spawning, timing and peak memory. A measured command runs under GNU time (`/usr/bin/time -f '%e %M'`),
 * which reports the peak resident set of the child (worker threads are part of it); wall time is taken
 * here with a monotonic clock around the spawn. Without GNU time, /proc is polled for the process tree.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';
import { busyCpuSeconds, namedProcessesCpuSeconds, waitForQuiet } from './quiet.ts';

const GNU_TIME = '/usr/bin/time';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Stop the command (SIGTERM, then SIGKILL) after this long; the result says timedOut. */
  timeoutMs?: number;
  /** Text written to the command's standard input (run() only). */
  input?: string;
  /** measure() only: wait for an idle machine first, logging here. */
  log?: (message: string) => void;
  /** measure() only: processes (by name) whose CPU is part of the work, not noise, e.g. ['postgres']. */
  partOfWork?: string[];
}

export interface Measured {
  seconds: number;
  peakRssMb: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /**
   * Cores kept busy, on average, by everything but the measured command (and the `partOfWork`
   * processes) while it ran. Null without /proc or GNU time.
   */
  otherCpuCores: number | null;
}

/** The pids of every descendant of `pid` (children of all its threads, recursively). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let text = '';
      try {
        text = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of text.split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c);
        visit(c);
      }
    }
  };
  visit(pid);
  return out;
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Peak RSS so far of one live process (VmHWM), in MB. */
export function peakRssOf(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function signalTree(root: number, signal: NodeJS.Signals, includeRoot: boolean) {
  const pids = [...descendants(root).reverse(), ...(includeRoot ? [root] : [])];
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * If the run is interrupted, a command still running is killed with everything under it. Returns the
 * function to call once the command has ended (it then forgets the pid, which may be reused).
 */
function stopOnCleanup(pid: number | undefined, label: string): () => void {
  if (!pid) return () => {};
  let ended = false;
  const stop = onCleanup(`${label} (pid ${pid})`, () => {
    if (!ended) killTree(pid, 'SIGKILL');
  });
  return () => {
    ended = true;
    void stop();
  };
}

/** Runs a command to completion, timed, with its peak RSS; never throws on a non-zero exit. */
export async function measure(cmd: string, args: string[], opts: RunOptions = {}): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  if (opts.log) await waitForQuiet(opts.log);
  const dir = await mkdtemp(join(tmpdir(), 'hiredb-bench-time-'));
  const timeFile = join(dir, 'time.txt');
  try {
    const [file, argv] = useTime ? [GNU_TIME, ['-f', '%e %M %U %S', '-o', timeFile, cmd, ...args]] : [cmd, args];
    const busyBefore = busyCpuSeconds();
    const workBefore = opts.partOfWork ? namedProcessesCpuSeconds(opts.partOfWork) : 0;
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const forget = stopOnCleanup(child.pid, cmd);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));

    // Without GNU time: sample the tree's summed RSS every 50 ms.
    let polledPeakKb = 0;
    const poll = useTime
      ? null
      : setInterval(() => {
          if (!child.pid) return;
          const total = [child.pid, ...descendants(child.pid)].reduce((s, p) => s + rssKb(p), 0);
          polledPeakKb = Math.max(polledPeakKb, total);
        }, 50);

    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const limit = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          // Under GNU time the measured command is time's child: stop it so time still reports.
          if (child.pid) signalTree(child.pid, 'SIGTERM', !useTime);
          killTimer = setTimeout(() => child.pid && signalTree(child.pid, 'SIGKILL', true), 10_000);
        }, opts.timeoutMs)
      : undefined;

    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve({ code: c, signal: s }));
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    forget();
    // A server process that worked for the command (a PostgreSQL backend) may exit just after it: give
    // its parent a moment to reap it, so its CPU time is counted as work rather than as noise.
    if (opts.partOfWork) await sleep(250);
    const busyAfter = busyCpuSeconds();
    const workCpu = opts.partOfWork ? namedProcessesCpuSeconds(opts.partOfWork) - workBefore : 0;
    if (limit) clearTimeout(limit);
    if (killTimer) clearTimeout(killTimer);
    if (poll) clearInterval(poll);

    let peakRssMb: number | null = polledPeakKb > 0 ? polledPeakKb / 1024 : null;
    let exitCode = code;
    let otherCpuCores: number | null = null;
    if (useTime) {
      const text = (await readFile(timeFile, 'utf8').catch(() => '')).trim();
      const last = text.split('\n').pop() ?? '';
      const m = /^([\d.]+) (\d+) ([\d.]+) ([\d.]+)$/.exec(last);
      if (m) {
        peakRssMb = Number(m[2]) / 1024;
        if (busyBefore !== null && busyAfter !== null && seconds > 0) {
          otherCpuCores = Math.max(0, (busyAfter - busyBefore - Number(m[3]) - Number(m[4]) - workCpu) / seconds);
        }
      }
      // GNU time exits with the command's status, and writes "Command exited with non-zero status N".
      const status = /Command (?:exited with non-zero status|terminated by signal) (\d+)/.exec(text);
      if (status && exitCode === 0) exitCode = Number(status[1]);
    }
    return {
      seconds,
      peakRssMb,
      code: exitCode,
      signal,
      timedOut,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      otherCpuCores,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs a command (untimed) and returns its stdout; a non-zero exit throws with its stderr. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const forget = stopOnCleanup(child.pid, cmd);
  child.stdin.on('error', () => {});
  child.stdin.end(opts.input ?? '');
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => stdout.push(b));
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  forget();
  const out = Buffer.concat(stdout).toString('utf8');
  if (code !== 0) {
    const err = Buffer.concat(stderr).toString('utf8').trim();
    throw new Error(`${cmd} ${args.join(' ').slice(0, 200)} exited with ${code}: ${err.slice(0, 2000)}`);
  }
  return out;
}

/** Kills a process we started and everything under it. */
export function killTree(pid: number, signal: NodeJS.Signals = 'SIGTERM') {
  signalTree(pid, signal, true);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
