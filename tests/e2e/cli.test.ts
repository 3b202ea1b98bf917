// The `hiredb` CLI as real processes on a temporary SQLite file: load, rejects, report, tasks, migrate, errors.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, runCli, startServer, tempHome, type TempHome } from '../helpers/processes.ts';
import { expectedSample, normaliseRejects, SAMPLE_FILES, type Table } from '../helpers/sample.ts';

const expected = expectedSample();
const LOAD_KEYS = ['already_exists', 'file', 'inserted', 'processed', 'rejected', 'table', 'task_id'];

const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

describe('load, rejects, report and tasks on one database', () => {
  let home: TempHome;
  let firstLoad: { file: string; table: Table; task_id: number; processed: number; inserted: number; already_exists: number; rejected: number }[];
  const cli = (args: string[]) => runCli(args, { env: home.env, cwd: home.dir });

  beforeAll(async () => {
    home = await tempHome();
  });
  afterAll(async () => {
    await home?.cleanup();
  });

  it('load --json prints one object per file, in dependency order, and exits 0', async () => {
    // hired_employees given first: it must still load last.
    const args = [SAMPLE_FILES.hired_employees, SAMPLE_FILES.jobs, SAMPLE_FILES.departments];
    const res = await cli(['load', ...args, '--json']);
    expect(res.code, res.stderr).toBe(0);
    firstLoad = jsonLines(res.stdout);
    expect(firstLoad.map((r) => r.table)).toEqual(['departments', 'jobs', 'hired_employees']);
    for (const r of firstLoad) {
      expect(Object.keys(r).sort()).toEqual(LOAD_KEYS);
      expect(r.file).toBe(SAMPLE_FILES[r.table]);
      expect(r.task_id).toEqual(expect.any(Number));
      const e = expected.files[r.table];
      expect({ processed: r.processed, inserted: r.inserted, already_exists: r.already_exists, rejected: r.rejected }).toEqual({
        processed: e.processed,
        inserted: e.inserted,
        already_exists: e.already_exists,
        rejected: e.rejected,
      });
    }
    expect(new Set(firstLoad.map((r) => r.task_id)).size).toBe(3);
  });

  it('loading the same unchanged files again answers their tasks without loading them again', async () => {
    const res = await cli(['load', SAMPLE_FILES.departments, SAMPLE_FILES.hired_employees, SAMPLE_FILES.jobs, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(jsonLines(res.stdout)).toEqual(firstLoad);
    expect(res.stderr).toMatch(/was already loaded by task \d+ and has not changed since; --restart loads it again/);
  });

  it('load --restart loads them again as new tasks, which give only already_exists (and the same rejects)', async () => {
    const res = await cli(['load', SAMPLE_FILES.departments, SAMPLE_FILES.hired_employees, SAMPLE_FILES.jobs, '--restart', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const again = jsonLines(res.stdout);
    expect(again.map((r: { table: string }) => r.table)).toEqual(['departments', 'jobs', 'hired_employees']);
    for (const r of again) {
      const e = expected.reload[r.table as Table];
      expect(r).toMatchObject({ processed: e.processed, inserted: 0, already_exists: e.already_exists, rejected: e.rejected });
      expect(firstLoad.map((f) => f.task_id)).not.toContain(r.task_id);
    }
  });

  it('rejects <id> --json prints one {line, id, raw, reasons} per line, matching the independent computation', async () => {
    const hired = firstLoad.find((r) => r.table === 'hired_employees')!;
    const res = await cli(['rejects', String(hired.task_id), '--json']);
    expect(res.code, res.stderr).toBe(0);
    const rejects = jsonLines(res.stdout);
    expect(res.stdout.split('\n').filter(Boolean)).toHaveLength(rejects.length);
    for (const r of rejects) expect(Object.keys(r).sort()).toEqual(['id', 'line', 'raw', 'reasons']);
    expect(normaliseRejects(rejects)).toEqual(expected.files.hired_employees.rejects);

    const none = await cli(['rejects', String(firstLoad[0].task_id), '--json']);
    expect(none.stdout).toBe('');
    const missing = await cli(['rejects', '9999', '--json']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/9999/);
  });

  it('report --format json equals the independent computation and the API JSON; csv equals the API CSV', async () => {
    const [q, a, q2022, csv] = await Promise.all([
      cli(['report', 'hired-by-quarter', '--format', 'json']),
      cli(['report', 'hiring-above-average', '--year', '2021', '--format', 'json']),
      cli(['report', 'hired-by-quarter', '--year', '2022', '--format', 'json']),
      cli(['report', 'hired-by-quarter', '--format', 'csv']),
    ]);
    for (const r of [q, a, q2022, csv]) expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toStrictEqual(expected.hiredByQuarter2021);
    expect(JSON.parse(a.stdout)).toStrictEqual(expected.hiringAboveAverage2021);

    const server = await startServer(['serve', '--no-loader'], { env: home.env, cwd: home.dir });
    try {
      const apiQ = await http(`${server.url}/api/v1/reports/hired-by-quarter`);
      const apiA = await http(`${server.url}/api/v1/reports/hiring-above-average?year=2021`);
      const apiQ2022 = await http(`${server.url}/api/v1/reports/hired-by-quarter?year=2022`);
      const apiCsv = await http(`${server.url}/api/v1/reports/hired-by-quarter?format=csv`);
      expect(q.stdout.trim()).toBe(apiQ.text.trim());
      expect(a.stdout.trim()).toBe(apiA.text.trim());
      expect(q2022.stdout.trim()).toBe(apiQ2022.text.trim());
      expect(csv.stdout).toBe(apiCsv.text);
      // --no-loader: the server queued nothing of its own.
      expect((await http(`${server.url}/api/v1/tasks`)).body.total).toBe(6);
    } finally {
      await server.stop();
    }
  });

  it('report with a bad year or an unknown report exits non-zero with a message', async () => {
    const [year, name, format] = await Promise.all([
      cli(['report', 'hired-by-quarter', '--year', 'abc', '--format', 'json']),
      cli(['report', 'hired-by-month']),
      cli(['report', 'hired-by-quarter', '--format', 'xml']),
    ]);
    expect(year.code).not.toBe(0);
    expect(year.stderr).toMatch(/year/);
    expect(name.code).not.toBe(0);
    expect(name.stderr.length).toBeGreaterThan(0);
    expect(format.code).not.toBe(0);
  });

  it('report --format table prints a table with the report columns', async () => {
    const res = await cli(['report', 'hiring-above-average']);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['id', 'department', 'hired']);
    expect(lines).toHaveLength(3 + expected.hiringAboveAverage2021.length);
    expect(lines[2]).toContain(expected.hiringAboveAverage2021[0].department);
    expect(lines.at(-1)).toBe(`(${expected.hiringAboveAverage2021.length} rows)`);
  });

  it('tasks --json lists the six loads, done, with their summaries', async () => {
    // Its own database, loaded twice here (the second time with --restart, as new tasks), so that it does not
    // depend on the tests before it.
    const own = await tempHome();
    const cli = (args: string[]) => runCli(args, { env: own.env, cwd: own.dir });
    try {
      for (let i = 0; i < 2; i++) {
        const load = await cli(['load', SAMPLE_FILES.departments, SAMPLE_FILES.jobs, SAMPLE_FILES.hired_employees, '--json', ...(i ? ['--restart'] : [])]);
        expect(load.code, load.stderr).toBe(0);
      }
      const res = await cli(['tasks', '--json']);
      expect(res.code, res.stderr).toBe(0);
      const tasks = JSON.parse(res.stdout) as { id: number; status: string; summary: Record<string, number> }[];
      expect(tasks).toHaveLength(6);
      expect(tasks.map((t) => t.id)).toEqual([...tasks.map((t) => t.id)].sort((x, y) => y - x));
      for (const t of tasks) {
        expect(t.status).toBe('done');
        expect(t.summary.processed).toBe(t.summary.inserted + t.summary.already_exists + t.summary.rejected);
      }
      const text = await cli(['tasks']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/hired_employees\.csv/);
    } finally {
      await own.cleanup();
    }
  });

  it('a missing file exits non-zero with a message naming it, and loads nothing', async () => {
    const missing = join(home.dir, 'departments_missing.csv');
    const res = await cli(['load', SAMPLE_FILES.jobs, missing, '--json']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(missing);
    const tasks = JSON.parse((await cli(['tasks', '--json'])).stdout);
    expect(tasks).toHaveLength(6);
  });

  it('a file whose table cannot be told exits non-zero', async () => {
    const other = join(home.dir, 'salaries.csv');
    writeFileSync(other, '1,100\n');
    const res = await cli(['load', other]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/salaries\.csv/);
  });
});

describe('configuration and database errors', () => {
  let home: TempHome;
  beforeAll(async () => {
    home = await tempHome();
  });
  afterAll(async () => {
    await home?.cleanup();
  });

  it('migrate exits 0 and creates the database', async () => {
    const res = await runCli(['migrate'], { env: home.env, cwd: home.dir });
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(home.dbFile)).toBe(true);
    const again = await runCli(['migrate'], { env: home.env, cwd: home.dir });
    expect(again.code, again.stderr).toBe(0);
  });

  it('a bad env value stops start-up with a non-zero exit that names the variable', async () => {
    const cases = [
      ['PORT', 'abc'],
      ['LOAD_SCHEDULE', 'every now and then'],
      ['DATABASE_URL', 'mysql://nope'],
      ['BATCH_SIZE', '0'],
    ] as const;
    const results = await Promise.all(
      cases.map(([name, value]) => runCli(['serve'], { env: { ...home.env, [name]: value }, cwd: home.dir, timeoutMs: 20_000 })),
    );
    cases.forEach(([name, value], i) => {
      const res = results[i];
      expect(res.code, `${name}=${value}`).not.toBe(0);
      expect(res.code, `${name}=${value}`).not.toBeNull();
      expect(res.stderr, `${name}=${value}`).toContain(name);
    });
  });

  it('a database that cannot be used exits non-zero with a message', async () => {
    const notADir = join(home.dir, 'plain-file');
    writeFileSync(notADir, 'x');
    const res = await runCli(['load', SAMPLE_FILES.departments, '--json'], {
      env: { ...home.env, DATABASE_URL: `sqlite:${join(notADir, 'db.sqlite')}` },
      cwd: home.dir,
    });
    expect(res.code).not.toBe(0);
    expect(res.code).not.toBeNull();
    expect(res.stderr.trim().length).toBeGreaterThan(0);
  });

  it('an unknown command exits non-zero and prints the usage', async () => {
    const res = await runCli(['frobnicate'], { env: home.env, cwd: home.dir });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/Usage/);
  });
});
