import { describe, expect, it } from 'vitest';
import { csvLine, neutraliseFormula } from '../../shared/csv/csv-format.ts';
import { logLine, consoleLogger } from '../../shared/platform/logger.ts';
import { quoteInput } from '../../shared/domain/quote-input.ts';
import { assertPlainFileName } from '../../shared/ports/blob-store.port.ts';
import { BodyRateMeter } from '../../worker/entry/body-rate.ts';
import { hostName, isLoopbackHost } from '../../worker/middleware/host-check.ts';
import { loadConfig } from '../../shared/config/config.ts';

describe('formula neutralisation (OWASP rule)', () => {
  it.each([
    ['=1+2', "'=1+2"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['Sales', 'Sales'],
    ['a=b', 'a=b'],
    ['', ''],
    [' =1', ' =1'],
  ])('%j → %j', (cell, out) => expect(neutraliseFormula(cell)).toBe(out));

  it('csvLine neutralises, then quotes; raw leaves cells as they are', () => {
    expect(csvLine(['=HYPERLINK("x")', 5, '\rA'])).toBe(`"'=HYPERLINK(""x"")",5,"'\rA"`);
    expect(csvLine(['=HYPERLINK("x")', 5], { raw: true })).toBe('"=HYPERLINK(""x"")",5');
  });
});

describe('structured log lines', () => {
  it('one JSON object a line: time, level, msg first, fields after', () => {
    const line = logLine('info', 'task queued', { task: 3, file: 'a.csv' }, new Date('2026-01-02T03:04:05Z'));
    expect(line).toBe('{"time":"2026-01-02T03:04:05.000Z","level":"info","msg":"task queued","task":3,"file":"a.csv"}\n');
  });

  it('control characters in any field are escaped, so input cannot break or forge a line', () => {
    const hostile = 'x\n{"time":"2026-01-01T00:00:00Z","level":"error","msg":"forged"}\r\u001b[2J\u0000';
    const out: string[] = [];
    const log = consoleLogger({ write: (s: string) => out.push(s) });
    log.warn(hostile, { file: hostile, nested: { name: hostile } });
    expect(out).toHaveLength(1);
    expect(out[0].indexOf('\n')).toBe(out[0].length - 1);
    expect(out[0]).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const parsed = JSON.parse(out[0]);
    expect(parsed).toMatchObject({ level: 'warn', msg: hostile, file: hostile });
  });

  it('fields cannot override time, level or msg; errors and bigints are written readably', () => {
    const parsed = JSON.parse(logLine('error', 'real', { level: 'info', msg: 'fake', time: 'never', error: new Error('boom'), n: 10n }));
    expect(parsed).toMatchObject({ level: 'error', msg: 'real', error: 'boom', n: '10' });
    expect(parsed.time).not.toBe('never');
  });
});

describe('quoteInput', () => {
  it('shows control, DEL, C1 and line-separator characters as \\uXXXX, and cuts long values', () => {
    expect(quoteInput('a\nb\u001b\u007f\u0085\u2028')).toBe('"a\\nb\\u001b\\u007f\\u0085\\u2028"');
    expect(quoteInput('x'.repeat(300))).toBe(`"${'x'.repeat(200)}"… (300 characters)`);
  });
});

describe('upload file names', () => {
  it.each(['departments.csv', 'hired_employees_2021-01.csv', 'jobs.CSV', 'jobs.csv.gz', `d${'a'.repeat(195)}.csv`])('accepts %j', (name) =>
    expect(() => assertPlainFileName(name)).not.toThrow(),
  );
  it.each(['', '.csv', '.hidden.csv', 'a/b.csv', 'a\\b.csv', 'a..csv', 'a b.csv', 'a\n.csv', 'a\u001b.csv', 'a.txt', 'a.csv.zip', `d${'a'.repeat(196)}.csv`, 'é.csv'])(
    'refuses %j with INVALID_NAME',
    (name) => expect(() => assertPlainFileName(name)).toThrow(expect.objectContaining({ code: 'INVALID_NAME' })),
  );
});

describe('BodyRateMeter', () => {
  it('cuts off a client dripping a byte every few seconds once a whole window has passed', () => {
    const meter = new BodyRateMeter(1024, 30_000);
    let cut = -1;
    for (let t = 0, bytes = 0; t <= 60_000; t += 3_000, bytes += 1) {
      if (meter.tooSlow(t, bytes, true)) {
        cut = t;
        break;
      }
    }
    expect(cut).toBe(30_000);
  });

  it('lets a slow but steady upload go on for as long as it keeps the rate', () => {
    const meter = new BodyRateMeter(1024, 30_000);
    for (let t = 0; t <= 3_600_000; t += 1_000) expect(meter.tooSlow(t, (t / 1000) * 1100, true)).toBe(false);
  });

  it('averages over the window: a burst then silence is cut one window after the burst', () => {
    const meter = new BodyRateMeter(1024, 10_000);
    expect(meter.tooSlow(0, 0, true)).toBe(false);
    expect(meter.tooSlow(1_000, 100_000, true)).toBe(false);
    let cut = -1;
    for (let t = 2_000; t <= 30_000; t += 1_000) if (cut < 0 && meter.tooSlow(t, 100_000, true)) cut = t;
    expect(cut).toBe(11_000);
  });

  it('time the server spends not reading starts a new window', () => {
    const meter = new BodyRateMeter(1024, 10_000);
    for (let t = 0; t <= 60_000; t += 1_000) expect(meter.tooSlow(t, 0, t % 9_000 !== 0)).toBe(false);
  });
});

describe('Host names', () => {
  it('knows loopback', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', 'localhost.attacker.example', '127.0.0.1.nip.io']) expect(isLoopbackHost(h), h).toBe(false);
  });
  it('reads the name from a Host header', () => {
    expect(hostName('LocalHost:8787')).toBe('localhost');
    expect(hostName('[::1]:80')).toBe('[::1]');
    expect(hostName('a b')).toBeNull();
    expect(hostName('evil.example:80:80')).toBeNull();
  });
});

describe('settings', () => {
  it('defaults: no CORS origin, no extra host, 4 MiB batches, 10 GiB uploads, 30 s headers, 1 KiB/s over 30 s', () => {
    expect(loadConfig({})).toMatchObject({
      corsOrigins: [],
      allowedHosts: [],
      maxBatchBytes: 4 * 1024 * 1024,
      maxUploadBytes: 10 * 1024 ** 3,
      headersTimeoutMs: 30_000,
      bodyMinBytesPerSecond: 1024,
      bodyRateWindowMs: 30_000,
    });
  });
  it('reads the lists and refuses bad entries naming the variable', () => {
    expect(loadConfig({ HIREDB_CORS_ORIGINS: 'https://bi.example.com, http://localhost:3000', HIREDB_ALLOWED_HOSTS: 'hiredb.example.com' })).toMatchObject({
      corsOrigins: ['https://bi.example.com', 'http://localhost:3000'],
      allowedHosts: ['hiredb.example.com'],
    });
    expect(() => loadConfig({ HIREDB_CORS_ORIGINS: 'https://bi.example.com/path' })).toThrow(/HIREDB_CORS_ORIGINS/);
    expect(() => loadConfig({ HIREDB_ALLOWED_HOSTS: 'a b' })).toThrow(/HIREDB_ALLOWED_HOSTS/);
    expect(() => loadConfig({ HIREDB_MAX_BATCH_BYTES: '4MB' })).toThrow(/HIREDB_MAX_BATCH_BYTES/);
  });
});
