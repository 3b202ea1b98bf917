/**
 * pgloader (Debian package `pgloader`, installed when missing) on the RAW file, bad rows included, into
 * a table like the \copy reference's (only a primary key, NOT NULL columns), keeping its reject files.
 * Empty fields become NULL, so rows with a missing field are rejected by PostgreSQL (pgloader then
 * retries its batch in smaller pieces); rows with unknown department or job ids are loaded, since a
 * PK-only table cannot know them. It runs under a time limit; its rate is the rows in the table
 * afterwards over the time it ran.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSet } from './generate.ts';
import { workDir } from './hiredb.ts';
import { measure } from './measure.ts';
import { PG_URL, checkpoint, countRows, freshSchema } from './pg.ts';
import { psql, PG_TABLE_SQL } from './postgres.ts';
import { round, summarize, type Log, type PathResult, type Sample } from './results.ts';
import { ensureCommand } from './tools.ts';

function commandFile(file: string, schema: string): string {
  const url = new URL(PG_URL);
  url.search = '';
  const blank = '[null if blanks]';
  return `LOAD CSV
  FROM '${file}' (id ${blank}, name ${blank}, datetime ${blank}, department_id ${blank}, job_id ${blank})
  INTO ${url.toString()}
  TARGET TABLE ${schema}.hired_employees
  TARGET COLUMNS (id, name, datetime, department_id, job_id)
  WITH fields optionally enclosed by '"',
       fields escaped by double-quote,
       fields terminated by ','
  SET timezone to 'UTC';
`;
}

async function countLines(dir: string, suffix: string): Promise<{ files: string[]; lines: number }> {
  const files: string[] = [];
  let lines = 0;
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(suffix)) {
        files.push(p);
        const text = await readFile(p, 'utf8');
        lines += text.split('\n').filter((l) => l !== '').length;
      }
    }
  };
  await walk(dir);
  return { files, lines };
}

export async function benchPgloader(data: DataSet, runs: number, timeoutS: number, log: Log) {
  const results: Record<string, PathResult> = {};
  const problems: string[] = [];
  if (!ensureCommand('pgloader', 'pgloader', log)) {
    const msg = 'pgloader is missing and `apt-get install -y pgloader` failed: the pgloader comparison is skipped';
    log(msg);
    problems.push(msg);
    return { results, problems };
  }
  const work = await workDir('pgloader');
  try {
    const samples: (Sample & { loaded: number; timedOut: boolean; rejects: number })[] = [];
    for (let r = 1; r <= runs; r++) {
      const { schema, drop } = await freshSchema('pgloader');
      await psql(schema, [PG_TABLE_SQL()]);
      const runDir = join(work.dir, `run-${r}`);
      const cmdFile = join(work.dir, `run-${r}.load`);
      await writeFile(cmdFile, commandFile(data.hiredFile, schema));
      await checkpoint();
      log(`pgloader run ${r}/${runs}: up to ${timeoutS} s…`);
      const m = await measure('pgloader', ['--root-dir', runDir, '--logfile', join(runDir, 'pgloader.log'), cmdFile], {
        cwd: work.dir,
        timeoutMs: timeoutS * 1000,
        log,
      });
      if (!m.timedOut && m.code !== 0) {
        problems.push(`pgloader run ${r} exited with ${m.code}: ${(m.stderr || m.stdout).trim().split('\n').slice(-5).join(' | ')}`);
      }
      const loaded = await countRows(schema, 'hired_employees');
      const rejects = await countLines(runDir, '.dat');
      samples.push({ seconds: m.seconds, peakRssMb: m.peakRssMb, otherCpuCores: m.otherCpuCores, loaded, timedOut: m.timedOut, rejects: rejects.lines });
      log(
        `pgloader run ${r}/${runs}: ${loaded.toLocaleString('en-US')} rows in ${m.seconds.toFixed(1)} s` +
          `${m.timedOut ? ' (time limit reached)' : ''}, ${rejects.lines} rejected rows in ${rejects.files.length} reject file(s)`,
      );
      await drop();
    }
    // Rate per run = rows it loaded / time it ran; the median run by rate is reported.
    const rates = samples.map((s) => s.loaded / s.seconds);
    const order = rates.map((_, i) => i).sort((a, b) => rates[a] - rates[b]);
    const mid = samples[order[Math.floor((order.length - 1) / 2)]];
    const summary = summarize(mid.loaded, samples);
    results.pgloader = {
      ...summary,
      rows: mid.loaded,
      seconds: round(mid.seconds, 3),
      rows_per_s: Math.round(mid.loaded / mid.seconds),
      tool: 'pgloader (raw file, PK-only table, rejects kept)',
      file_rows: data.rows,
      timed_out: mid.timedOut,
      time_limit_s: timeoutS,
      rejected_rows: mid.rejects,
      runs_rows: samples.map((s) => s.loaded),
    };
  } finally {
    await work.remove();
  }
  return { results, problems };
}
