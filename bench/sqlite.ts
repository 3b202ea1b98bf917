/**
 * SQLite: `hiredb load hired_employees.csv` (raw file, every row validated, rejects kept) against the
 * sqlite3 shell's `.import --csv` of the pre-cleaned rows into a table with the same schema as
 * sql/sqlite/001_init.sql's hired_employees. Each side's rows/s counts the rows of the file it was given.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSet } from './generate.ts';
import { REPO_DIR } from './generate.ts';
import { loadDataSet, workDir } from './hiredb.ts';
import { measure, median, run } from './measure.ts';
import { compare, othersNote, round, summarize, type Log, type PathResult, type Sample } from './results.ts';
import { ensureCommand } from './tools.ts';
import { quietRun } from './quiet.ts';

/** The CREATE TABLE statement of `table` in a migration file, so the reference tracks the real schema. */
export function createTableSql(file: string, table: string): string {
  const text = readFileSync(file, 'utf8');
  const m = new RegExp(`CREATE TABLE ${table} \\([\\s\\S]*?\\n\\);`).exec(text);
  if (!m) throw new Error(`no CREATE TABLE ${table} in ${file}`);
  return m[0];
}

async function removeDb(file: string) {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) await rm(f, { force: true });
}

export interface SqliteOutcome {
  results: Record<string, PathResult>;
  problems: string[];
}

export async function benchSqlite(data: DataSet, runs: number, log: Log): Promise<SqliteOutcome> {
  const results: Record<string, PathResult> = {};
  const problems: string[] = [];
  const haveShell = ensureCommand('sqlite3', 'sqlite3', log);
  if (!haveShell) problems.push('sqlite3 shell missing and could not be installed: the .import comparison is skipped');
  const schema = createTableSql(join(REPO_DIR, 'sql', 'sqlite', '001_init.sql'), 'hired_employees');
  const work = await workDir('sqlite');
  try {
    const hiredb: Sample[] = [];
    const startup: number[] = [];
    const reference: Sample[] = [];
    for (let r = 1; r <= runs; r++) {
      const load = await quietRun(`sqlite run ${r} hiredb load`, log, async () => {
        const dbFile = join(work.dir, 'hiredb.sqlite');
        const l = await loadDataSet(`sqlite:${dbFile}`, data, work.dir, { log });
        await removeDb(dbFile);
        log(`sqlite run ${r}/${runs}: hiredb load ${l.measured.seconds.toFixed(2)} s, peak RSS ${l.measured.peakRssMb?.toFixed(0)} MB${othersNote(l.measured)}`);
        return { ...l, otherCpuCores: l.measured.otherCpuCores };
      });
      problems.push(...load.problems.map((p) => `sqlite run ${r}: ${p}`));
      hiredb.push({ ...load.measured, attempts: load.attempts });
      startup.push(load.dimsMeasured.seconds);

      if (haveShell) {
        const m = await quietRun(`sqlite run ${r} sqlite3 .import`, log, async () => {
          const refFile = join(work.dir, 'reference.sqlite');
          await run('sqlite3', [refFile, schema]);
          const one = await measure('sqlite3', [refFile, `.import --csv ${data.cleanFile} hired_employees`], { cwd: work.dir, log });
          if (one.code !== 0) throw new Error(`sqlite3 .import failed: ${one.stderr.trim().slice(0, 2000)}`);
          const count = Number((await run('sqlite3', [refFile, 'SELECT count(*) FROM hired_employees'])).trim());
          if (count !== data.cleanRows) problems.push(`sqlite3 .import run ${r}: ${count} rows, expected ${data.cleanRows}`);
          await removeDb(refFile);
          log(`sqlite run ${r}/${runs}: sqlite3 .import ${one.seconds.toFixed(2)} s${othersNote(one)}`);
          return one;
        });
        reference.push(m);
      }
    }
    results.sqlite = summarize(data.rows, hiredb, { tool: 'hiredb load (SQLite)', startup_s: round(median(startup), 3) });
    if (reference.length) {
      results.sqlite3_import = summarize(data.cleanRows, reference, { tool: 'sqlite3 .import --csv (clean rows)' });
      compare(results.sqlite, results.sqlite3_import, 'sqlite3_import');
    }
  } finally {
    await work.remove();
  }
  return { results, problems };
}
