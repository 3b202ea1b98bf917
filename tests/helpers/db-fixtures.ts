/**
 * Rows, tasks and reports computed independently of any database: the builders and the expected
 * results shared by the database contract tests (tests/integration/database.*.test.ts) and the SQL
 * Server adapter test.
 */
import { expect } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import type { DepartmentRow, HiredEmployeeRow, JobRow } from '../../shared/domain/tables.ts';
import { fileVersionKey, type FileVersion, type NewTask, type Task } from '../../shared/domain/task.ts';
import type { Reject } from '../../shared/domain/reasons.ts';
import {
  sortHiredByQuarter,
  sortHiringAboveAverage,
  type HiredByQuarterRow,
  type HiringAboveAverageRow,
} from '../../shared/domain/reports.ts';
import type { TestDatabase, TestDatabaseKind } from './databases.ts';

// ---------------------------------------------------------------------------------------------------
// Rows, tasks and an independent notion of "UTC day" (no database involved)

export const dept = (id: number, department: string): DepartmentRow => ({ id, department });
export const job = (id: number, name: string): JobRow => ({ id, job: name });
export const hire = (id: number, datetime: string, department_id: number, job_id: number, name = `Employee ${id}`): HiredEmployeeRow => ({
  id,
  name,
  datetime,
  department_id,
  job_id,
});

const MICROS_PER_DAY = 86_400_000_000n;

/** Microseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.ffffff][Z]` (no offset means UTC). */
export function epochMicros(iso: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z?$/.exec(iso);
  if (!m) throw new Error(`test datetime not understood: ${iso}`);
  const ms = Date.parse(`${m[1]}Z`);
  return BigInt(ms / 1000) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** `YYYY-MM-DD` of the UTC day holding that instant. */
export function dayOfMicros(micros: bigint): string {
  const days = micros >= 0n ? micros / MICROS_PER_DAY : -((-micros + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
  return new Date(Number(days) * 86_400_000).toISOString().slice(0, 10);
}

export const utcDay = (iso: string): string => dayOfMicros(epochMicros(iso));

/** A small deterministic pseudo-random sequence (tests must be repeatable). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function randomHires(ids: number[], seed: number, departments: number, jobs: number): HiredEmployeeRow[] {
  const rnd = lcg(seed);
  const start = Date.UTC(2020, 10, 1);
  const span = Date.UTC(2022, 1, 1) - start;
  return ids.map((id) => {
    const ms = start + Math.floor(rnd() * span);
    const micros = String(Math.floor(rnd() * 1_000_000)).padStart(6, '0');
    const iso = new Date(ms).toISOString().slice(0, 19);
    const form = rnd();
    // Mix of fractional (microsecond), whole-second and offset-less values.
    const datetime = form < 0.4 ? `${iso}.${micros}Z` : form < 0.8 ? `${iso}Z` : iso;
    return hire(id, datetime, 1 + Math.floor(rnd() * departments), 1 + Math.floor(rnd() * jobs));
  });
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const newTask = (file_name: string, table_name: NewTask['table_name'], extra: Partial<NewTask> = {}): NewTask => ({
  file_name,
  file_version: 'etag-1',
  table_name,
  bytes_total: 1000,
  ...extra,
});

export const reject = (line: number, id: string | null, raw: string, reasons: Reject['reasons']): Reject => ({ line, id, raw, reasons });

// ---------------------------------------------------------------------------------------------------
// Raw reads behind the port, one SQL text per dialect

export async function storedHires(t: TestDatabase, kind: TestDatabaseKind) {
  const rows =
    kind === 'sqlite'
      ? await t.query('SELECT id, name, datetime, department_id, job_id FROM hired_employees ORDER BY id')
      : await t.query(`SELECT id, name, (extract(epoch FROM datetime) * 1000000)::bigint::text AS micros,
          department_id, job_id FROM hired_employees ORDER BY id`);
  return rows.map((r) => ({
    id: Number(r.id),
    name: String(r.name),
    micros: kind === 'sqlite' ? epochMicros(String(r.datetime)) : BigInt(String(r.micros)),
    department_id: Number(r.department_id),
    job_id: Number(r.job_id),
  }));
}

/** One hire as the reports see it: department, job and UTC day. */
export interface DatedHire {
  department_id: number;
  job_id: number;
  day: string;
}

export const dated = (hires: HiredEmployeeRow[]): DatedHire[] =>
  hires.map((h) => ({ department_id: h.department_id, job_id: h.job_id, day: utcDay(h.datetime) }));

/**
 * What the database holds agrees with itself: both reports (which read hired_employees directly) equal
 * what the stored rows and names give when computed here, with the UTC day taken outside the database,
 * for every year that has hires plus one without.
 */
export async function expectAggregatesMatchStoredRows(t: TestDatabase, kind: TestDatabaseKind): Promise<void> {
  const stored = await storedHires(t, kind);
  const departments = (await t.query('SELECT id, department FROM departments')) as unknown as DepartmentRow[];
  const jobs = (await t.query('SELECT id, job FROM jobs')) as unknown as JobRow[];
  const hires = stored.map((h) => ({ department_id: h.department_id, job_id: h.job_id, day: dayOfMicros(h.micros) }));
  const years = new Set(hires.map((h) => Number(h.day.slice(0, 4))).filter((y) => y >= 1));
  years.add(1999);
  for (const year of years) {
    expect(sortHiredByQuarter(await t.db.reports.hiredByQuarter(year)), `hired-by-quarter ${year}`).toEqual(
      expectedHiredByQuarter(year, departments, jobs, hires),
    );
    expect(sortHiringAboveAverage(await t.db.reports.hiringAboveAverage(year)), `above-average ${year}`).toEqual(
      expectedAboveAverage(year, departments, hires),
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Reports computed independently from the inserted rows

export function expectedHiredByQuarter(
  year: number,
  departments: DepartmentRow[],
  jobs: JobRow[],
  hires: DatedHire[],
): HiredByQuarterRow[] {
  const byKey = new Map<string, HiredByQuarterRow>();
  for (const h of hires) {
    const day = h.day;
    if (Number(day.slice(0, 4)) !== year) continue;
    const department = departments.find((d) => d.id === h.department_id)?.department;
    const jobName = jobs.find((j) => j.id === h.job_id)?.job;
    if (department === undefined || jobName === undefined) continue; // the reports join on both
    const key = `${department}\u0000${jobName}`;
    const row = byKey.get(key) ?? { department, job: jobName, Q1: 0, Q2: 0, Q3: 0, Q4: 0 };
    const quarter = `Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}` as 'Q1' | 'Q2' | 'Q3' | 'Q4';
    row[quarter]++;
    byKey.set(key, row);
  }
  return sortHiredByQuarter([...byKey.values()]);
}

export function expectedAboveAverage(year: number, departments: DepartmentRow[], hires: DatedHire[]): HiringAboveAverageRow[] {
  const hired = new Map(departments.map((d) => [d.id, 0]));
  for (const h of hires) {
    if (Number(h.day.slice(0, 4)) === year && hired.has(h.department_id)) hired.set(h.department_id, hired.get(h.department_id)! + 1);
  }
  const total = [...hired.values()].reduce((a, b) => a + b, 0);
  const rows = departments
    .filter((d) => hired.get(d.id)! * departments.length > total)
    .map((d) => ({ id: d.id, department: d.department, hired: hired.get(d.id)! }));
  return sortHiringAboveAverage(rows);
}

/** Enqueues a task and claims it for `owner`; fails the test if another task is claimed. */
export async function claimRunningTask(
  db: Database,
  owner: string,
  table: NewTask['table_name'] = 'hired_employees',
  now = 1_000,
): Promise<Task> {
  const { task } = await db.tasks.enqueue(newTask(`${table}_${owner}.csv`, table), now);
  const claimed = await db.tasks.claim(owner, now, 60_000);
  expect(claimed?.id).toBe(task.id);
  return claimed!;
}

// ---------------------------------------------------------------------------------------------------
// Which file versions are queued (TaskRepository.queuedVersions), on an empty tasks table

const fileVersion = (file_name: string, file_version = 'etag-1'): FileVersion => ({ file_name, file_version });
const versionKeys = (versions: FileVersion[]) => new Set(versions.map(fileVersionKey));

/**
 * Known versions whatever their task's state (queued, failed, done), a version only another version of the
 * file has, one only a slice task has, one never queued, a name long enough for SQL Server to hash its key.
 */
export async function expectQueuedVersionsAnswered(db: Database): Promise<void> {
  const odd = `hired_employees "q", {a,b} \\ ' é 😀 ${'x'.repeat(600)}.csv`;
  await db.tasks.enqueue(newTask('departments.csv', 'departments'), 1);
  await db.tasks.enqueue(newTask('jobs.csv', 'jobs', { file_version: 'etag-2' }), 1);
  await db.tasks.enqueue(newTask('notes.txt', null, { error: 'matches no table' }), 1);
  await db.tasks.enqueue(newTask(odd, 'hired_employees'), 1);
  await db.tasks.enqueue(newTask('hired_employees.csv', 'hired_employees', { slice_start: 0, slice_limit: 10 }), 1);
  const running = await db.tasks.enqueue(newTask('jobs_done.csv', 'jobs', { lease: { owner: 'a', expiresAt: 10 } }), 1);
  await db.tasks.finish(running.task.id, 'a', { error: null }, 2);

  const asked = [
    fileVersion('departments.csv'),
    fileVersion('jobs.csv'), // only etag-2 is queued
    fileVersion('jobs.csv', 'etag-2'),
    fileVersion('notes.txt'),
    fileVersion(odd),
    fileVersion('hired_employees.csv'), // only a slice of it is
    fileVersion('jobs_done.csv'),
    fileVersion('never-seen.csv'),
  ];
  const queued = [fileVersion('departments.csv'), fileVersion('jobs.csv', 'etag-2'), fileVersion('notes.txt'), fileVersion(odd), fileVersion('jobs_done.csv')];
  expect(await db.tasks.queuedVersions(asked)).toEqual(versionKeys(queued));
  expect(await db.tasks.queuedVersions([fileVersion('never-seen.csv'), fileVersion('hired_employees.csv')])).toEqual(new Set());
  expect(await db.tasks.queuedVersions([])).toEqual(new Set());
}

/** 5,000 versions at once, more than a SQL Server statement takes parameters; every 50th is queued. */
export async function expectQueuedVersionsOfALongList(db: Database): Promise<void> {
  const asked = range(1, 5000).map((i) => fileVersion(`hired_employees_${i}.csv`, `v${i}`));
  const queued = asked.filter((_, i) => i % 50 === 7);
  for (const v of queued) await db.tasks.enqueue(newTask(v.file_name, 'hired_employees', { file_version: v.file_version }), 1);
  expect(await db.tasks.queuedVersions(asked)).toEqual(versionKeys(queued));
}

// ---------------------------------------------------------------------------------------------------
// The reports data set: departments and jobs that differ only by case, hires on quarter bounds

export const REPORT_DEPARTMENTS = [dept(1, 'Sales'), dept(2, 'sales'), dept(3, 'Engineering'), dept(4, 'Empty in 2021'), dept(5, 'Legal')];
export const REPORT_JOBS = [job(1, 'Manager'), job(2, 'Analyst'), job(3, 'analyst')];

/** Ids 5 to 15 of the reports data set (every adapter's test holds them as they are). */
export const REPORT_HIRES_5_TO_15 = [
  hire(5, '2021-12-31T23:59:59.999999Z', 1, 3),
  hire(6, '2021-02-14T12:00:00.5Z', 2, 2),
  hire(7, '2021-05-05T05:05:05Z', 2, 2),
  hire(8, '2021-08-08T08:08:08Z', 2, 3),
  hire(9, '2021-10-01T00:00:00.000001Z', 2, 1),
  hire(10, '2021-11-11T11:11:11Z', 2, 1),
  hire(11, '2021-06-30T23:59:59.999999Z', 3, 1),
  hire(12, '2021-07-01T00:00:00Z', 3, 1),
  hire(13, '2021-07-01T00:00:00.1Z', 3, 2),
  hire(14, '2021-01-15T09:00:00Z', 5, 2),
  hire(15, '2021-12-01T09:00:00Z', 5, 2),
];

/** hired-by-quarter for 2021 on the reports data set. */
export const REPORT_HIRED_BY_QUARTER_2021: HiredByQuarterRow[] = [
  { department: 'Engineering', job: 'Analyst', Q1: 0, Q2: 0, Q3: 1, Q4: 0 },
  { department: 'Engineering', job: 'Manager', Q1: 0, Q2: 1, Q3: 1, Q4: 0 },
  { department: 'Legal', job: 'Analyst', Q1: 1, Q2: 0, Q3: 0, Q4: 1 },
  { department: 'Sales', job: 'Analyst', Q1: 0, Q2: 1, Q3: 0, Q4: 0 },
  { department: 'Sales', job: 'analyst', Q1: 0, Q2: 0, Q3: 1, Q4: 1 },
  { department: 'Sales', job: 'Manager', Q1: 2, Q2: 0, Q3: 0, Q4: 0 },
  { department: 'sales', job: 'Analyst', Q1: 1, Q2: 1, Q3: 0, Q4: 0 },
  { department: 'sales', job: 'analyst', Q1: 0, Q2: 0, Q3: 1, Q4: 0 },
  { department: 'sales', job: 'Manager', Q1: 0, Q2: 0, Q3: 0, Q4: 2 },
];

/** hiring-above-average for 2021: Sales 5, sales 5, Engineering 3 (the mean exactly: not above), Empty 0, Legal 2. */
export const REPORT_ABOVE_AVERAGE_2021: HiringAboveAverageRow[] = [
  { id: 1, department: 'Sales', hired: 5 },
  { id: 2, department: 'sales', hired: 5 },
];

/** hiring-above-average for 2022: Empty 2, Sales 1, others 0 → mean 0.6: both are above it. */
export const REPORT_ABOVE_AVERAGE_2022: HiringAboveAverageRow[] = [
  { id: 4, department: 'Empty in 2021', hired: 2 },
  { id: 1, department: 'Sales', hired: 1 },
];
