// The Database contract on every test database: the reports, read from the rollup, always equal the
// direct queries over hired_employees and an independent count, whatever wrote the rows and in what order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import {
  sortHiredByQuarter,
  sortHiringAboveAverage,
  yearBounds,
  type HiredByQuarterRow,
  type HiringAboveAverageRow,
} from '../../shared/domain/reports.ts';
import type { HiredEmployeeRow } from '../../shared/domain/tables.ts';
import * as sqliteSql from '../../shared/adapters/db/sqlite.sql.ts';
import * as postgresSql from '../../shared/adapters/db/postgres.sql.ts';
import { openTestDatabase, TEST_DATABASES, useFreshDatabase, type TestDatabase, type TestDatabaseKind } from '../helpers/databases.ts';
import {
  claimRunningTask,
  dated,
  dept,
  expectAggregatesMatchStoredRows,
  expectedAboveAverage,
  expectedHiredByQuarter,
  hire,
  job,
  randomHires,
  range,
} from '../helpers/db-fixtures.ts';

const DEPARTMENTS = [dept(1, 'Sales'), dept(2, 'sales'), dept(3, 'Engineering'), dept(4, 'Legal')];
const JOBS = [job(1, 'Manager'), job(2, 'Analyst'), job(3, 'analyst')];
const YEARS = [2020, 2021, 2022, 1999];

/** The same report by the direct query over every hire of the year (the SQL the rollup replaces). */
async function direct(t: TestDatabase, kind: TestDatabaseKind, year: number) {
  let byQuarter: string;
  let aboveAverage: string;
  if (kind === 'sqlite') {
    const [from, to] = yearBounds(year);
    const bind = (sql: string) => {
      let i = 0;
      return sql.replace(/\?/g, () => `'${i++ % 2 === 0 ? from : to}'`);
    };
    byQuarter = bind(sqliteSql.HIRED_BY_QUARTER);
    aboveAverage = bind(sqliteSql.HIRING_ABOVE_AVERAGE);
  } else {
    byQuarter = postgresSql.HIRED_BY_QUARTER.replace(/\$1\b/g, String(year));
    aboveAverage = postgresSql.HIRING_ABOVE_AVERAGE.replace(/\$1\b/g, String(year));
  }
  return {
    byQuarter: sortHiredByQuarter((await t.query(byQuarter)) as unknown as HiredByQuarterRow[]).map(numbers),
    aboveAverage: sortHiringAboveAverage((await t.query(aboveAverage)) as unknown as HiringAboveAverageRow[]).map(numbers),
  };
}

const numbers = <T extends object>(row: T): T =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' || /^(Q\d|id|hired)$/.test(k) ? Number(v) : v])) as T;

/** Both reports of every year equal the direct queries and the count made here from what was inserted. */
async function expectReportsMatch(t: TestDatabase, kind: TestDatabaseKind, db: Database, inserted: HiredEmployeeRow[]) {
  const hires = dated(inserted);
  for (const year of YEARS) {
    const byQuarter = sortHiredByQuarter(await db.reports.hiredByQuarter(year));
    const aboveAverage = sortHiringAboveAverage(await db.reports.hiringAboveAverage(year));
    const expected = await direct(t, kind, year);
    expect(byQuarter, `hired-by-quarter ${year} vs direct query`).toEqual(expected.byQuarter);
    expect(aboveAverage, `above-average ${year} vs direct query`).toEqual(expected.aboveAverage);
    expect(byQuarter, `hired-by-quarter ${year}`).toEqual(expectedHiredByQuarter(year, DEPARTMENTS, JOBS, hires));
    expect(aboveAverage, `above-average ${year}`).toEqual(expectedAboveAverage(year, DEPARTMENTS, hires));
  }
}

/** What a set of writes leaves in the table: the first row sent for each id. */
function firstById(batches: HiredEmployeeRow[][]): HiredEmployeeRow[] {
  const kept = new Map<number, HiredEmployeeRow>();
  for (const b of batches) for (const r of b) if (!kept.has(r.id)) kept.set(r.id, r);
  return [...kept.values()];
}

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let t: TestDatabase;
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    t = opened;
    db = opened.db;
  });

  const dimensions = async () => {
    await db.insertBatch('departments', DEPARTMENTS);
    await db.insertBatch('jobs', JOBS);
  };

  describe('reports from the rollup', () => {
    it('equal the direct queries after batches, with each report read between them', async () => {
      await dimensions();
      const batches = [
        randomHires(range(1, 300), 1, 4, 3),
        randomHires(range(301, 302), 2, 4, 3),
        [hire(1_000, '2021-12-31T23:59:59.999999Z', 1, 1), hire(1_001, '2022-01-01T00:00:00Z', 1, 1)],
        randomHires(range(303, 700), 3, 4, 3),
      ];
      for (let i = 0; i < batches.length; i++) {
        await db.insertBatch('hired_employees', batches[i]);
        await expectReportsMatch(t, kind, db, firstById(batches.slice(0, i + 1)));
      }
    });

    it('count only the rows really inserted: re-sent rows, overlaps and a batch with nothing new', async () => {
      await dimensions();
      const first = randomHires(range(1, 200), 4, 4, 3);
      // The same ids with other dates, departments and jobs: the stored rows stay as they are.
      const overlap = randomHires(range(150, 260), 5, 4, 3);
      const scattered = randomHires([5, 7, 1_000_000, 3_000_000, 2_147_483_647], 6, 4, 3);
      const batches = [first, overlap, first, scattered, scattered];
      const outcomes = [];
      for (const b of batches) outcomes.push(await db.insertBatch('hired_employees', b));
      expect(outcomes).toEqual([
        { inserted: 200, already_exists: 0 },
        { inserted: 60, already_exists: 51 },
        { inserted: 0, already_exists: 200 },
        { inserted: 3, already_exists: 2 },
        { inserted: 0, already_exists: 5 },
      ]);
      await expectReportsMatch(t, kind, db, firstById(batches));
      await expectAggregatesMatchStoredRows(t, kind);
    });

    it('equal the direct queries after a file load (batches with checkpoints), with another writer in between', async () => {
      await dimensions();
      const task = await claimRunningTask(db, 'loader-a');
      const rows = randomHires(range(1, 900), 7, 4, 3);
      const checkpoint = (line: number, fromLine?: number) => ({ taskId: task.id, owner: 'loader-a', line, fromLine, bytesRead: line, rejects: [] });
      await db.insertBatch('hired_employees', rows.slice(0, 300), checkpoint(300, 0));
      await expectReportsMatch(t, kind, db, rows.slice(0, 300));
      await db.insertBatch('hired_employees', rows.slice(300, 600), checkpoint(600, 300));
      // A batch sent again over rows another writer put in meanwhile (the COPY path falls back).
      await db.insertBatch('hired_employees', rows.slice(650, 700));
      await db.insertBatch('hired_employees', rows.slice(600, 900), checkpoint(900, 600));
      await expectReportsMatch(t, kind, db, rows);
      expect((await db.tasks.get(task.id))?.summary.inserted).toBe(850);
    });

    it('equal the direct queries when many writes are pending at once (folded in chunks on SQLite)', async () => {
      await dimensions();
      const rows = randomHires(range(1, 1800), 30, 4, 3);
      // 600 writes of three hires each, interleaved ids: several fold chunks, none counted twice.
      for (let i = 0; i < 600; i++) await db.insertBatch('hired_employees', [rows[i], rows[i + 600], rows[i + 1200]]);
      await expectReportsMatch(t, kind, db, rows);
      expect(await t.query('SELECT COUNT(*) AS n FROM hires_pending')).toEqual([{ n: kind === 'sqlite' ? 0 : '0' }]);
    });

    it('equal the direct queries after concurrent writers on overlapping ids and concurrent readers', async () => {
      await dimensions();
      const handles = [db, await t.openAnother(), await t.openAnother()];
      const batches = handles.flatMap((_, w) =>
        range(0, 5).map((b) => randomHires(range(1 + b * 150 + w * 60, 200 + b * 150 + w * 60), 10 + w * 10 + b, 4, 3)),
      );
      // Each writer sends its own batches in order; every handle reads both reports as the writes land.
      await Promise.all([
        ...handles.map(async (h, w) => {
          for (const b of batches.slice(w * 6, w * 6 + 6)) await h.insertBatch('hired_employees', b);
        }),
        ...handles.map(async (h) => {
          for (let i = 0; i < 6; i++) await Promise.all([h.reports.hiredByQuarter(2021), h.reports.hiringAboveAverage(2021)]);
        }),
      ]);
      // Which writer won an overlapping id is up to the database: compare with what it stored.
      await expectAggregatesMatchStoredRows(t, kind);
      for (const year of YEARS) {
        const expected = await direct(t, kind, year);
        for (const h of handles) {
          expect(sortHiredByQuarter(await h.reports.hiredByQuarter(year)), `hired-by-quarter ${year}`).toEqual(expected.byQuarter);
          expect(sortHiringAboveAverage(await h.reports.hiringAboveAverage(year)), `above-average ${year}`).toEqual(expected.aboveAverage);
        }
      }
    });

    it('equal the direct queries for any sequence of writes and reads (property)', async () => {
      await dimensions();
      const row = fc.record({
        id: fc.integer({ min: 1, max: 400 }),
        datetime: fc
          .date({ min: new Date(Date.UTC(2019, 11, 25)), max: new Date(Date.UTC(2022, 0, 5)), noInvalidDate: true })
          .map((d) => `${d.toISOString().slice(0, 19)}Z`),
        department_id: fc.integer({ min: 1, max: 4 }),
        job_id: fc.integer({ min: 1, max: 3 }),
      });
      const batch = fc.uniqueArray(row, { selector: (r) => r.id, minLength: 0, maxLength: 40 });
      const step = fc.oneof(
        batch.map((rows) => ({ kind: 'write' as const, rows: rows.map((r) => hire(r.id, r.datetime, r.department_id, r.job_id)) })),
        fc.constantFrom(...YEARS).map((year) => ({ kind: 'read' as const, year })),
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
          // Each run starts from hires it owns: a fresh id range per run keeps earlier runs' rows apart.
          const offset = ++run * 1_000;
          const written: HiredEmployeeRow[][] = [];
          const before = await direct(t, kind, 2021);
          for (const s of steps) {
            if (s.kind === 'write') {
              const rows = s.rows.map((r) => ({ ...r, id: r.id + offset }));
              written.push(rows);
              await db.insertBatch('hired_employees', rows);
            } else {
              const expected = await direct(t, kind, s.year);
              expect(sortHiredByQuarter(await db.reports.hiredByQuarter(s.year))).toEqual(expected.byQuarter);
              expect(sortHiringAboveAverage(await db.reports.hiringAboveAverage(s.year))).toEqual(expected.aboveAverage);
            }
          }
          const after = await direct(t, kind, 2021);
          expect(sortHiredByQuarter(await db.reports.hiredByQuarter(2021))).toEqual(after.byQuarter);
          const added = firstById(written).filter((r) => r.datetime.startsWith('2021')).length;
          const total = (rows: HiredByQuarterRow[]) => rows.reduce((n, r) => n + r.Q1 + r.Q2 + r.Q3 + r.Q4, 0);
          expect(total(after.byQuarter) - total(before.byQuarter)).toBe(added);
        }),
        { numRuns: 25, seed: 12 },
      );
    });
  });

  describe('migration 003', () => {
    it('builds the rollup from the rows already loaded', async () => {
      await dimensions();
      const rows = [...randomHires(range(1, 400), 21, 4, 3), hire(401, '2021-01-01T00:00:00Z', 2, 3), hire(402, '2020-12-31T23:59:59.999999Z', 2, 3)];
      await db.insertBatch('hired_employees', rows);
      // As a database migrated before the rollup existed: the rows are there, the rollup tables are not.
      for (const sql of ['DROP TABLE hires_by_quarter', 'DROP TABLE hires_pending', "DELETE FROM schema_migrations WHERE version = '003_hires_rollup'"]) {
        await t.query(sql);
      }
      const reopened = await t.openAnother();
      await reopened.migrate();
      expect(await t.query('SELECT COUNT(*) AS n FROM hires_pending')).toEqual([{ n: kind === 'sqlite' ? 0 : '0' }]);
      await expectReportsMatch(t, kind, reopened, rows);
    });
  });
});

describe('a fresh database', () => {
  it.each(TEST_DATABASES)('%s: reports nothing before any hire, and zero-hire departments are never above the mean', async (kind) => {
    const t = await openTestDatabase(kind);
    try {
      expect(await t.db.reports.hiredByQuarter(2021)).toEqual([]);
      expect(await t.db.reports.hiringAboveAverage(2021)).toEqual([]);
      await t.db.insertBatch('departments', DEPARTMENTS);
      expect(await t.db.reports.hiringAboveAverage(2021)).toEqual([]);
    } finally {
      await t.cleanup();
    }
  });
});
