/**
 * Start-up cost of a `hiredb` process, wall time of the whole process as a user runs it:
 *   help        `node bin/hiredb.mjs --help`
 *   load        `node bin/hiredb.mjs load data/sample/departments.csv` (12 rows) into a new SQLite file
 *   load-again  the same with --restart into the database the previous run left (schema already current)
 *   migrate-pg  with --postgres: `hiredb migrate` on a PostgreSQL schema that is already current
 * Runs interleave the cases (and the checkouts, with --against), so a machine that gets busier part-way
 * through weighs on all of them alike; medians are printed, of the wall time and of the CPU time the
 * process used (user + system, both threads; from /proc, in 10 ms ticks), which other work on the machine
 * disturbs less.
 *
 *   node bin/run-ts.mjs bench/startup.ts [--runs 20] [--postgres] [--against /path/to/other/checkout …]
 * (--against may be given several times: each checkout runs its own bin/hiredb.mjs on the same files.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_DIR } from './generate.ts';
import { hiredbEnv } from './hiredb.ts';
import { freshSchema, hiredbPgUrl } from './pg.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, postgres: { type: 'boolean' }, against: { type: 'string', multiple: true } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of 1 or more, got "${values.runs}"`);
const checkouts = [REPO_DIR, ...(values.against ?? []).map((dir) => resolve(dir))];

const work = mkdtempSync(join(tmpdir(), 'hiredb-startup-'));
const dbFile = join(work, 'hiredb.sqlite');
const env = hiredbEnv({ DATABASE_URL: `sqlite:${dbFile}`, BLOB_DIR: join(work, 'blob') });
const dropDatabase = () => {
  for (const suffix of ['', '-wal', '-shm', '-reserve']) rmSync(dbFile + suffix, { force: true });
};

interface Case {
  args: string[];
  before: () => void;
  env: NodeJS.ProcessEnv;
}
const CASES: Record<string, Case> = {
  help: { args: ['--help'], before: () => {}, env },
  load: { args: ['load', 'data/sample/departments.csv'], before: dropDatabase, env },
  'load-again': { args: ['load', 'data/sample/departments.csv', '--restart'], before: () => {}, env },
};
const pgSchema = values.postgres ? await freshSchema('startup') : null;
if (pgSchema) {
  CASES['migrate-pg'] = { args: ['migrate'], before: () => {}, env: hiredbEnv({ DATABASE_URL: hiredbPgUrl(pgSchema.schema) }) };
}

/** CPU time of this process's waited-for children so far, in ms (cutime + cstime of /proc/self/stat). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // fields 16 and 17; USER_HZ is 100 on Linux
}

function timeOnce(checkout: string, c: Case): { wall: number; cpu: number } {
  const { args } = c;
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  const res = spawnSync(process.execPath, [join(checkout, 'bin', 'hiredb.mjs'), ...args], { cwd: checkout, env: c.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = performance.now() - started;
  if (res.status !== 0) throw new Error(`hiredb ${args.join(' ')} in ${checkout} exited ${res.status}: ${res.stderr}`);
  return { wall, cpu: childrenCpuMs() - cpuBefore };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
try {
  const times = new Map<string, { wall: number; cpu: number }[]>();
  for (const checkout of checkouts) for (const c of Object.values(CASES)) {
    c.before();
    timeOnce(checkout, c); // warm-up: the file cache, and a build on the fly if one is due
  }
  for (let i = 0; i < runs; i++) {
    for (const [name, c] of Object.entries(CASES)) {
      for (const checkout of checkouts) {
        c.before();
        const key = `${name}\t${checkout}`;
        times.set(key, [...(times.get(key) ?? []), timeOnce(checkout, c)]);
      }
    }
  }
  process.stdout.write(`node ${process.version}, ${runs} runs each, interleaved; ms; load average ${loadAtStart} at the start, ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the end\n`);
  process.stdout.write(`${'case'.padEnd(10)}  ${'wall'.padStart(6)}  ${'min'.padStart(6)}  ${'max'.padStart(6)}  ${'cpu'.padStart(6)}  checkout\n`);
  for (const [key, xs] of times) {
    const [name, checkout] = key.split('\t');
    const wall = xs.map((x) => x.wall);
    const cells = [median(wall), Math.min(...wall), Math.max(...wall), median(xs.map((x) => x.cpu))].map((v) => v.toFixed(0).padStart(6));
    process.stdout.write(`${name.padEnd(10)}  ${cells.join('  ')}  ${checkout}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  await pgSchema?.drop();
}
