import { describe, it, expect } from 'vitest';
import { parse as csvParse } from 'csv-parse/sync';
import { CronTime } from 'cron';
import { ConfigError, loadConfig } from '../../shared/config/config.ts';
import {
  compareText,
  DEFAULT_REPORT_YEAR,
  parseReportYear,
  REPORT_COLUMNS,
  reportToCsv,
  sortHiredByQuarter,
  sortHiringAboveAverage,
  yearBounds,
  type HiredByQuarterRow,
  type HiringAboveAverageRow,
} from '../../shared/domain/reports.ts';

const HTTP_LIMIT_DEFAULTS = {
  corsOrigins: [],
  allowedHosts: [],
  maxBatchBytes: 4 * 1024 * 1024,
  maxUploadBytes: 10 * 1024 ** 3,
  headersTimeoutMs: 30_000,
  bodyMinBytesPerSecond: 1024,
  bodyRateWindowMs: 30_000,
};

describe('loadConfig: defaults', () => {
  it('runs on the embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      databaseUrl: 'sqlite:var/hiredb.sqlite',
      blobDir: 'var/blob',
      azureStorageConnectionString: null,
      azureBlobContainer: 'hiredb',
      port: 8787,
      host: '127.0.0.1',
      loadSchedule: '*/5 * * * * *',
      batchSize: 1000,
      commit: { rows: 10_000, ms: 1_000 },
      loadConcurrency: 2,
      leaseMs: 30000,
      legacyWaitMs: 60000,
      retryAttempts: 5,
      databaseTimeouts: { connectMs: 10000, statementMs: 60000 },
      auth: 'auto',
      publicReports: false,
      loadEncoding: 'utf-8',
      maxRecordBytes: 1048576,
      ...HTTP_LIMIT_DEFAULTS,
    });
  });

  it('the default LOAD_SCHEDULE fires every 5 seconds', () => {
    const times = new CronTime(loadConfig({}).loadSchedule).sendAt(4).map((t) => t.toMillis());
    expect(times.slice(1).map((t, i) => t - times[i])).toEqual([5000, 5000, 5000]);
    expect(times.every((t) => (t / 1000) % 5 === 0)).toBe(true);
  });

  it('treats empty and blank variables as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', PORT: '   ', BATCH_SIZE: '', HOST: ' ', LOAD_SCHEDULE: '' });
    expect(config.databaseUrl).toBe('sqlite:var/hiredb.sqlite');
    expect(config.port).toBe(8787);
    expect(config.batchSize).toBe(1000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.loadSchedule).toBe('*/5 * * * * *');
  });

  it('reads and trims given values', () => {
    const config = loadConfig({
      DATABASE_URL: ' postgres://u:p@db:5432/hr ',
      BLOB_DIR: '/data/in',
      PORT: ' 9000 ',
      HOST: '0.0.0.0',
      LOAD_SCHEDULE: '0 */2 * * * *',
      BATCH_SIZE: '250',
      LOAD_COMMIT_ROWS: ' 5000 ',
      LOAD_COMMIT_MS: '250',
      LOAD_CONCURRENCY: '4',
      LOAD_LEASE_MS: '60000',
      LEGACY_WAIT_MS: '5000',
      AZURE_BLOB_CONTAINER: 'hr-files',
      AZURE_STORAGE_CONNECTION_STRING: ' UseDevelopmentStorage=true ',
    });
    expect(config).toEqual({
      databaseUrl: 'postgres://u:p@db:5432/hr',
      blobDir: '/data/in',
      azureStorageConnectionString: 'UseDevelopmentStorage=true',
      azureBlobContainer: 'hr-files',
      port: 9000,
      host: '0.0.0.0',
      loadSchedule: '0 */2 * * * *',
      batchSize: 250,
      commit: { rows: 5000, ms: 250 },
      loadConcurrency: 4,
      leaseMs: 60000,
      legacyWaitMs: 5000,
      retryAttempts: 5,
      databaseTimeouts: { connectMs: 10000, statementMs: 60000 },
      auth: 'auto',
      publicReports: false,
      loadEncoding: 'utf-8',
      maxRecordBytes: 1048576,
      ...HTTP_LIMIT_DEFAULTS,
    });
  });

  it.each(['sqlite:/tmp/x.sqlite', 'postgresql://localhost/hr', 'mssql://sa:pw@localhost/hr', 'sqlserver://sa:pw@localhost/hr'])('accepts DATABASE_URL=%s', (url) => {
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });
});

describe('loadConfig: bad values throw a ConfigError naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['BATCH_SIZE', '0'],
    ['BATCH_SIZE', 'lots'],
    ['BATCH_SIZE', '1e3'],
    ['LOAD_COMMIT_ROWS', '0'],
    ['LOAD_COMMIT_ROWS', '2000000'],
    ['LOAD_COMMIT_MS', 'soon'],
    ['LOAD_SCHEDULE', 'nonsense'],
    ['LOAD_SCHEDULE', '61 * * * * *'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'var/hiredb.sqlite'],
    ['LOAD_CONCURRENCY', '0'],
    ['LOAD_LEASE_MS', '10'],
    ['HIREDB_RETRY_ATTEMPTS', 'abc'],
    ['HIREDB_RETRY_ATTEMPTS', '0'],
    ['HIREDB_RETRY_ATTEMPTS', '101'],
    ['DATABASE_CONNECT_TIMEOUT_MS', 'soon'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '0'],
    ['AZURE_BLOB_CONTAINER', 'Bad_Name'],
  ])('%s=%s', (name, value) => {
    let error: unknown = null;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).name).toBe('ConfigError');
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain(value);
  });
});

describe('loadConfig: AZURE_SQL_CONNECTION_STRING', () => {
  const ado = 'Server=tcp:hr.database.windows.net,1433;Initial Catalog=hr;User ID=u;Password=p;Encrypt=True;';

  it('is used when DATABASE_URL is unset or blank', () => {
    expect(loadConfig({ AZURE_SQL_CONNECTION_STRING: ado }).databaseUrl).toBe(ado);
    expect(loadConfig({ AZURE_SQL_CONNECTION_STRING: `  ${ado}  `, DATABASE_URL: ' ' }).databaseUrl).toBe(ado);
  });

  it('gives way to DATABASE_URL when both are set', () => {
    expect(loadConfig({ AZURE_SQL_CONNECTION_STRING: ado, DATABASE_URL: 'sqlite:x.sqlite' }).databaseUrl).toBe('sqlite:x.sqlite');
  });

  it('does not excuse a bad DATABASE_URL', () => {
    expect(() => loadConfig({ AZURE_SQL_CONNECTION_STRING: ado, DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
  });
});

describe('parseReportYear', () => {
  it.each([
    [undefined, DEFAULT_REPORT_YEAR],
    [null, DEFAULT_REPORT_YEAR],
    ['', 2021],
    ['2021', 2021],
    ['2020', 2020],
    [' 2022 ', 2022],
    ['1', 1],
    ['0001', 1],
    ['9999', 9999],
  ] as [string | undefined | null, number][])('%j -> %d', (value, year) => {
    expect(parseReportYear(value)).toBe(year);
  });

  it.each(['0', '0000', '10000', '-1', '-2021', '2021.5', '20 21', 'abc', '2021a', '1e3', '0x7E5', '+2021', '٢٠٢١'])(
    '%j throws a RangeError',
    (value) => {
      expect(() => parseReportYear(value)).toThrow(RangeError);
    },
  );
});

describe('yearBounds', () => {
  it('gives [1 Jan of the year, 1 Jan of the next) as UTC day strings', () => {
    expect(yearBounds(2021)).toEqual(['2021-01-01', '2022-01-01']);
    expect(yearBounds(1)).toEqual(['0001-01-01', '0002-01-01']);
    const [start, end] = yearBounds(9999);
    expect(start).toBe('9999-01-01');
    expect('9999-12-31' < end).toBe(true); // every day of 9999 is inside
  });
});

describe('compareText', () => {
  it("orders 'a' < 'B' < 'b' (case-insensitive first, then exact text)", () => {
    expect(['b', 'B', 'a'].sort(compareText)).toEqual(['a', 'B', 'b']);
    expect(['B', 'b', 'a'].sort(compareText)).toEqual(['a', 'B', 'b']);
    expect(compareText('b', 'B')).toBeGreaterThan(0);
    expect(compareText('B', 'b')).toBeLessThan(0);
    expect(compareText('a', 'B')).toBeLessThan(0);
    expect(compareText('B', 'a')).toBeGreaterThan(0);
    expect(compareText('Sales', 'Sales')).toBe(0);
  });

  it('sorts words case-insensitively', () => {
    expect(['sales', 'Accounting', 'Zeta', 'marketing', 'Marketing', 'alpha'].sort(compareText)).toEqual([
      'Accounting',
      'alpha',
      'Marketing',
      'marketing',
      'sales',
      'Zeta',
    ]);
    expect(['ab', 'A', 'a', 'AB', 'Ab'].sort(compareText)).toEqual(['A', 'a', 'AB', 'Ab', 'ab']);
  });

  it('compares the lower-cased text, so _ (0x5F) sorts before every letter', () => {
    // Pinned because the SQL side must use the same folding (LOWER, not UPPER) to agree.
    expect(['b', '_x', 'B'].sort(compareText)).toEqual(['_x', 'B', 'b']);
  });

  it('is a consistent total order (antisymmetric, zero only for equal text, transitive)', () => {
    const alphabet = ['a', 'A', 'b', 'B', 'z', 'Z', '_', ' ', '1', 'é', 'É'];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 48271) + 11) >>> 0;
      return seed % n;
    };
    const words = Array.from({ length: 300 }, () => Array.from({ length: rnd(4) }, () => alphabet[rnd(alphabet.length)]).join(''));
    for (let i = 0; i < words.length; i++) {
      for (let j = 0; j < words.length; j += 7) {
        const a = words[i];
        const b = words[j];
        expect(Math.sign(compareText(a, b)) + Math.sign(compareText(b, a))).toBe(0);
        expect(compareText(a, b) === 0).toBe(a === b);
      }
    }
    const sorted = [...words].sort(compareText);
    for (let i = 1; i < sorted.length; i++) expect(compareText(sorted[i - 1], sorted[i])).toBeLessThanOrEqual(0);
    for (let i = 0; i + 2 < sorted.length; i += 3) expect(compareText(sorted[i], sorted[i + 2])).toBeLessThanOrEqual(0);
  });
});

describe('report sorting', () => {
  const q = (department: string, job: string): HiredByQuarterRow => ({ department, job, Q1: 0, Q2: 0, Q3: 0, Q4: 0 });

  it('hired-by-quarter: by department then job, case-insensitively then exact', () => {
    const rows = [q('Staff', 'b'), q('staff', 'A'), q('Staff', 'a'), q('Accounting', 'Z'), q('Staff', 'B'), q('accounting', 'a')];
    expect(sortHiredByQuarter(rows).map((r) => `${r.department}/${r.job}`)).toEqual([
      'Accounting/Z',
      'accounting/a',
      'Staff/a',
      'Staff/B',
      'Staff/b',
      'staff/A',
    ]);
  });

  it('hiring-above-average: by hired descending, then id', () => {
    const rows: HiringAboveAverageRow[] = [
      { id: 3, department: 'c', hired: 10 },
      { id: 1, department: 'a', hired: 12 },
      { id: 7, department: 'g', hired: 10 },
      { id: 2, department: 'b', hired: 10 },
      { id: 9, department: 'i', hired: 40 },
    ];
    expect(sortHiringAboveAverage(rows).map((r) => r.id)).toEqual([9, 1, 2, 3, 7]);
  });
});

describe('reportToCsv', () => {
  it('writes a header line and one line per row, LF-terminated', () => {
    const csv = reportToCsv([{ id: 1, department: 'Sales', hired: 12 }], REPORT_COLUMNS['hiring-above-average']);
    expect(csv).toBe('id,department,hired\n1,Sales,12\n');
    expect(reportToCsv([], REPORT_COLUMNS['hired-by-quarter'])).toBe('department,job,Q1,Q2,Q3,Q4\n');
  });

  it('quotes fields with commas, quotes, CR or LF and doubles inner quotes', () => {
    const rows: HiredByQuarterRow[] = [
      { department: 'R&D, Labs', job: 'The "Boss"', Q1: 1, Q2: 2, Q3: 3, Q4: 4 },
      { department: 'Two\nLines', job: 'CR\rhere', Q1: 0, Q2: 0, Q3: 0, Q4: 0 },
      { department: 'plain text', job: "O'Neil", Q1: 5, Q2: 0, Q3: 0, Q4: 0 },
    ];
    const csv = reportToCsv(rows, REPORT_COLUMNS['hired-by-quarter']);
    expect(csv.split('\n')[1]).toBe('"R&D, Labs","The ""Boss""",1,2,3,4');
    expect(csv).toContain('"Two\nLines","CR\rhere",0,0,0,0\n');
    expect(csv).toContain("\nplain text,O'Neil,5,0,0,0\n");
  });

  it('round-trips through an independent CSV parser', () => {
    const names = ['a', 'A,b', '"', '""', 'x\ny', 'x\r\ny', ' spaced ', 'é😀', ',', 'end"'];
    const rows: HiredByQuarterRow[] = [];
    for (const d of names) for (const j of names) rows.push({ department: d, job: j, Q1: 1, Q2: 22, Q3: 333, Q4: 0 });
    const csv = reportToCsv(rows, REPORT_COLUMNS['hired-by-quarter']);
    const parsed = csvParse(csv) as string[][];
    expect(parsed[0]).toEqual(['department', 'job', 'Q1', 'Q2', 'Q3', 'Q4']);
    expect(parsed.slice(1)).toEqual(rows.map((r) => [r.department, r.job, '1', '22', '333', '0']));
  });
});
