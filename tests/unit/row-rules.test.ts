import { describe, it, expect } from 'vitest';
import { normalizeDateTime } from '../../shared/domain/datetime.ts';
import { checkRecord, describeReject, parseId, MAX_ID, MAX_NAME_LENGTH } from '../../shared/domain/row-rules.ts';
import { COLUMNS, TABLES, tableForFile, type TableName } from '../../shared/domain/tables.ts';

/** A valid record of each table, as CSV fields. */
const VALID: Record<TableName, string[]> = {
  departments: ['1', 'Engineering'],
  jobs: ['2', 'Recruiter'],
  hired_employees: ['3', 'Ann Lee', '2021-07-27T16:02:08Z', '1', '2'],
};

const withField = (table: TableName, index: number, value: string): string[] => {
  const fields = [...VALID[table]];
  fields[index] = value;
  return fields;
};

describe('parseId', () => {
  it.each([
    ['1', 1],
    ['7', 7],
    ['2147483647', MAX_ID],
    ['0000000042', 42],
  ])('accepts %j as %d', (text, expected) => {
    expect(parseId(text)).toBe(expected);
  });

  it.each(['', '0', '-1', '+7', '2147483648', '9999999999', '1.5', '1e3', '0x10', ' 7 ', 'abc', '1 2', '١٢', '１'])(
    'rejects %j',
    (text) => {
      expect(parseId(text)).toBeNull();
    },
  );
});

describe('checkRecord: valid records', () => {
  it('returns typed rows with trimmed fields', () => {
    expect(checkRecord('departments', [' 1 ', '  Engineering\t'])).toEqual({
      row: { id: 1, department: 'Engineering' },
      reasons: null,
    });
    expect(checkRecord('jobs', ['2', 'Recruiter'])).toEqual({ row: { id: 2, job: 'Recruiter' }, reasons: null });
    expect(checkRecord('hired_employees', [' 3', ' Ann Lee ', ' 2021-07-27T16:02:08Z ', '1 ', ' 2'])).toEqual({
      row: { id: 3, name: 'Ann Lee', datetime: '2021-07-27T16:02:08Z', department_id: 1, job_id: 2 },
      reasons: null,
    });
  });

  it('normalises the datetime of a hired employee to UTC', () => {
    const r = checkRecord('hired_employees', withField('hired_employees', 2, '2021-12-31T22:00:00-08:00'));
    expect(r.reasons).toBeNull();
    expect(r.row?.datetime).toBe('2022-01-01T06:00:00Z');
  });
});

describe('checkRecord: field_count', () => {
  it.each([
    ['departments', ['1']],
    ['departments', ['1', 'a', 'b']],
    ['jobs', []],
    ['jobs', ['1', 'a', '']],
    ['hired_employees', ['1', 'a', '2021-01-01T00:00:00Z', '1']],
    ['hired_employees', ['1', 'a', '2021-01-01T00:00:00Z', '1', '1', '1']],
  ] as [TableName, string[]][])('%s with %j is field_count only', (table, fields) => {
    expect(checkRecord(table, fields)).toEqual({ row: null, reasons: ['field_count'] });
  });
});

describe('checkRecord: missing_<column>', () => {
  for (const table of TABLES) {
    COLUMNS[table].forEach((column, index) => {
      it(`${table}.${column} empty -> missing_${column}`, () => {
        expect(checkRecord(table, withField(table, index, ''))).toEqual({ row: null, reasons: [`missing_${column}`] });
      });
      it(`${table}.${column} whitespace only -> missing_${column} (fields are trimmed)`, () => {
        expect(checkRecord(table, withField(table, index, ' \t '))).toEqual({ row: null, reasons: [`missing_${column}`] });
      });
    });
  }
});

describe('checkRecord: ids', () => {
  const idColumns: [TableName, number, string, string][] = [
    ['departments', 0, 'id', 'invalid_id'],
    ['jobs', 0, 'id', 'invalid_id'],
    ['hired_employees', 0, 'id', 'invalid_id'],
    ['hired_employees', 3, 'department_id', 'invalid_department_id'],
    ['hired_employees', 4, 'job_id', 'invalid_job_id'],
  ];
  const invalid = ['0', '-1', '2147483648', '1.5', '1e3', '+7', '0x1F', 'seven', '7 7', '-0'];

  for (const [table, index, column, reason] of idColumns) {
    it.each(invalid)(`${table}.${column} = %j -> ${reason}`, (value) => {
      expect(checkRecord(table, withField(table, index, value))).toEqual({ row: null, reasons: [reason] });
    });

    it(`${table}.${column}: ' 7 ' is trimmed and valid, 2147483647 and 1 are valid`, () => {
      for (const [value, n] of [[' 7 ', 7], ['2147483647', 2147483647], ['1', 1]] as const) {
        const r = checkRecord(table, withField(table, index, value));
        expect(r.reasons).toBeNull();
        expect((r.row as unknown as Record<string, unknown>)[column]).toBe(n);
      }
    });
  }
});

describe('checkRecord: too_long_<column>', () => {
  const nameColumns: [TableName, number, string][] = [
    ['departments', 1, 'department'],
    ['jobs', 1, 'job'],
    ['hired_employees', 1, 'name'],
  ];
  for (const [table, index, column] of nameColumns) {
    it(`${table}.${column}: 100 characters pass, 101 are too_long_${column}`, () => {
      const ok = checkRecord(table, withField(table, index, 'x'.repeat(MAX_NAME_LENGTH)));
      expect(ok.reasons).toBeNull();
      expect((ok.row as unknown as Record<string, unknown>)[column]).toBe('x'.repeat(100));
      expect(checkRecord(table, withField(table, index, 'x'.repeat(101)))).toEqual({
        row: null,
        reasons: [`too_long_${column}`],
      });
    });

    it(`${table}.${column}: the length is measured after trimming; accented letters count one each`, () => {
      expect(checkRecord(table, withField(table, index, `  ${'y'.repeat(100)}  `)).reasons).toBeNull();
      expect(checkRecord(table, withField(table, index, 'é'.repeat(100))).reasons).toBeNull();
      expect(checkRecord(table, withField(table, index, 'é'.repeat(101))).reasons).toEqual([`too_long_${column}`]);
    });
  }

  it('counts UTF-16 code units (as NVARCHAR(100) does): 50 emoji fit, 51 do not', () => {
    expect(checkRecord('jobs', ['1', '😀'.repeat(50)]).reasons).toBeNull();
    expect(checkRecord('jobs', ['1', '😀'.repeat(51)]).reasons).toEqual(['too_long_job']);
  });
});

describe('checkRecord: invalid_datetime', () => {
  it.each([
    '2021-02-29T00:00:00Z', // not a leap year
    '1900-02-29T00:00:00Z', // century, not a leap year
    '2021-04-31T00:00:00Z',
    '2021-06-31T12:00:00Z',
    '2021-13-01T00:00:00Z',
    '2021-00-10T00:00:00Z',
    '2021-01-00T00:00:00Z',
    '2021-01-32T00:00:00Z',
    '2021-01-01T24:00:00Z',
    '2021-01-01T23:60:00Z',
    '2021-01-01T23:59:60Z',
    '2021-01-01 00:00:00Z', // missing T
    '2021-01-0100:00:00Z',
    '2021-01-01t00:00:00Z',
    '2021-01-01T00:00:00z', // DESIGN's pattern has an upper-case Z only
    '2021-01-01',
    '2021-01-01T00:00',
    '2021-01-01T00:00:00.',
    '2021-01-01T00:00:00.1234567890Z', // more than 9 fraction digits
    '2021-1-01T00:00:00Z',
    '21-01-01T00:00:00Z',
    '2021-01-01T00:00:00+0530',
    '2021-01-01T00:00:00+05',
    '2021-01-01T00:00:00+24:00',
    '2021-01-01T00:00:00+05:60',
    '2021-01-01T00:00:00 Z',
    '2021-01-01T00:00:00ZZ',
    'not a date',
    '1625097600',
    '２０２１-01-01T00:00:00Z',
  ])('%j -> invalid_datetime', (text) => {
    expect(normalizeDateTime(text)).toBeNull();
    expect(checkRecord('hired_employees', withField('hired_employees', 2, text))).toEqual({
      row: null,
      reasons: ['invalid_datetime'],
    });
  });
});

describe('normalizeDateTime', () => {
  it.each([
    // leap days
    ['2020-02-29T00:00:00Z', '2020-02-29T00:00:00Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59Z'],
    // no offset means UTC
    ['2021-07-27T16:02:08', '2021-07-27T16:02:08Z'],
    ['2021-07-27T16:02:08+00:00', '2021-07-27T16:02:08Z'],
    ['2021-07-27T16:02:08-00:00', '2021-07-27T16:02:08Z'],
    // offsets across a day and a year boundary
    ['2021-01-01T03:00:00+05:30', '2020-12-31T21:30:00Z'],
    ['2021-01-01T05:29:59+05:30', '2020-12-31T23:59:59Z'],
    ['2021-01-01T05:30:00+05:30', '2021-01-01T00:00:00Z'],
    ['2021-12-31T16:00:00-08:00', '2022-01-01T00:00:00Z'],
    ['2021-12-31T15:59:59-08:00', '2021-12-31T23:59:59Z'],
    ['2021-12-31T22:00:00-08:00', '2022-01-01T06:00:00Z'],
    ['2020-03-01T02:00:00+05:30', '2020-02-29T20:30:00Z'], // back into a leap day
    ['2021-03-01T02:00:00+05:30', '2021-02-28T20:30:00Z'],
    ['2021-06-30T20:00:00-08:00', '2021-07-01T04:00:00Z'], // across a quarter boundary
    ['2021-01-01T00:00:00+23:59', '2020-12-31T00:01:00Z'],
    // fractions: up to microseconds kept, trailing zeros dropped
    ['2021-07-27T16:02:08.1Z', '2021-07-27T16:02:08.1Z'],
    ['2021-07-27T16:02:08.123Z', '2021-07-27T16:02:08.123Z'],
    ['2021-07-27T16:02:08.123456789Z', '2021-07-27T16:02:08.123456Z'],
    ['2021-07-27T16:02:08.120', '2021-07-27T16:02:08.12Z'],
    ['2021-07-27T16:02:08.000Z', '2021-07-27T16:02:08Z'],
    ['2021-12-31T23:30:00.5-08:00', '2022-01-01T07:30:00.5Z'],
    ['2021-01-01T03:00:00.123456789+05:30', '2020-12-31T21:30:00.123456Z'],
    // calendar extremes
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
    ['0099-03-01T01:00:00+02:00', '0099-02-28T23:00:00Z'], // two-digit years are not shifted to 19xx
  ])('%j -> %j', (text, expected) => {
    expect(normalizeDateTime(text)).toBe(expected);
  });

  it('rejects instants outside years 0001..9999, before or after conversion to UTC', () => {
    expect(normalizeDateTime('9999-12-31T23:00:00-01:00')).toBeNull();
    expect(normalizeDateTime('9999-12-31T22:59:59-01:00')).toBe('9999-12-31T23:59:59Z');
    expect(normalizeDateTime('0000-06-01T00:00:00Z')).toBeNull();
    expect(normalizeDateTime('0000-12-31T23:00:00-02:00')).toBeNull();
    expect(normalizeDateTime('0001-01-01T00:30:00+01:00')).toBeNull();
    expect(normalizeDateTime('0001-01-01T01:00:00+01:00')).toBe('0001-01-01T00:00:00Z');
  });

  it('agrees with Date.parse on the instant for random valid date-times with offsets', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const p2 = (n: number) => String(n).padStart(2, '0');
    for (let i = 0; i < 2000; i++) {
      const y = 1970 + rnd(80);
      const mo = 1 + rnd(12);
      const d = 1 + rnd(28);
      const text = `${y}-${p2(mo)}-${p2(d)}T${p2(rnd(24))}:${p2(rnd(60))}:${p2(rnd(60))}${rnd(2) ? '+' : '-'}${p2(rnd(15))}:${p2(rnd(4) * 15)}`;
      const got = normalizeDateTime(text);
      expect(got, text).not.toBeNull();
      expect(Date.parse(got!), text).toBe(Date.parse(text));
      expect(got!.endsWith('Z')).toBe(true);
    }
  });
});

describe('checkRecord: several reasons at once', () => {
  it('reports every broken rule of a hired employee, in column order', () => {
    expect(checkRecord('hired_employees', ['0', '', '2021-02-29T00:00:00Z', 'x', '2147483648'])).toEqual({
      row: null,
      reasons: ['invalid_id', 'missing_name', 'invalid_datetime', 'invalid_department_id', 'invalid_job_id'],
    });
    expect(checkRecord('hired_employees', ['', 'n'.repeat(101), '', '', ''])).toEqual({
      row: null,
      reasons: ['missing_id', 'too_long_name', 'missing_datetime', 'missing_department_id', 'missing_job_id'],
    });
    expect(checkRecord('departments', ['-1', 'd'.repeat(101)])).toEqual({
      row: null,
      reasons: ['invalid_id', 'too_long_department'],
    });
    expect(checkRecord('jobs', ['', ''])).toEqual({ row: null, reasons: ['missing_id', 'missing_job'] });
  });
});

describe('describeReject', () => {
  it('names the record, each field and each rule', () => {
    const text = describeReject('hired_employees', 'line 7', [
      'invalid_id',
      'missing_name',
      'invalid_datetime',
      'invalid_department_id',
      'invalid_job_id',
    ]);
    expect(text.startsWith('line 7: ')).toBe(true);
    expect(text).toContain('id is not an integer in 1..2147483647');
    expect(text).toContain('name is empty');
    expect(text).toContain('datetime is not an ISO 8601 date-time');
    expect(text).toContain('department_id is not an integer in 1..2147483647');
    expect(text).toContain('job_id is not an integer in 1..2147483647');
    expect(text).toContain('[invalid_id, missing_name, invalid_datetime, invalid_department_id, invalid_job_id]');
  });

  it('explains field_count with the expected columns of the table', () => {
    expect(describeReject('departments', 'row 0', ['field_count'])).toBe(
      'row 0: has the wrong number of fields (expected 2: id,department) [field_count]',
    );
    expect(describeReject('hired_employees', 'line 3', ['field_count'])).toContain(
      'expected 5: id,name,datetime,department_id,job_id',
    );
  });

  it('explains too_long, unknown_* and duplicate_id', () => {
    const text = describeReject('hired_employees', 'row 4', ['too_long_name', 'unknown_department', 'unknown_job', 'duplicate_id']);
    expect(text).toBe(
      'row 4: name is longer than 100 characters; department_id is not in departments; job_id is not in jobs; ' +
        'id appeared earlier in the same load [too_long_name, unknown_department, unknown_job, duplicate_id]',
    );
    expect(describeReject('jobs', 'line 2', ['missing_job'])).toBe('line 2: job is empty [missing_job]');
  });
});

describe('tableForFile', () => {
  it.each([
    ['departments.csv', 'departments'],
    ['jobs.csv', 'jobs'],
    ['hired_employees.csv', 'hired_employees'],
    ['Hired_Employees_2021-07.CSV', 'hired_employees'],
    ['JOBS-extra.csv', 'jobs'],
    ['departments.csv.tmp', null],
    ['jobs.txt', null],
    ['employees.csv', null],
    ['my_jobs.csv', null],
    ['', null],
  ] as [string, TableName | null][])('%j -> %j', (name, table) => {
    expect(tableForFile(name)).toBe(table);
  });
});
