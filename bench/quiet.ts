/**
 * The machine may be busy with other work (two cores): before each timed
 * measurement the benchmark waits, up to a bound, until the CPUs are nearly idle, and it records how
 * busy the machine was while measuring, so a disturbed figure can be recognised.
 */
import { readdirSync, readFileSync } from 'node:fs';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const HZ = 100; // USER_HZ on Linux

/** CPU seconds spent busy (all cores) since boot, from /proc/stat; null where there is no /proc. */
export function busyCpuSeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [, user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (user + nice + system + irq + softirq + (steal || 0)) / HZ;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system, all threads) a live process has used; null when it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / HZ; // utime, stime (fields 14 and 15)
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by every process whose name is in `names`, with their reaped children
 * (PostgreSQL's backends are children of the postmaster, so their time stays counted after they exit).
 */
export function namedProcessesCpuSeconds(names: string[]): number {
  let total = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!names.includes(name)) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / HZ; // utime stime cutime cstime
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

/** Runs measured by `attempt` are repeated while others kept more than this many cores busy. */
export const NOISE_LIMIT_CORES = 0.25;

/**
 * Runs one measurement, and again (up to `maxAttempts` in all) while other processes kept more than
 * NOISE_LIMIT_CORES busy during it: the machine is shared, and a disturbed figure is not HireDB's.
 * The last attempt is kept, with its noise and attempt count.
 */
export async function quietRun<T extends { otherCpuCores?: number | null }>(
  label: string,
  log: (m: string) => void,
  attempt: () => Promise<T>,
  maxAttempts = 3,
): Promise<T & { attempts: number }> {
  for (let i = 1; ; i++) {
    const r = await attempt();
    const noise = r.otherCpuCores;
    if (noise === null || noise === undefined || noise <= NOISE_LIMIT_CORES || i >= maxAttempts) return { ...r, attempts: i };
    log(`${label}: other processes kept ${noise.toFixed(2)} cores busy meanwhile: measuring again (attempt ${i + 1}/${maxAttempts})`);
  }
}

/** Cores kept busy over `ms` milliseconds. */
export async function busyCores(ms = 1000): Promise<number | null> {
  const a = busyCpuSeconds();
  await sleep(ms);
  const b = busyCpuSeconds();
  return a === null || b === null ? null : (b - a) / (ms / 1000);
}

let lastNotice = 0;

/** Waits until fewer than `threshold` cores are busy (sampled over 1 s), for at most `maxWaitMs`. */
export async function waitForQuiet(log: (m: string) => void, threshold = 0.3, maxWaitMs = 60_000): Promise<number | null> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const busy = await busyCores(1000);
    if (busy === null || busy < threshold) return busy;
    if (Date.now() > deadline) {
      log(`the machine is still busy (${busy.toFixed(2)} cores used by others); measuring anyway`);
      return busy;
    }
    if (Date.now() - lastNotice > 15_000) {
      lastNotice = Date.now();
      log(`waiting for the machine to be quiet (${busy.toFixed(2)} cores busy)…`);
    }
    await sleep(2000);
  }
}
