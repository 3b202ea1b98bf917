// The Database contract on every test database: both reports against an independent computation.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import { sortHiredByQuarter, sortHiringAboveAverage } from '../../shared/domain/reports.ts';
import { TEST_DATABASES, useFreshDatabase, type TestDatabase } from '../helpers/databases.ts';
import {
  dated,
  expectedAboveAverage,
  expectedHiredByQuarter,
  hire,
  REPORT_ABOVE_AVERAGE_2021,
  REPORT_ABOVE_AVERAGE_2022,
  REPORT_DEPARTMENTS,
  REPORT_HIRED_BY_QUARTER_2021,
  REPORT_HIRES_5_TO_15,
  REPORT_JOBS,
} from '../helpers/db-fixtures.ts';

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let _t: TestDatabase;
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    _t = opened;
    db = opened.db;
  });

  describe('reports', () => {
    const departments = REPORT_DEPARTMENTS;
    const jobs = REPORT_JOBS;
    // 2021 per department: Sales 5, sales 5 (a tie), Engineering 3 (exactly the mean: not above), Empty 0, Legal 2.
    const hires = [
      hire(1, '2021-01-01T00:00:00Z', 1, 1),
      hire(2, '2021-03-31T23:59:59.999999Z', 1, 1),
      hire(3, '2021-04-01T00:00:00Z', 1, 2),
      hire(4, '2021-09-30T23:59:59', 1, 3), // offset-less: UTC, Q3
      ...REPORT_HIRES_5_TO_15,
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
      expect(y2021).toEqual(REPORT_HIRED_BY_QUARTER_2021);
      for (const row of y2021) for (const q of ['Q1', 'Q2', 'Q3', 'Q4'] as const) expect(typeof row[q]).toBe('number');
    });

    it('hiring-above-average matches an independent computation, ties and zero-hire departments included', async () => {
      for (const year of [2021, 2020, 2022, 9999, 1, 1999]) {
        const actual = sortHiringAboveAverage(await db.reports.hiringAboveAverage(year));
        expect(actual, `year ${year}`).toEqual(expectedAboveAverage(year, departments, dated(hires)));
      }
      const y2021 = sortHiringAboveAverage(await db.reports.hiringAboveAverage(2021));
      expect(y2021).toEqual(REPORT_ABOVE_AVERAGE_2021);
      expect(typeof y2021[0].id).toBe('number');
      expect(typeof y2021[0].hired).toBe('number');
      // 2022: Empty 2, Sales 1, others 0 → mean 0.6: both are above it.
      expect(sortHiringAboveAverage(await db.reports.hiringAboveAverage(2022))).toEqual(REPORT_ABOVE_AVERAGE_2022);
      expect(await db.reports.hiringAboveAverage(1999)).toEqual([]);
    });
  });
});
