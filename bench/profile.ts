/**
 * Where a HireDB load spends its time: runs `hiredb load hired_employees.csv` under `node --cpu-prof`
 * (one profile per thread: the main thread commits, the worker parses and validates) and prints each
 * thread's functions by self time.
 *
 *   node bin/run-ts.mjs bench/profile.ts [--rows N] [--db sqlite|postgres] [--top K]
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { withCleanup } from './cleanup.ts';
import { generate, REPO_DIR } from './generate.ts';
import { HIREDB_BIN, hiredbEnv, hiredbLoad, workDir } from './hiredb.ts';
import { measure } from './measure.ts';
import { freshSchema, hiredbPgUrl } from './pg.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const maps = new Map<string, SourceMap | null>();

/** The repository path of the source at (line, column) of a file, through its source map when it has one. */
function sourceOf(path: string, line: number, column: number): string {
  if (!maps.has(path)) {
    let map: SourceMap | null = null;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      // no map: named as it is
    }
    maps.set(path, map);
  }
  const entry = maps.get(path)?.findEntry(line, column) as { originalSource?: string } | undefined;
  const source = entry?.originalSource ? resolve(dirname(path), entry.originalSource.replace(/^file:\/\//, '')) : path;
  return relative(REPO_DIR, source);
}

export function summarizeProfile(profile: CpuProfile, top: number): string {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (!us) continue;
    total += us;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    // Project files are named by path only (the source a function of dist/ was compiled from, by its map).
    const where = !url ? '' : url.startsWith('file://') ? sourceOf(new URL(url).pathname, lineNumber, columnNumber) : `${url}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const rows = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const wall = (profile.endTime - profile.startTime) / 1e6;
  return [
    `  wall ${wall.toFixed(2)} s, sampled ${(total / 1e6).toFixed(2)} s`,
    ...rows.map(([k, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(6)} s  ${k}`),
  ].join('\n');
}

async function main() {
  // A reader that goes away (`| head`) must not stop the run before it cleans up.
  process.stdout.on('error', () => {});
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      db: { type: 'string', default: 'sqlite' },
      top: { type: 'string', default: '20' },
    },
  });
  const log = (m: string) => process.stderr.write(`[profile] ${m}\n`);
  await withCleanup(async () => {
    const data = await generate(Number(values.rows), { log });
    const work = await workDir('profile');
    let url: string;
    if (values.db === 'postgres') {
      const { schema } = await freshSchema('profile');
      url = hiredbPgUrl(schema);
    } else url = `sqlite:${join(work.dir, 'hiredb.sqlite')}`;
    await hiredbLoad(url, [data.departmentsFile, data.jobsFile], work.dir);
    const profDir = join(work.dir, 'prof');
    const m = await measure(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, HIREDB_BIN, 'load', data.hiredFile, '--json'], {
      env: hiredbEnv({ DATABASE_URL: url }),
      cwd: work.dir,
      log,
    });
    if (m.code !== 0) throw new Error(`load failed: ${m.stderr.slice(-2000)}`);
    process.stdout.write(`hiredb load of ${data.rows.toLocaleString('en-US')} rows into ${values.db} under --cpu-prof: ${m.seconds.toFixed(2)} s, peak RSS ${m.peakRssMb?.toFixed(0)} MB\n`);
    const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile')).sort();
    for (const f of files) {
      const profile = JSON.parse(await readFile(join(profDir, f), 'utf8')) as CpuProfile;
      // Node names the files CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread.
      const thread = f.split('.')[4] === '0' ? 'main thread' : `worker thread ${f.split('.')[4]}`;
      process.stdout.write(`\n${thread} (${f})\n${summarizeProfile(profile, Number(values.top))}\n`);
    }
  });
}

// Run as a script, not when imported (summarizeProfile is reusable).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
