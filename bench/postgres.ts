/**
 * PostgreSQL: `hiredb load hired_employees.csv` (raw file, validated, rejects kept) into a fresh schema
 * that HireDB migrates itself, against `psql -c "\copy hired_employees FROM 'clean.csv' WITH (FORMAT csv)"`
 * of the pre-cleaned rows into a table with only a primary key (the columns and types of
 * sql/postgres/001_init.sql): the physical limit for this table.
 */
import { join } from 'node:path';
import type { DataSet } from './generate.ts';
import { REPO_DIR } from './generate.ts';
import { loadDataSet, workDir } from './hiredb.ts';
import { measure, median, run } from './measure.ts';
import { checkpoint, countRows, freshSchema, hiredbPgUrl, psqlEnv } from './pg.ts';
import { compare, othersNote, round, summarize, type Log, type PathResult, type Sample } from './results.ts';
import { createTableSql } from './sqlite.ts';
import { ensureCommand } from './tools.ts';
import { quietRun } from './quiet.ts';

export const PG_TABLE_SQL = () => createTableSql(join(REPO_DIR, 'sql', 'postgres', '001_init.sql'), 'hired_employees');

/** psql with the bench database in `schema`; stops at the first error. */
export function psql(schema: string, commands: string[], cwd?: string) {
  return run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...commands.flatMap((c) => ['-c', c])], { env: psqlEnv(schema), cwd });
}

export async function benchPostgres(data: DataSet, runs: number, log: Log) {
  const results: Record<string, PathResult> = {};
  const problems: string[] = [];
  const havePsql = ensureCommand('psql', 'postgresql-client', log);
  if (!havePsql) problems.push('psql missing and could not be installed: the \\copy comparison is skipped');
  const work = await workDir('postgres');
  try {
    const hiredb: Sample[] = [];
    const startup: number[] = [];
    const reference: Sample[] = [];
    for (let r = 1; r <= runs; r++) {
      const load = await quietRun(`postgres run ${r} hiredb load`, log, async () => {
        const { schema, drop } = await freshSchema('hiredb');
        const l = await loadDataSet(hiredbPgUrl(schema), data, work.dir, { beforeTimed: checkpoint, log });
        await drop();
        log(`postgres run ${r}/${runs}: hiredb load ${l.measured.seconds.toFixed(2)} s, peak RSS ${l.measured.peakRssMb?.toFixed(0)} MB${othersNote(l.measured)}`);
        return { ...l, otherCpuCores: l.measured.otherCpuCores };
      });
      problems.push(...load.problems.map((p) => `postgres run ${r}: ${p}`));
      hiredb.push({ ...load.measured, attempts: load.attempts });
      startup.push(load.dimsMeasured.seconds);
      if (havePsql) {
        const m = await quietRun(`postgres run ${r} psql \\copy`, log, async () => {
          const { schema, drop } = await freshSchema('copy');
          await psql(schema, [PG_TABLE_SQL()]);
          await checkpoint();
          const one = await measure(
            'psql',
            ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy hired_employees FROM '${data.cleanFile}' WITH (FORMAT csv)`],
            { env: psqlEnv(schema), cwd: work.dir, log, partOfWork: ['postgres'] },
          );
          if (one.code !== 0) throw new Error(`psql \\copy failed: ${one.stderr.trim().slice(0, 2000)}`);
          const count = await countRows(schema, 'hired_employees');
          if (count !== data.cleanRows) problems.push(`psql \\copy run ${r}: ${count} rows, expected ${data.cleanRows}`);
          await drop();
          log(`postgres run ${r}/${runs}: psql \\copy ${one.seconds.toFixed(2)} s${othersNote(one)}`);
          return one;
        });
        reference.push(m);
      }
    }
    results.postgres = summarize(data.rows, hiredb, { tool: 'hiredb load (PostgreSQL)', startup_s: round(median(startup), 3) });
    if (reference.length) {
      results.psql_copy = summarize(data.cleanRows, reference, { tool: 'psql \\copy (clean rows, PK-only table)' });
      compare(results.postgres, results.psql_copy, 'psql_copy');
    }
  } finally {
    await work.remove();
  }
  return { results, problems };
}
