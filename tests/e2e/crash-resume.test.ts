// Several loaders, no lost or doubled rows (issue 3): two real `hiredb loader` processes share one
// PostgreSQL schema; the one holding the hired_employees task is killed with SIGKILL mid-file, the other
// takes the task over once the lease has expired and resumes after the checkpoint. The final tables, the
// task's summary and its rejects must equal those of an uninterrupted `hiredb load` into another schema.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PG_TEST_URL } from '../helpers/databases.ts';
import { HIREDB_BIN, runCli, waitFor } from '../helpers/processes.ts';
import { Model } from '../helpers/sample.ts';

const ROWS = 200_000;
const LEASE_MS = 3_000;

// ---------------------------------------------------------------------------------------------------
// The files: generated here, deterministic, with bad rows of every kind spread over the whole file.

const DEPARTMENTS = 12;
const JOBS = 183;

function departmentsFile(): string {
  const lines = ['id,department'];
  for (let i = 1; i <= DEPARTMENTS; i++) lines.push(`${i},Department ${i}`);
  lines.push('13,', 'x,Bad id', '3,Duplicate of 3');
  return lines.join('\n') + '\n';
}

function jobsFile(): string {
  const lines: string[] = [];
  for (let i = 1; i <= JOBS; i++) lines.push(i % 40 === 0 ? `${i},"Job, grade ${i}"` : `${i},Job ${i}`);
  lines.push(',No id', '200');
  return lines.join('\r\n') + '\r\n';
}

/**
 * ~200 000 hires. About 1 in 100 records is bad: missing fields, wrong field counts, unknown departments
 * and jobs, impossible datetimes, and duplicate ids — some of the duplicates repeat an id from early in
 * the file far later, so they straddle whatever checkpoint the killed loader left behind.
 */
function hiredEmployeesFile(): { text: string; lines: number } {
  const out: string[] = ['id,name,datetime,department_id,job_id'];
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  for (let i = 1; i <= ROWS; i++) {
    if (i % 25_000 === 0) out.push(''); // blank lines are ignored but still count as lines
    const year = 2020 + (i % 3);
    const dt = `${year}-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}T${pad(i % 24)}:${pad(i % 60)}:${pad((i * 7) % 60)}`;
    const datetime = i % 5 === 0 ? `${dt}.${pad(i % 1000, 3)}Z` : i % 5 === 1 ? `${dt}+05:30` : i % 5 === 2 ? dt : `${dt}Z`;
    const name = i % 50 === 0 ? `"Surname ${i}, Given"` : `Person ${i}`;
    const dept = 1 + (i % DEPARTMENTS);
    const job = 1 + ((i * 31) % JOBS);
    let line = `${i},${name},${datetime},${dept},${job}`;
    if (i % 1_009 === 0) line = `${i},,${datetime},${dept},${job}`; // missing_name
    else if (i % 1_511 === 0) line = `${i},${name},,${dept},${job}`; // missing_datetime
    else if (i % 2_003 === 0) line = `${i},${name},${datetime},99,${job}`; // unknown_department
    else if (i % 2_503 === 0) line = `${i},${name},${datetime},${dept},999`; // unknown_job
    else if (i % 3_001 === 0) line = `${i},${name},${datetime},${dept}`; // field_count
    else if (i % 3_499 === 0) line = `${i},${name},2021-02-29T10:00:00Z,${dept},${job}`; // invalid_datetime
    else if (i % 4_001 === 0) line = `${i - 1},Again ${i},${datetime},${dept},${job}`; // duplicate of the previous record
    else if (i % 5_003 === 0) line = `${1 + (i % 997)},Early again ${i},${datetime},${dept},${job}`; // duplicate from far back
    else if (i % 7_001 === 0) line = `${i},"  Spaced ${i}  ",${datetime},${dept},${job}`; // trimmed
    out.push(line);
  }
  // A few ids first seen late in the file, then repeated at its very end.
  for (const id of [ROWS - 3, ROWS - 2, 150_001]) out.push(`${id},Last again,2021-06-01T00:00:00Z,1,1`);
  out.push(`${ROWS + 1},Final person,2021-12-31T23:59:59.999999Z,${DEPARTMENTS},${JOBS}`);
  return { text: out.join('\n') + '\n', lines: out.length };
}

// ---------------------------------------------------------------------------------------------------
// Processes and schemas

const admin = new pg.Pool({ connectionString: PG_TEST_URL, max: 2 });
admin.on('error', () => {});
const suffix = randomBytes(5).toString('hex');
const LIVE = `t_crash_${suffix}`;
const REFERENCE = `t_ref_${suffix}`;
let dir = '';
let blobDir = '';
const loaders: Loader[] = [];

interface Loader {
  child: ChildProcess;
  pid: number;
  /** The application_name of its database connections. */
  appName: string;
  exited: Promise<void>;
  output(): string;
}

/** A DATABASE_URL that puts HireDB in `schema`, as the README tells users to do. */
function databaseUrl(schema: string, appName?: string): string {
  const base = PG_TEST_URL.includes('?') ? `${PG_TEST_URL}&` : `${PG_TEST_URL}?`;
  const app = appName ? `&application_name=${encodeURIComponent(appName)}` : '';
  return `${base}options=${encodeURIComponent(`-c search_path=${schema}`)}${app}`;
}

function env(schema: string, appName?: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(schema, appName),
    BLOB_DIR: blobDir,
    LOAD_SCHEDULE: '*/1 * * * * *',
    BATCH_SIZE: '1000',
    // Commit units of ten parse batches: the kill lands inside a unit spanning several of them.
    LOAD_COMMIT_ROWS: '10000',
    LOAD_LEASE_MS: String(LEASE_MS),
  };
}

/** `hiredb loader` as a child process, with nothing of this process's HireDB configuration leaking in. */
function startLoader(schema: string): Loader {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(base)) {
    if (/^(DATABASE_URL|BLOB_DIR|PORT|HOST|LOAD_|BATCH_SIZE|AZURE_|HIREDB_|NODE_OPTIONS$|VITEST)/.test(key)) delete base[key];
  }
  const appName = `hiredb-crash-${suffix}-${loaders.length}`;
  const child = spawn(process.execPath, [HIREDB_BIN, 'loader'], {
    cwd: dir,
    env: { ...base, NO_COLOR: '1', ...env(schema, appName) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const loader = { child, pid: child.pid!, appName, exited, output: () => text };
  loaders.push(loader);
  return loader;
}

async function kill(loader: Loader): Promise<void> {
  if (loader.child.exitCode === null && loader.child.signalCode === null) loader.child.kill('SIGKILL');
  await loader.exited;
}

const q = async <T = Record<string, any>>(sql: string, values?: unknown[]): Promise<T[]> => (await admin.query(sql, values)).rows as T[];

interface TaskRow {
  id: number;
  status: string;
  checkpoint_line: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  attempts: number;
  error: string | null;
}
const hiredTask = async (schema: string): Promise<TaskRow | undefined> =>
  (
    await q<TaskRow>(
      `SELECT id::int, status, checkpoint_line::int, lease_owner, lease_expires_at::float8 AS lease_expires_at, attempts, error
       FROM ${schema}.tasks
       WHERE table_name = 'hired_employees'`,
    )
  )[0];

/** The pid in a loader's lease owner (`host:pid:random`). */
const pidOf = (owner: string | null): number | null => (owner ? Number(owner.split(':').at(-2)) : null);

let generated: { text: string; lines: number };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hiredb-crash-'));
  blobDir = join(dir, 'blob');
  await mkdir(blobDir);
  generated = hiredEmployeesFile();
  await writeFile(join(blobDir, 'departments.csv'), departmentsFile());
  await writeFile(join(blobDir, 'jobs.csv'), jobsFile());
  await writeFile(join(blobDir, 'hired_employees.csv'), generated.text);
  // The URL's search_path names the schema; HireDB creates its tables there, not the schema itself.
  await q(`CREATE SCHEMA ${LIVE}`);
  await q(`CREATE SCHEMA ${REFERENCE}`);
});

afterAll(async () => {
  await Promise.all(loaders.map(kill));
  await q(`DROP SCHEMA IF EXISTS ${LIVE} CASCADE`).catch(() => {});
  await q(`DROP SCHEMA IF EXISTS ${REFERENCE} CASCADE`).catch(() => {});
  await admin.end();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------

it('a loader killed mid-file is taken over by another; tables, summary and rejects equal an uninterrupted run', async () => {
  // 1. The reference: the same files loaded by one uninterrupted `hiredb load`.
  const files = ['departments.csv', 'jobs.csv', 'hired_employees.csv'].map((f) => join(blobDir, f));
  const reference = await runCli(['load', ...files, '--json'], { env: env(REFERENCE), cwd: dir, timeoutMs: 60_000 });
  expect(reference.code, reference.stderr).toBe(0);
  const refResults = reference.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const refHired = refResults.find((r) => r.table === 'hired_employees');
  // The reference itself agrees with an independent reading of the data rules.
  const model = new Model();
  model.load('departments', departmentsFile());
  model.load('jobs', jobsFile());
  const expected = model.load('hired_employees', generated.text);
  expect(refHired).toMatchObject({
    processed: expected.processed,
    inserted: expected.inserted,
    already_exists: 0,
    rejected: expected.rejected,
  });
  expect(expected.rejected).toBeGreaterThan(500);
  expect(new Set(expected.rejects.flatMap((r) => r.reasons))).toEqual(
    new Set(['missing_name', 'missing_datetime', 'unknown_department', 'unknown_job', 'field_count', 'invalid_datetime', 'duplicate_id']),
  );

  // 2. Two loaders share the live schema.
  const a = startLoader(LIVE);
  const b = startLoader(LIVE);
  const totalLines = generated.lines;
  const running = await waitFor(
    'the hired_employees task to be running past 20% of the file',
    async () => {
      const t = await hiredTask(LIVE).catch(() => undefined); // tables appear once a loader has migrated
      if (t?.status === 'done' || t?.status === 'failed') return t; // too late: fails below
      return t && t.status === 'running' && t.checkpoint_line > totalLines * 0.2 ? t : undefined;
    },
    40_000,
    10,
  );
  expect(running.status, `the task ended before the kill: ${JSON.stringify(running)}`).toBe('running');
  const holder = [a, b].find((l) => l.pid === pidOf(running.lease_owner));
  expect(holder, `lease owner ${running.lease_owner} is neither ${a.pid} nor ${b.pid}`).toBeDefined();
  const survivor = holder === a ? b : a;
  await kill(holder!);

  // Whatever the killed loader committed is all it will ever commit: mid-file, and still its lease. Its
  // server backends end once they have finished what they were doing (a COMMIT in flight included).
  expect((await q(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [survivor.appName]))[0].n).toBeGreaterThan(0);
  await waitFor(
    'the killed loader\'s database connections to end',
    async () => ((await q(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [holder!.appName]))[0].n === 0 ? true : undefined),
    10_000,
    20,
  );
  const afterKill = (await hiredTask(LIVE))!;
  expect(afterKill).toMatchObject({ status: 'running', lease_owner: running.lease_owner });
  expect(afterKill.checkpoint_line).toBeGreaterThanOrEqual(running.checkpoint_line);
  expect(afterKill.checkpoint_line).toBeLessThan(totalLines * 0.9);

  // 3. The survivor takes the task over once the lease has expired, and finishes it.
  const takenOver = await waitFor(
    'the surviving loader to take the task over',
    async () => {
      const t = await hiredTask(LIVE);
      return t && (pidOf(t.lease_owner) === survivor.pid || t.status !== 'running') ? t : undefined;
    },
    20_000,
    20,
  );
  // Not before the killed loader's lease ran out: the survivor's lease starts after it.
  if (takenOver.status === 'running') expect(takenOver.lease_expires_at! - LEASE_MS).toBeGreaterThan(afterKill.lease_expires_at!);
  const done = await waitFor(
    'the task to finish',
    async () => {
      const t = await hiredTask(LIVE);
      return t && t.status !== 'running' && t.status !== 'queued' ? t : undefined;
    },
    30_000,
    50,
  );
  expect(done, survivor.output()).toMatchObject({ status: 'done', error: null, lease_owner: null });
  expect(done.attempts).toBeGreaterThanOrEqual(2);
  // The survivor took it (it may have finished between two looks) and resumed after the checkpoint.
  if (takenOver.status === 'running') expect(pidOf(takenOver.lease_owner)).toBe(survivor.pid);
  const resumed = survivor
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'task started' && entry.file === 'hired_employees.csv');
  expect(resumed.map((entry) => entry.resume_after_line), survivor.output()).toEqual([afterKill.checkpoint_line]);

  // 4. Same rows, same summary, same rejects as the uninterrupted run.
  for (const [table, columns] of [
    ['departments', 'id, department'],
    ['jobs', 'id, job'],
    ['hired_employees', 'id, name, datetime, department_id, job_id'],
  ] as const) {
    const [counts] = await q(
      `SELECT (SELECT COUNT(*)::int FROM ${LIVE}.${table}) AS live, (SELECT COUNT(*)::int FROM ${REFERENCE}.${table}) AS reference,
        (SELECT COUNT(DISTINCT id)::int FROM ${LIVE}.${table}) AS live_ids`,
    );
    expect(counts.live, table).toBe(counts.reference);
    expect(counts.live_ids, `${table}: an id is doubled`).toBe(counts.live);
    const onlyLive = await q(`SELECT ${columns} FROM ${LIVE}.${table} EXCEPT ALL SELECT ${columns} FROM ${REFERENCE}.${table} LIMIT 5`);
    const onlyRef = await q(`SELECT ${columns} FROM ${REFERENCE}.${table} EXCEPT ALL SELECT ${columns} FROM ${LIVE}.${table} LIMIT 5`);
    expect({ onlyLive, onlyRef }, table).toEqual({ onlyLive: [], onlyRef: [] });
  }
  const [hires] = await q(`SELECT COUNT(*)::int AS n FROM ${LIVE}.hired_employees`);
  expect(hires.n).toBe(expected.inserted);

  const summary = async (schema: string) =>
    q(
      `SELECT table_name, processed::int, inserted::int, already_exists::int, rejected::int, checkpoint_line::int, status
       FROM ${schema}.tasks ORDER BY table_name`,
    );
  expect(await summary(LIVE)).toEqual(await summary(REFERENCE));
  expect(done.checkpoint_line).toBe(totalLines);

  const rejects = (schema: string) =>
    `SELECT t.table_name, r.line, r.record_id, r.raw, r.reasons FROM ${schema}.task_rejects r JOIN ${schema}.tasks t ON t.id = r.task_id`;
  const [rejectCounts] = await q(
    `SELECT (SELECT COUNT(*)::int FROM ${LIVE}.task_rejects) AS live, (SELECT COUNT(*)::int FROM ${REFERENCE}.task_rejects) AS reference`,
  );
  expect(rejectCounts.live).toBe(rejectCounts.reference);
  expect(rejectCounts.live).toBe(refResults.reduce((n, r) => n + r.rejected, 0));
  const rejectsOnlyLive = await q(`${rejects(LIVE)} EXCEPT ALL ${rejects(REFERENCE)} LIMIT 5`);
  const rejectsOnlyRef = await q(`${rejects(REFERENCE)} EXCEPT ALL ${rejects(LIVE)} LIMIT 5`);
  expect({ rejectsOnlyLive, rejectsOnlyRef }).toEqual({ rejectsOnlyLive: [], rejectsOnlyRef: [] });
  // And the rejects are the ones the rules give, line for line (reasons in any order).
  const liveHiredRejects = await q<{ line: number; record_id: string | null; raw: string; reasons: string }>(
    `SELECT r.line::int, r.record_id, r.raw, r.reasons FROM ${LIVE}.task_rejects r WHERE r.task_id = $1 ORDER BY r.line`,
    [done.id],
  );
  expect(liveHiredRejects.map((r) => ({ line: r.line, id: r.record_id, raw: r.raw, reasons: r.reasons.split(',').sort() }))).toEqual(
    expected.rejects,
  );
}, 90_000);
