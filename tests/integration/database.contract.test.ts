import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError, type Database, type TaskCheckpoint } from '../../shared/ports/database.port.ts';
import type { DepartmentRow, HiredEmployeeRow, JobRow } from '../../shared/domain/tables.ts';
import type { NewTask, Task } from '../../shared/domain/task.ts';
import type { Reject } from '../../shared/domain/reasons.ts';
import {
  sortHiredByQuarter,
  sortHiringAboveAverage,
  type HiredByQuarterRow,
  type HiringAboveAverageRow,
} from '../../shared/domain/reports.ts';
import { openPostgresDatabase } from '../../shared/adapters/db/postgres.database.ts';
import { openTestDatabase, TEST_DATABASES, type TestDatabase, type TestDatabaseKind } from '../helpers/databases.ts';

// ---------------------------------------------------------------------------------------------------
// Rows, tasks and an independent notion of "UTC day" (no database involved)

const dept = (id: number, department: string): DepartmentRow => ({ id, department });
const job = (id: number, name: string): JobRow => ({ id, job: name });
const hire = (id: number, datetime: string, department_id: number, job_id: number, name = `Employee ${id}`): HiredEmployeeRow => ({
  id,
  name,
  datetime,
  department_id,
  job_id,
});

const MICROS_PER_DAY = 86_400_000_000n;

/** Microseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.ffffff][Z]` (no offset means UTC). */
function epochMicros(iso: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z?$/.exec(iso);
  if (!m) throw new Error(`test datetime not understood: ${iso}`);
  const ms = Date.parse(`${m[1]}Z`);
  return BigInt(ms / 1000) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** `YYYY-MM-DD` of the UTC day holding that instant. */
function dayOfMicros(micros: bigint): string {
  const days = micros >= 0n ? micros / MICROS_PER_DAY : -((-micros + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
  return new Date(Number(days) * 86_400_000).toISOString().slice(0, 10);
}

const utcDay = (iso: string): string => dayOfMicros(epochMicros(iso));

/** A small deterministic pseudo-random sequence (tests must be repeatable). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomHires(ids: number[], seed: number, departments: number, jobs: number): HiredEmployeeRow[] {
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

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const newTask = (file_name: string, table_name: NewTask['table_name'], extra: Partial<NewTask> = {}): NewTask => ({
  file_name,
  file_version: 'etag-1',
  table_name,
  bytes_total: 1000,
  ...extra,
});

const reject = (line: number, id: string | null, raw: string, reasons: Reject['reasons']): Reject => ({ line, id, raw, reasons });

// ---------------------------------------------------------------------------------------------------
// Raw reads behind the port, one SQL text per dialect

async function storedHires(t: TestDatabase, kind: TestDatabaseKind) {
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
interface DatedHire {
  department_id: number;
  job_id: number;
  day: string;
}

const dated = (hires: HiredEmployeeRow[]): DatedHire[] =>
  hires.map((h) => ({ department_id: h.department_id, job_id: h.job_id, day: utcDay(h.datetime) }));

/**
 * What the database holds agrees with itself: both reports (which read hired_employees directly) equal
 * what the stored rows and names give when computed here, with the UTC day taken outside the database,
 * for every year that has hires plus one without.
 */
async function expectAggregatesMatchStoredRows(t: TestDatabase, kind: TestDatabaseKind): Promise<void> {
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

function expectedHiredByQuarter(
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

function expectedAboveAverage(year: number, departments: DepartmentRow[], hires: DatedHire[]): HiringAboveAverageRow[] {
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

// ---------------------------------------------------------------------------------------------------

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let t: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    t = await openTestDatabase(kind);
    db = t.db;
  });

  afterEach(async () => {
    await t?.cleanup();
  });

  /** Enqueues a task and claims it for `owner`; fails the test if another task is claimed. */
  async function runningTask(owner: string, table: NewTask['table_name'] = 'hired_employees', now = 1_000): Promise<Task> {
    const { task } = await db.tasks.enqueue(newTask(`${table}_${owner}.csv`, table), now);
    const claimed = await db.tasks.claim(owner, now, 60_000);
    expect(claimed?.id).toBe(task.id);
    return claimed!;
  }

  describe('migrate', () => {
    it('is harmless when run again, with data in place', async () => {
      expect(db.dialect).toBe(kind);
      await db.insertBatch('departments', [dept(1, 'Sales')]);
      const version = await db.dataVersion();
      await db.migrate();
      await db.migrate();
      expect(await db.dimensionIds('departments')).toEqual(new Set([1]));
      expect(await db.dataVersion()).toBe(version);
      expect(await db.insertBatch('departments', [dept(1, 'Sales'), dept(2, 'Legal')])).toEqual({ inserted: 1, already_exists: 1 });
    });

    it('is safe when several migrators race on a fresh database', async () => {
      const fresh = await openTestDatabase(kind, { migrate: false });
      try {
        const others = await Promise.all([fresh.openAnother(), fresh.openAnother()]);
        await Promise.all([fresh.db.migrate(), others[0].migrate(), others[1].migrate(), fresh.db.migrate()]);
        const applied = await fresh.query('SELECT version FROM schema_migrations ORDER BY version');
        expect(applied.map((r) => r.version)).toEqual(['001_init']);
        expect(await fresh.db.insertBatch('jobs', [job(1, 'Analyst')])).toEqual({ inserted: 1, already_exists: 0 });
        expect(await others[0].dimensionIds('jobs')).toEqual(new Set([1]));
        expect(await others[1].dataVersion()).toBe(1);
      } finally {
        await fresh.cleanup();
      }
    });
  });

  describe('insertBatch', () => {
    it('counts inserted and already_exists exactly and never overwrites a row', async () => {
      expect(await db.insertBatch('departments', [dept(1, 'Sales'), dept(2, 'Legal')])).toEqual({ inserted: 2, already_exists: 0 });
      expect(await db.insertBatch('departments', [dept(2, 'Legal renamed'), dept(3, 'Support'), dept(1, 'Other')])).toEqual({
        inserted: 1,
        already_exists: 2,
      });
      expect(await db.insertBatch('departments', [dept(3, 'x')])).toEqual({ inserted: 0, already_exists: 1 });
      expect(await db.insertBatch('departments', [])).toEqual({ inserted: 0, already_exists: 0 });
      expect(await t.query('SELECT id, department FROM departments ORDER BY id')).toEqual([
        { id: 1, department: 'Sales' },
        { id: 2, department: 'Legal' },
        { id: 3, department: 'Support' },
      ]);

      expect(await db.insertBatch('jobs', [job(2147483647, 'Max id'), job(1, 'Analyst')])).toEqual({ inserted: 2, already_exists: 0 });
      expect(await db.insertBatch('jobs', [job(1, 'Manager')])).toEqual({ inserted: 0, already_exists: 1 });
      expect(await db.dimensionIds('jobs')).toEqual(new Set([1, 2147483647]));
      expect(await db.dimensionIds('departments')).toEqual(new Set([1, 2, 3]));

      const first = [hire(10, '2021-01-05T10:00:00Z', 1, 1), hire(11, '2021-02-05T10:00:00Z', 2, 1)];
      expect(await db.insertBatch('hired_employees', first)).toEqual({ inserted: 2, already_exists: 0 });
      expect(
        await db.insertBatch('hired_employees', [hire(11, '2022-07-07T07:07:07Z', 3, 2147483647, 'Someone else'), hire(12, '2021-03-05T10:00:00Z', 1, 1)]),
      ).toEqual({ inserted: 1, already_exists: 1 });
      const stored = await storedHires(t, kind);
      expect(stored.find((h) => h.id === 11)).toEqual({
        id: 11,
        name: 'Employee 11',
        micros: epochMicros('2021-02-05T10:00:00Z'),
        department_id: 2,
        job_id: 1,
      });
      expect(stored.map((h) => h.id)).toEqual([10, 11, 12]);
    });

    it('stores names with tab, newline, carriage return, backslash, quotes and non-ASCII text exactly', async () => {
      const names = [
        'Tab\there',
        'Line\nbreak',
        'CR\r\nLF',
        'Back\\slash',
        '\\N',
        '\\.',
        'ends with backslash\\',
        '\\t not a tab',
        'Quote " and \' and ,',
        'Ünïcødé 😀 日本語',
        'x'.repeat(100),
      ];
      const rows = names.map((name, i) => dept(i + 1, name));
      expect(await db.insertBatch('departments', rows)).toEqual({ inserted: names.length, already_exists: 0 });
      expect(await t.query('SELECT id, department FROM departments ORDER BY id')).toEqual(rows);

      const hires = names.map((name, i) => hire(i + 1, '2021-05-05T05:05:05Z', 1, 1, name));
      await db.insertBatch('hired_employees', hires);
      expect((await storedHires(t, kind)).map((h) => h.name)).toEqual(names);
    });

    it('takes a large batch in one call (several COPY chunks on PostgreSQL) with every value intact', async () => {
      const rows = range(1, 6000).map((id) => dept(id, `${id}\t${'é\\'.repeat(id % 45)}\n`.padEnd(100, 'x')));
      expect(await db.insertBatch('departments', rows)).toEqual({ inserted: 6000, already_exists: 0 });
      expect(await db.insertBatch('departments', rows.slice(5990).concat(dept(6001, 'last')))).toEqual({ inserted: 1, already_exists: 10 });
      expect(await t.query('SELECT id, department FROM departments ORDER BY id')).toEqual([...rows, dept(6001, 'last')]);
    });

    it('answers the reports right on edge datetimes (quarter, day and year bounds, no offset, fractions)', async () => {
      await db.insertBatch('departments', [dept(1, 'A'), dept(2, 'B'), dept(3, 'C')]);
      await db.insertBatch('jobs', [job(1, 'X'), job(2, 'Y')]);
      const edge = [
        hire(1, '2021-03-31T23:59:59.999999Z', 1, 1), // last microsecond of a day and of Q1
        hire(2, '2021-04-01T00:00:00Z', 1, 1),
        hire(3, '2021-06-15T12:00:00', 1, 2), // no offset: UTC
        hire(4, '2021-07-01T08:30:15.5Z', 2, 2), // fractional second
        hire(5, '2021-12-31T23:59:59.999999Z', 2, 1),
        hire(6, '2022-01-01T00:00:00.000001Z', 2, 1),
        hire(7, '2021-03-31T00:00:00Z', 1, 1), // same key and day as id 1
        hire(8, '2021-06-15T23:59:59', 1, 2), // same day as id 3, offset-less near midnight
      ];
      expect(await db.insertBatch('hired_employees', edge)).toEqual({ inserted: 8, already_exists: 0 });
      // The last microsecond of a quarter stays in it; offset-less values are UTC.
      expect(sortHiredByQuarter(await db.reports.hiredByQuarter(2021))).toEqual([
        { department: 'A', job: 'X', Q1: 2, Q2: 1, Q3: 0, Q4: 0 },
        { department: 'A', job: 'Y', Q1: 0, Q2: 2, Q3: 0, Q4: 0 },
        { department: 'B', job: 'X', Q1: 0, Q2: 0, Q3: 0, Q4: 1 },
        { department: 'B', job: 'Y', Q1: 0, Q2: 0, Q3: 1, Q4: 0 },
      ]);
      expect(await db.reports.hiredByQuarter(2022)).toEqual([{ department: 'B', job: 'X', Q1: 1, Q2: 0, Q3: 0, Q4: 0 }]);
      expect(await db.reports.hiredByQuarter(2020)).toEqual([]);
      // 2021: A 5 (ids 1, 2, 3, 7, 8), B 2 (ids 4, 5; id 6 is in 2022), C 0 → mean 7/3: only A is above it.
      expect(sortHiringAboveAverage(await db.reports.hiringAboveAverage(2021))).toEqual([{ id: 1, department: 'A', hired: 5 }]);
      // 2022: B 1 (its first microsecond), A 0, C 0 → mean 1/3.
      expect(await db.reports.hiringAboveAverage(2022)).toEqual([{ id: 2, department: 'B', hired: 1 }]);
      expect(await db.reports.hiringAboveAverage(2020)).toEqual([]);
      await expectAggregatesMatchStoredRows(t, kind);

      // The stored instants keep microseconds, and offset-less values were read as UTC.
      const stored = await storedHires(t, kind);
      expect(stored.map((h) => h.micros)).toEqual(edge.map((h) => epochMicros(h.datetime)));

      // Overlapping batches: re-sent ids (with other values) must neither count nor change anything.
      const a = randomHires(range(100, 499), 7, 3, 2);
      const b = randomHires(range(300, 699), 8, 3, 2);
      const resent = randomHires(range(1, 8), 9, 3, 2);
      expect(await db.insertBatch('hired_employees', a)).toEqual({ inserted: 400, already_exists: 0 });
      expect(await db.insertBatch('hired_employees', b)).toEqual({ inserted: 200, already_exists: 200 });
      expect(await db.insertBatch('hired_employees', resent)).toEqual({ inserted: 0, already_exists: 8 });

      expect(await storedHires(t, kind)).toHaveLength(608);
      await expectAggregatesMatchStoredRows(t, kind);
      // What the ids 300..499 hold is batch a's values, not batch b's.
      const byId = new Map((await storedHires(t, kind)).map((h) => [h.id, h]));
      for (const h of a.filter((r) => r.id >= 300)) {
        expect(byId.get(h.id)).toMatchObject({ micros: epochMicros(h.datetime), department_id: h.department_id, job_id: h.job_id });
      }
      for (const h of edge) expect(byId.get(h.id)!.micros).toBe(epochMicros(h.datetime));
    });

    it('grows dataVersion only when something is inserted', async () => {
      const v0 = await db.dataVersion();
      expect(typeof v0).toBe('number');
      await db.insertBatch('departments', [dept(1, 'A')]);
      const v1 = await db.dataVersion();
      expect(v1).toBeGreaterThan(v0);
      await db.insertBatch('departments', [dept(1, 'A again')]);
      await db.insertBatch('departments', []);
      expect(await db.dataVersion()).toBe(v1);

      const task = await runningTask('owner-a', 'departments');
      await db.insertBatch('departments', [], { taskId: task.id, owner: 'owner-a', line: 3, bytesRead: 30, rejects: [reject(2, 'x', 'x', ['invalid_id'])] });
      await db.insertBatch('departments', [dept(1, 'A')], { taskId: task.id, owner: 'owner-a', line: 4, bytesRead: 40, rejects: [] });
      expect(await db.dataVersion()).toBe(v1);

      await db.insertBatch('jobs', [job(1, 'X'), job(2, 'Y')]);
      const v2 = await db.dataVersion();
      expect(v2).toBeGreaterThan(v1);
      await db.insertBatch('hired_employees', [hire(1, '2021-01-01T00:00:00Z', 1, 1)]);
      expect(await db.dataVersion()).toBeGreaterThan(v2);
    });
  });

  describe('checkpoints', () => {
    it('stores rejects and advances the task counts in the batch transaction', async () => {
      await db.insertBatch('departments', [dept(1, 'Existing')]);
      const task = await runningTask('loader-1', 'departments');
      const rejects1 = [
        reject(3, '7', '7,', ['missing_department']),
        reject(2, null, 'garbage\twith "tab"\\ and \r\n newline ü', ['field_count']),
        reject(5, 'abc', 'abc,', ['invalid_id', 'missing_department']),
      ];
      const result = await db.insertBatch('departments', [dept(1, 'Again'), dept(2, 'New'), dept(4, 'Newer')], {
        taskId: task.id,
        owner: 'loader-1',
        line: 6,
        bytesRead: 120,
        rejects: rejects1,
      });
      expect(result).toEqual({ inserted: 2, already_exists: 1 });
      let stored = (await db.tasks.get(task.id))!;
      expect(stored).toMatchObject({ checkpoint_line: 6, bytes_read: 120, status: 'running', lease_owner: 'loader-1' });
      expect(stored.summary).toEqual({ processed: 6, inserted: 2, already_exists: 1, rejected: 3 });

      await db.insertBatch('departments', [dept(8, 'Eight')], {
        taskId: task.id,
        owner: 'loader-1',
        line: 9,
        bytesRead: 200,
        rejects: [reject(7, '2', '2,Dup', ['duplicate_id'])],
      });
      stored = (await db.tasks.get(task.id))!;
      expect(stored).toMatchObject({ checkpoint_line: 9, bytes_read: 200 });
      expect(stored.summary).toEqual({ processed: 8, inserted: 3, already_exists: 1, rejected: 4 });
      const s = stored.summary;
      expect(s.processed).toBe(s.inserted + s.already_exists + s.rejected);

      const { rejects, total } = await db.tasks.rejects(task.id, { limit: 100, offset: 0 });
      expect(total).toBe(4);
      expect(rejects).toEqual([rejects1[1], rejects1[0], rejects1[2], reject(7, '2', '2,Dup', ['duplicate_id'])]);

      // Finishing keeps the counts.
      expect(await db.tasks.finish(task.id, 'loader-1', { error: null }, 5_000)).toBe(true);
      const done = (await db.tasks.get(task.id))!;
      expect(done.summary).toEqual(s);
      expect(done).toMatchObject({ status: 'done', checkpoint_line: 9, bytes_read: 200, finished_at: 5_000, lease_owner: null });
    });

    it('throws LeaseLostError and writes nothing when the lease is not the caller’s', async () => {
      await db.insertBatch('hired_employees', [hire(1, '2021-01-01T00:00:00Z', 1, 1)]);
      const task = await runningTask('owner-a');
      await db.insertBatch('hired_employees', [hire(2, '2021-01-02T00:00:00Z', 1, 1)], {
        taskId: task.id,
        owner: 'owner-a',
        line: 2,
        bytesRead: 50,
        rejects: [reject(1, 'id', 'id,name', ['field_count'])],
      });
      const before = {
        task: await db.tasks.get(task.id),
        rejects: await db.tasks.rejects(task.id, { limit: 10, offset: 0 }),
        version: await db.dataVersion(),
        hires: await storedHires(t, kind),
      };
      const after = async () => ({
        task: await db.tasks.get(task.id),
        rejects: await db.tasks.rejects(task.id, { limit: 10, offset: 0 }),
        version: await db.dataVersion(),
        hires: await storedHires(t, kind),
      });
      const attempt = (checkpoint: TaskCheckpoint) =>
        db.insertBatch('hired_employees', [hire(1, '2021-01-01T00:00:00Z', 1, 1), hire(3, '2021-01-03T00:00:00Z', 1, 1), hire(4, '2021-01-03T01:00:00Z', 2, 2)], checkpoint);
      const lost = { line: 9, bytesRead: 900, rejects: [reject(5, '5', '5,x', ['invalid_datetime'])] };

      // Another owner.
      await expect(attempt({ taskId: task.id, owner: 'owner-b', ...lost })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await after()).toEqual(before);
      // A task that does not exist.
      await expect(attempt({ taskId: task.id + 1000, owner: 'owner-a', ...lost })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await after()).toEqual(before);

      // The lease expired and another loader took the task over.
      const takenOver = await db.tasks.claim('owner-b', 1_000 + 60_001, 60_000);
      expect(takenOver).toMatchObject({ id: task.id, lease_owner: 'owner-b', attempts: 2 });
      const beforeTakeover = { ...before, task: await db.tasks.get(task.id) };
      await expect(attempt({ taskId: task.id, owner: 'owner-a', ...lost })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await after()).toEqual(beforeTakeover);

      // A finished task takes no more checkpoints, even from its last owner.
      expect(await db.tasks.finish(task.id, 'owner-b', { error: null }, 70_000)).toBe(true);
      const finished = { ...before, task: await db.tasks.get(task.id) };
      await expect(attempt({ taskId: task.id, owner: 'owner-b', ...lost })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await after()).toEqual(finished);

      // The failed transactions left nothing behind that later batches would pick up.
      for (let i = 0; i < 8; i++) {
        expect(await db.insertBatch('hired_employees', [hire(100 + i, '2021-02-01T00:00:00Z', 1, 1)])).toEqual({ inserted: 1, already_exists: 0 });
      }
      expect((await storedHires(t, kind)).map((h) => h.id)).toEqual([1, 2, ...range(100, 107)]);
      await expectAggregatesMatchStoredRows(t, kind);
    });
  });

  describe('tasks', () => {
    it('enqueue dedupes by file, version and slice', async () => {
      const base = newTask('departments.csv', 'departments', { bytes_total: 100 });
      const first = await db.tasks.enqueue(base, 1_000);
      expect(first.created).toBe(true);
      expect(first.task).toEqual({
        id: first.task.id,
        file_name: 'departments.csv',
        file_version: 'etag-1',
        table_name: 'departments',
        slice_start: null,
        slice_limit: null,
        status: 'queued',
        checkpoint_line: 0,
        bytes_read: 0,
        bytes_total: 100,
        summary: { processed: 0, inserted: 0, already_exists: 0, rejected: 0 },
        error: null,
        attempts: 0,
        lease_owner: null,
        lease_expires_at: null,
        created_at: 1_000,
        started_at: null,
        finished_at: null,
        updated_at: 1_000,
      } satisfies Task);
      expect(typeof first.task.id).toBe('number');

      const again = await db.tasks.enqueue({ ...base, bytes_total: 999 }, 2_000);
      expect(again).toEqual({ task: first.task, created: false });

      const v2 = await db.tasks.enqueue({ ...base, file_version: 'etag-2' }, 3_000);
      const slice = await db.tasks.enqueue({ ...base, slice_start: 0, slice_limit: 10 }, 3_000);
      const sliceAgain = await db.tasks.enqueue({ ...base, slice_start: 0, slice_limit: 10 }, 4_000);
      const otherSlice = await db.tasks.enqueue({ ...base, slice_start: 10, slice_limit: 10 }, 4_000);
      const openSlice = await db.tasks.enqueue({ ...base, slice_start: 0, slice_limit: null }, 4_000);
      expect([v2.created, slice.created, sliceAgain.created, otherSlice.created, openSlice.created]).toEqual([true, true, false, true, true]);
      expect(sliceAgain.task.id).toBe(slice.task.id);
      expect(slice.task).toMatchObject({ slice_start: 0, slice_limit: 10 });
      const ids = new Set([first.task.id, v2.task.id, slice.task.id, otherSlice.task.id, openSlice.task.id]);
      expect(ids.size).toBe(5);
      expect((await db.tasks.list({ limit: 100, offset: 0 })).total).toBe(5);
    });

    it('enqueue of the same file from many callers at once creates one task', async () => {
      const other = await t.openAnother();
      const results = await Promise.all(
        range(1, 12).map((i) => (i % 2 ? db : other).tasks.enqueue(newTask('jobs.csv', 'jobs'), 1_000 + i)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
    });

    it('a NewTask with an error is created failed and is never claimed or retried', async () => {
      const { task, created } = await db.tasks.enqueue(
        { file_name: 'notes.txt', file_version: 'v1', table_name: null, bytes_total: 5, error: 'no table takes notes.txt' },
        3_000,
      );
      expect(created).toBe(true);
      expect(task).toMatchObject({ status: 'failed', error: 'no table takes notes.txt', table_name: null, finished_at: 3_000, attempts: 0 });
      expect(await db.tasks.claim('loader', 4_000, 1_000)).toBeNull();
      expect(await db.tasks.retry(task.id, 5_000)).toBeNull();
      expect((await db.tasks.get(task.id))!.status).toBe('failed');
    });

    it('claims departments and jobs before hired_employees, which wait while a dimension task is queued or running', async () => {
      const h1 = (await db.tasks.enqueue(newTask('hired_employees_1.csv', 'hired_employees'), 1_000)).task;
      const d = (await db.tasks.enqueue(newTask('departments.csv', 'departments'), 1_001)).task;
      const j = (await db.tasks.enqueue(newTask('jobs.csv', 'jobs'), 1_002)).task;
      const h2 = (await db.tasks.enqueue(newTask('hired_employees_2.csv', 'hired_employees'), 1_003)).task;

      const first = await db.tasks.claim('a', 2_000, 10_000);
      expect(first).toMatchObject({
        id: d.id,
        status: 'running',
        lease_owner: 'a',
        lease_expires_at: 12_000,
        attempts: 1,
        started_at: 2_000,
        updated_at: 2_000,
      });
      expect((await db.tasks.claim('b', 2_001, 10_000))?.id).toBe(j.id);
      // Both dimension tasks are running: hired_employees must wait.
      expect(await db.tasks.claim('c', 2_002, 10_000)).toBeNull();
      expect(await db.tasks.finish(d.id, 'a', { error: null }, 3_000)).toBe(true);
      expect(await db.tasks.claim('c', 3_001, 10_000)).toBeNull(); // jobs still running
      expect(await db.tasks.finish(j.id, 'b', { error: 'boom' }, 3_002)).toBe(true);
      expect((await db.tasks.claim('c', 3_003, 10_000))?.id).toBe(h1.id);

      // A dimension task queued again (retry) blocks the remaining hired_employees task.
      expect((await db.tasks.retry(j.id, 3_004))?.status).toBe('queued');
      expect((await db.tasks.claim('d', 3_005, 10_000))?.id).toBe(j.id);
      expect(await db.tasks.claim('e', 3_006, 10_000)).toBeNull();
      expect(await db.tasks.finish(j.id, 'd', { error: null }, 3_007)).toBe(true);
      expect((await db.tasks.claim('e', 3_008, 10_000))?.id).toBe(h2.id);
      expect(await db.tasks.claim('f', 3_009, 10_000)).toBeNull();

      // A queued dimension task enqueued later still goes first.
      const h3 = (await db.tasks.enqueue(newTask('hired_employees_3.csv', 'hired_employees'), 4_000)).task;
      const d2 = (await db.tasks.enqueue(newTask('departments_2.csv', 'departments'), 4_001)).task;
      expect((await db.tasks.claim('g', 4_002, 10_000))?.id).toBe(d2.id);
      expect(await db.tasks.claim('g', 4_003, 10_000)).toBeNull();
      await db.tasks.finish(d2.id, 'g', { error: null }, 4_004);
      expect((await db.tasks.claim('g', 4_005, 10_000))?.id).toBe(h3.id);
    });

    it('an expired lease lets another owner claim the task; the old owner can no longer renew or finish', async () => {
      const { task } = await db.tasks.enqueue(newTask('departments.csv', 'departments'), 500);
      expect((await db.tasks.claim('a', 1_000, 100))?.id).toBe(task.id);
      expect(await db.tasks.claim('b', 1_050, 100)).toBeNull();
      expect(await db.tasks.claim('b', 1_100, 100)).toBeNull(); // expires at 1_100: not yet past
      const taken = await db.tasks.claim('b', 1_101, 100);
      expect(taken).toMatchObject({ id: task.id, lease_owner: 'b', lease_expires_at: 1_201, attempts: 2, started_at: 1_000, status: 'running' });
      expect(await db.tasks.renew(task.id, 'a', 1_102, 100)).toBe(false);
      expect(await db.tasks.finish(task.id, 'a', { error: null }, 1_103)).toBe(false);
      expect(await db.tasks.renew(task.id, 'b', 1_150, 1_000)).toBe(true);
      expect(await db.tasks.get(task.id)).toMatchObject({ lease_owner: 'b', lease_expires_at: 2_150, updated_at: 1_150 });
      expect(await db.tasks.claim('c', 1_300, 100)).toBeNull(); // renewed: not expired
      expect(await db.tasks.finish(task.id, 'b', { error: null }, 1_400)).toBe(true);
      expect(await db.tasks.get(task.id)).toMatchObject({
        status: 'done',
        lease_owner: null,
        lease_expires_at: null,
        finished_at: 1_400,
        updated_at: 1_400,
        error: null,
      });
      expect(await db.tasks.claim('c', 999_999, 100)).toBeNull(); // done tasks are never claimed
      expect(await db.tasks.renew(task.id, 'b', 1_500, 100)).toBe(false);
      expect(await db.tasks.finish(task.id, 'b', { error: 'late' }, 1_500)).toBe(false);
    });

    it('renew, finish and retry follow the lease and the status', async () => {
      const task = await runningTask('a', 'departments', 1_000);
      await db.insertBatch('departments', [dept(1, 'A')], { taskId: task.id, owner: 'a', line: 4, bytesRead: 44, rejects: [reject(2, null, ',', ['missing_id', 'missing_department'])] });
      expect(await db.tasks.retry(task.id, 1_500)).toBeNull(); // running: not retryable
      expect(await db.tasks.renew(task.id, 'z', 1_500, 10)).toBe(false);
      expect(await db.tasks.finish(task.id, 'z', { error: 'x' }, 1_500)).toBe(false);
      expect(await db.tasks.renew(task.id, 'a', 1_600, 5_000)).toBe(true);
      expect(await db.tasks.finish(task.id, 'a', { error: 'disk on fire' }, 2_000)).toBe(true);
      const failed = (await db.tasks.get(task.id))!;
      expect(failed).toMatchObject({ status: 'failed', error: 'disk on fire', finished_at: 2_000, lease_owner: null, lease_expires_at: null });
      expect(await db.tasks.finish(task.id, 'a', { error: null }, 2_001)).toBe(false);

      const retried = await db.tasks.retry(task.id, 3_000);
      expect(retried).toMatchObject({
        id: task.id,
        status: 'queued',
        error: null,
        finished_at: null,
        updated_at: 3_000,
        checkpoint_line: 4,
        bytes_read: 44,
        attempts: 1,
        started_at: 1_000,
      });
      expect(retried!.summary).toEqual({ processed: 2, inserted: 1, already_exists: 0, rejected: 1 });
      expect(await db.tasks.retry(task.id, 3_001)).toBeNull(); // queued: not retryable
      expect(await db.tasks.retry(task.id + 1000, 3_001)).toBeNull(); // unknown
      expect(await db.tasks.get(task.id + 1000)).toBeNull();

      const again = await db.tasks.claim('b', 4_000, 1_000);
      expect(again).toMatchObject({ id: task.id, attempts: 2, started_at: 1_000, checkpoint_line: 4 });
      expect(await db.tasks.finish(task.id, 'b', { error: null }, 5_000)).toBe(true);
      expect(await db.tasks.retry(task.id, 6_000)).toBeNull(); // done: not retryable
      const done = (await db.tasks.get(task.id))!;
      expect(done.status).toBe('done');
      expect(done.summary).toEqual({ processed: 2, inserted: 1, already_exists: 0, rejected: 1 });
    });

    it('never hands one task to two owners when many claim at once', async () => {
      const other = await t.openAnother();
      const queued = [];
      for (let i = 1; i <= 5; i++) queued.push((await db.tasks.enqueue(newTask(`departments_${i}.csv`, 'departments'), i)).task.id);
      const claims = await Promise.all(
        range(1, 20).map((i) => (i % 2 ? db : other).tasks.claim(`owner-${i}`, 1_000, 60_000).then((task) => ({ owner: `owner-${i}`, task }))),
      );
      const won = claims.filter((c) => c.task !== null);
      expect(won).toHaveLength(5);
      expect(new Set(won.map((c) => c.task!.id))).toEqual(new Set(queued));
      for (const c of won) {
        expect(await db.tasks.get(c.task!.id)).toMatchObject({ lease_owner: c.owner, attempts: 1, status: 'running' });
      }
      expect(await db.tasks.claim('late', 1_001, 60_000)).toBeNull();
    });

    it('lists tasks newest first with the total', async () => {
      const ids = [];
      for (let i = 1; i <= 5; i++) ids.push((await db.tasks.enqueue(newTask(`jobs_${i}.csv`, 'jobs'), i * 10)).task.id);
      const page1 = await db.tasks.list({ limit: 2, offset: 0 });
      expect(page1.total).toBe(5);
      expect(page1.tasks.map((x) => x.id)).toEqual([ids[4], ids[3]]);
      expect(page1.tasks[0].file_name).toBe('jobs_5.csv');
      expect((await db.tasks.list({ limit: 2, offset: 4 })).tasks.map((x) => x.id)).toEqual([ids[0]]);
      expect(await db.tasks.list({ limit: 2, offset: 10 })).toEqual({ tasks: [], total: 5 });
      expect((await db.tasks.list({ limit: 100, offset: 0 })).tasks.map((x) => x.id)).toEqual([...ids].reverse());
    });

    it('pages a task’s rejects by line', async () => {
      const task = await runningTask('a', 'jobs');
      const other = await runningTask('b', 'departments');
      const lines = [9, 2, 14, 5, 3, 11, 7];
      await db.insertBatch('jobs', [], { taskId: task.id, owner: 'a', line: 9, bytesRead: 90, rejects: lines.slice(0, 4).map((l) => reject(l, String(l), `${l},`, ['missing_job'])) });
      await db.insertBatch('jobs', [], { taskId: task.id, owner: 'a', line: 14, bytesRead: 140, rejects: lines.slice(4).map((l) => reject(l, String(l), `${l},`, ['missing_job'])) });
      await db.insertBatch('departments', [], { taskId: other.id, owner: 'b', line: 1, bytesRead: 1, rejects: [reject(1, null, 'x', ['field_count'])] });

      const sorted = [...lines].sort((a, b) => a - b);
      const page = await db.tasks.rejects(task.id, { limit: 3, offset: 0 });
      expect(page.total).toBe(7);
      expect(page.rejects.map((r) => r.line)).toEqual(sorted.slice(0, 3));
      expect(page.rejects[0]).toEqual(reject(2, '2', '2,', ['missing_job']));
      expect((await db.tasks.rejects(task.id, { limit: 3, offset: 3 })).rejects.map((r) => r.line)).toEqual(sorted.slice(3, 6));
      expect((await db.tasks.rejects(task.id, { limit: 3, offset: 6 })).rejects.map((r) => r.line)).toEqual(sorted.slice(6));
      expect(await db.tasks.rejects(task.id, { limit: 3, offset: 7 })).toEqual({ rejects: [], total: 7 });
      expect(await db.tasks.rejects(other.id, { limit: 10, offset: 0 })).toEqual({ rejects: [reject(1, null, 'x', ['field_count'])], total: 1 });
      expect(await db.tasks.rejects(task.id + 1000, { limit: 10, offset: 0 })).toEqual({ rejects: [], total: 0 });
      expect((await db.tasks.get(task.id))!.summary).toEqual({ processed: 7, inserted: 0, already_exists: 0, rejected: 7 });
    });
  });

  describe('postgres deviations', () => {
    it.runIf(kind === 'postgres')('refuses U+0000 in a row (PostgreSQL text cannot hold it) and keeps it visible in a reject', async () => {
      const v0 = await db.dataVersion();
      await expect(db.insertBatch('departments', [dept(1, 'ok'), dept(2, 'a\u0000b')])).rejects.toThrow(/U\+0000/);
      expect(await db.dimensionIds('departments')).toEqual(new Set());
      expect(await db.dataVersion()).toBe(v0);
      const task = await runningTask('a', 'departments');
      await db.insertBatch('departments', [], { taskId: task.id, owner: 'a', line: 2, bytesRead: 9, rejects: [reject(2, '1\u0000', '1\u0000,x', ['invalid_id'])] });
      expect((await db.tasks.rejects(task.id, { limit: 10, offset: 0 })).rejects).toEqual([reject(2, '1\ufffd', '1\ufffd,x', ['invalid_id'])]);
    });

    it.runIf(kind === 'postgres')('accepts only plain lower-case schema names', async () => {
      await expect(openPostgresDatabase('postgres://unused', { schema: 'Bad"Name' })).rejects.toBeInstanceOf(RangeError);
    });
  });

  describe('concurrent batches', () => {
    it('overlapping batches from several connections count every id once and keep the reports exact', async () => {
      const other = await t.openAnother();
      await db.insertBatch('departments', [dept(1, 'd1'), dept(2, 'D2'), dept(3, 'd3'), dept(4, 'd4'), dept(5, 'none')]);
      await db.insertBatch('jobs', [job(1, 'j1'), job(2, 'j2'), job(3, 'J3')]);
      const batches = [
        randomHires(range(1, 200), 1, 4, 3),
        randomHires(range(101, 300), 2, 4, 3),
        randomHires(range(51, 250), 3, 4, 3),
        randomHires(range(1, 300), 4, 4, 3),
      ];
      const results = await Promise.all(batches.map((rows, i) => (i % 2 ? other : db).insertBatch('hired_employees', rows)));
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(300);
      expect(results.reduce((n, r) => n + r.already_exists, 0)).toBe(900 - 300);
      expect(await storedHires(t, kind)).toHaveLength(300);
      await expectAggregatesMatchStoredRows(t, kind);
    });
  });

  describe('reports', () => {
    const departments = [dept(1, 'Sales'), dept(2, 'sales'), dept(3, 'Engineering'), dept(4, 'Empty in 2021'), dept(5, 'Legal')];
    const jobs = [job(1, 'Manager'), job(2, 'Analyst'), job(3, 'analyst')];
    // 2021 per department: Sales 5, sales 5 (a tie), Engineering 3 (exactly the mean: not above), Empty 0, Legal 2.
    const hires = [
      hire(1, '2021-01-01T00:00:00Z', 1, 1),
      hire(2, '2021-03-31T23:59:59.999999Z', 1, 1),
      hire(3, '2021-04-01T00:00:00Z', 1, 2),
      hire(4, '2021-09-30T23:59:59', 1, 3), // offset-less: UTC, Q3
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
      hire(16, '2020-12-31T23:59:59.999999Z', 3, 1), // 2020
      hire(17, '2022-01-01T00:00:00Z', 4, 1), // 2022
      hire(18, '2020-06-01T00:00:00Z', 4, 2),
      hire(19, '2022-03-03T03:03:03Z', 4, 2),
      hire(20, '2022-04-04T04:04:04Z', 1, 1),
      hire(21, '9999-12-31T23:59:59.999999Z', 5, 3),
      hire(22, '0001-01-01T00:00:00Z', 2, 2),
    ];

    beforeEach(async () => {
      await db.insertBatch('departments', departments);
      await db.insertBatch('jobs', jobs);
      // In two batches with an overlap: re-sent rows must not be counted twice.
      await db.insertBatch('hired_employees', hires.slice(0, 12));
      expect(await db.insertBatch('hired_employees', hires.slice(8))).toEqual({ inserted: 10, already_exists: 4 });
    });

    it('hired-by-quarter matches an independent count, for several years', async () => {
      for (const year of [2021, 2020, 2022, 9999, 1, 1999]) {
        const actual = sortHiredByQuarter(await db.reports.hiredByQuarter(year));
        expect(actual, `year ${year}`).toEqual(expectedHiredByQuarter(year, departments, jobs, dated(hires)));
      }
      const y2021 = sortHiredByQuarter(await db.reports.hiredByQuarter(2021));
      expect(y2021).toEqual([
        { department: 'Engineering', job: 'Analyst', Q1: 0, Q2: 0, Q3: 1, Q4: 0 },
        { department: 'Engineering', job: 'Manager', Q1: 0, Q2: 1, Q3: 1, Q4: 0 },
        { department: 'Legal', job: 'Analyst', Q1: 1, Q2: 0, Q3: 0, Q4: 1 },
        { department: 'Sales', job: 'Analyst', Q1: 0, Q2: 1, Q3: 0, Q4: 0 },
        { department: 'Sales', job: 'analyst', Q1: 0, Q2: 0, Q3: 1, Q4: 1 },
        { department: 'Sales', job: 'Manager', Q1: 2, Q2: 0, Q3: 0, Q4: 0 },
        { department: 'sales', job: 'Analyst', Q1: 1, Q2: 1, Q3: 0, Q4: 0 },
        { department: 'sales', job: 'analyst', Q1: 0, Q2: 0, Q3: 1, Q4: 0 },
        { department: 'sales', job: 'Manager', Q1: 0, Q2: 0, Q3: 0, Q4: 2 },
      ]);
      for (const row of y2021) for (const q of ['Q1', 'Q2', 'Q3', 'Q4'] as const) expect(typeof row[q]).toBe('number');
    });

    it('hiring-above-average matches an independent computation, ties and zero-hire departments included', async () => {
      for (const year of [2021, 2020, 2022, 9999, 1, 1999]) {
        const actual = sortHiringAboveAverage(await db.reports.hiringAboveAverage(year));
        expect(actual, `year ${year}`).toEqual(expectedAboveAverage(year, departments, dated(hires)));
      }
      const y2021 = sortHiringAboveAverage(await db.reports.hiringAboveAverage(2021));
      expect(y2021).toEqual([
        { id: 1, department: 'Sales', hired: 5 },
        { id: 2, department: 'sales', hired: 5 },
      ]);
      expect(typeof y2021[0].id).toBe('number');
      expect(typeof y2021[0].hired).toBe('number');
      // 2022: Empty 2, Sales 1, others 0 → mean 0.6: both are above it.
      expect(sortHiringAboveAverage(await db.reports.hiringAboveAverage(2022))).toEqual([
        { id: 4, department: 'Empty in 2021', hired: 2 },
        { id: 1, department: 'Sales', hired: 1 },
      ]);
      expect(await db.reports.hiringAboveAverage(1999)).toEqual([]);
    });
  });
});
