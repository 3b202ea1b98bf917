/**
 * The database side of a file load, without parsing: N generated hires (dates over 2020-2022, the
 * sample's 12 departments and 183 jobs) written through `Database.insertBatch` in batches of 1000
 * with a task checkpoint each, one batch at a time, as a claimed task. It isolates what the adapters
 * do per batch, so two checkouts can be compared on a busy machine: runs alternate between them and
 * each prints its wall and this process's CPU seconds. Then the first hired-by-quarter request is timed:
 * it reads every row just written (where a checkout has the rollup, it folds them all).
 *
 *   node bin/run-ts.mjs bench/write-path.ts --rows 1000000 --runs 5 [--against /path/to/other/checkout]
 *
 * PostgreSQL runs in a fresh schema of PG_BENCH_URL that is dropped afterwards.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Database } from '../shared/ports/database.port.ts';
import { median } from './measure.ts';
import { hiredbPgUrl, pgQuery } from './pg.ts';

const HERE = resolve(fileURLToPath(new URL('..', import.meta.url)));
const BATCH = 1000;

async function open(root: string, dialect: 'sqlite' | 'postgres', tag: string): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const file = join(tmpdir(), `hiredb-write-path-${process.pid}-${tag}.sqlite`);
    const { openSqliteDatabase } = await import(pathToFileURL(join(root, 'shared/adapters/db/sqlite.database.ts')).href);
    const db = openSqliteDatabase(file) as Database;
    const drop = async () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    };
    return { db, drop };
  }
  const schema = `hiredb_write_path_${process.pid}_${tag}`;
  await pgQuery(`CREATE SCHEMA ${schema}`);
  const { openPostgresDatabase } = await import(pathToFileURL(join(root, 'shared/adapters/db/postgres.database.ts')).href);
  const db = (await openPostgresDatabase(hiredbPgUrl(schema))) as Database;
  return { db, drop: () => pgQuery(`DROP SCHEMA ${schema} CASCADE`).then(() => undefined) };
}

function hires(rows: number) {
  let state = 0x2021;
  const rnd = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const start = Date.UTC(2020, 0, 1);
  const span = Date.UTC(2023, 0, 1) - start;
  return Array.from({ length: rows }, (_, i) => ({
    id: i + 1,
    name: `Employee ${i + 1}`,
    datetime: `${new Date(start + Math.floor(rnd() * span)).toISOString().slice(0, 19)}Z`,
    department_id: 1 + Math.floor(rnd() * 12),
    job_id: 1 + Math.floor(rnd() * 183),
  }));
}

async function once(root: string, dialect: 'sqlite' | 'postgres', rows: ReturnType<typeof hires>, tag: string) {
  const { db, drop } = await open(root, dialect, tag);
  try {
    await db.migrate();
    await db.insertBatch('departments', Array.from({ length: 12 }, (_, i) => ({ id: i + 1, department: `D${i + 1}` })));
    await db.insertBatch('jobs', Array.from({ length: 183 }, (_, i) => ({ id: i + 1, job: `J${i + 1}` })));
    const now = Date.now();
    const { task } = await db.tasks.enqueue({ file_name: 'hired_employees.csv', file_version: tag, table_name: 'hired_employees', bytes_total: 0 }, now);
    await db.tasks.claim('bench', now, 3_600_000);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      await db.insertBatch('hired_employees', rows.slice(i, i + BATCH), {
        taskId: task.id,
        owner: 'bench',
        line: i + BATCH,
        fromLine: i,
        bytesRead: i + BATCH,
        rejects: [],
      });
    }
    const wall = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const asked = performance.now();
    await db.reports.hiredByQuarter(2021);
    return { wall, cpu: (used.user + used.system) / 1e6, firstReport: (performance.now() - asked) / 1000 };
  } finally {
    await db.close();
    await drop();
  }
}

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' }, against: { type: 'string' }, only: { type: 'string', default: 'sqlite,postgres' } },
});
const rows = hires(Number(values.rows));
const roots = [HERE, ...(values.against ? [resolve(values.against)] : [])];
const dialects = (values.only ?? '').split(',') as ('sqlite' | 'postgres')[];
const results = new Map<string, { wall: number[]; cpu: number[]; firstReport: number[] }>();
for (let run = 1; run <= Number(values.runs); run++) {
  for (const dialect of dialects) {
    for (const root of run % 2 === 0 ? [...roots].reverse() : roots) {
      const r = await once(root, dialect, rows, `${run}_${roots.indexOf(root)}`);
      const key = `${dialect} ${root}`;
      const acc = results.get(key) ?? { wall: [], cpu: [], firstReport: [] };
      acc.wall.push(r.wall);
      acc.cpu.push(r.cpu);
      acc.firstReport.push(r.firstReport);
      results.set(key, acc);
      console.error(`run ${run} ${key}: ${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU (this process), first report ${r.firstReport.toFixed(2)} s`);
    }
  }
}
for (const [key, r] of results) {
  console.log(`${key}: wall median ${median(r.wall).toFixed(2)} s, min ${Math.min(...r.wall).toFixed(2)} s; CPU median ${median(r.cpu).toFixed(2)} s, min ${Math.min(...r.cpu).toFixed(2)} s; first report median ${median(r.firstReport).toFixed(2)} s (${r.wall.length} runs)`);
}
