import { describe, it, expect } from 'vitest';
import type { Reject } from '../../shared/domain/reasons.ts';
import type { RowOf, TableName } from '../../shared/domain/tables.ts';
import { readRecords, type RecordChunk } from '../../shared/csv/read-records.ts';
import { IdSet } from '../../shared/service/id-set.ts';
import { newLoadContext, validateRecord, type LoadContext } from '../../shared/service/validate.ts';
import { prepareBatches, type PreparedBatch, type PrepareOptions } from '../../shared/service/prepare-batches.ts';

const utf8 = new TextEncoder();

const fields = (raw: string) => raw.split(',');

/** Validates raw lines (no quoting) in order, numbering them from 1. */
function validateAll<T extends TableName>(ctx: LoadContext<T>, lines: string[]) {
  return lines.map((raw, i) => validateRecord(ctx, i + 1, raw, fields(raw)));
}

const reasonsOf = (results: ReturnType<typeof validateAll>) => results.map((r) => r.reject?.reasons ?? null);

async function* bytes(text: string, chunkSize = Number.POSITIVE_INFINITY): AsyncGenerator<Uint8Array> {
  const all = utf8.encode(text);
  for (let i = 0; i < all.length; i += Math.min(chunkSize, all.length)) yield all.subarray(i, i + chunkSize);
}

async function collect<T extends TableName>(
  text: string,
  ctx: LoadContext<T>,
  opts: Partial<PrepareOptions> = {},
  chunkSize?: number,
): Promise<PreparedBatch<T>[]> {
  const out: PreparedBatch<T>[] = [];
  const options: PrepareOptions = { batchSize: 1000, resumeAfterLine: 0, slice: null, ...opts };
  for await (const b of prepareBatches(readRecords(bytes(text, chunkSize)), ctx, options)) out.push(b);
  return out;
}

const allRows = <T extends TableName>(batches: PreparedBatch<T>[]) => batches.flatMap((b) => b.rows);
const allRejects = (batches: PreparedBatch[]) => batches.flatMap((b) => b.rejects);

describe('validateRecord', () => {
  it('returns the typed row of a valid record', () => {
    const ctx = newLoadContext('departments');
    expect(validateRecord(ctx, 3, ' 4 , Sales ', [' 4 ', ' Sales '])).toEqual({ row: { id: 4, department: 'Sales' }, reject: null });
  });

  it('rejects a later valid-looking record with the id of an earlier valid one as duplicate_id', () => {
    const ctx = newLoadContext('departments');
    const [first, second, third] = validateAll(ctx, ['5,Sales', '5,Marketing', ' 5 ,Other']);
    expect(first.row).toEqual({ id: 5, department: 'Sales' });
    expect(second).toEqual({ row: null, reject: { line: 2, id: '5', raw: '5,Marketing', reasons: ['duplicate_id'] } });
    expect(third.reject?.reasons).toEqual(['duplicate_id']); // ' 5 ' is the same id once trimmed
    expect(third.reject?.id).toBe('5');
  });

  it('an earlier REJECTED record with the same id does not make the later one a duplicate', () => {
    const ctx = newLoadContext('departments');
    const results = validateAll(ctx, ['5,', '5,' + 'x'.repeat(101), '5,a,b', '5,Sales', '5,Again']);
    expect(reasonsOf(results)).toEqual([
      ['missing_department'],
      ['too_long_department'],
      ['field_count'],
      null,
      ['duplicate_id'],
    ]);
    expect(results[3].row).toEqual({ id: 5, department: 'Sales' });
  });

  it('an earlier record rejected as unknown_department/unknown_job does not make the later one a duplicate', () => {
    const ctx = newLoadContext('hired_employees', { departmentIds: new Set([1]), jobIds: new Set([1]) });
    const results = validateAll(ctx, [
      '9,Ann,2021-01-01T00:00:00Z,2,1',
      '9,Ann,2021-01-01T00:00:00Z,1,2',
      '9,Ann,2021-01-01T00:00:00Z,1,1',
      '9,Ann,2021-01-01T00:00:00Z,1,1',
    ]);
    expect(reasonsOf(results)).toEqual([['unknown_department'], ['unknown_job'], null, ['duplicate_id']]);
  });

  it('reports duplicate_id together with the other reasons of a later broken record', () => {
    const ctx = newLoadContext('hired_employees', { departmentIds: new Set([1]), jobIds: new Set([1]) });
    const results = validateAll(ctx, [
      '7,Ann,2021-01-01T00:00:00Z,1,1',
      '7,,2021-02-30T00:00:00Z,1,1',
      '7,Bob,2021-01-01T00:00:00Z,3,4',
      '7,Bob',
    ]);
    expect(reasonsOf(results)).toEqual([
      null,
      ['missing_name', 'invalid_datetime', 'duplicate_id'],
      ['unknown_department', 'unknown_job', 'duplicate_id'],
      ['field_count', 'duplicate_id'],
    ]);
  });

  it('checks department_id and job_id against the dimension ids', () => {
    const ctx = newLoadContext('hired_employees', { departmentIds: new Set([1, 2]), jobIds: new Set([10]) });
    const results = validateAll(ctx, [
      '1,Ann,2021-01-01T00:00:00Z,2,10',
      '2,Bob,2021-01-01T00:00:00Z,3,10',
      '3,Cy,2021-01-01T00:00:00Z,1,11',
      '4,Di,2021-01-01T00:00:00Z,9,9',
      '5,Ed,2021-01-01T00:00:00Z,0,10', // invalid, not unknown
    ]);
    expect(reasonsOf(results)).toEqual([
      null,
      ['unknown_department'],
      ['unknown_job'],
      ['unknown_department', 'unknown_job'],
      ['invalid_department_id'],
    ]);
    expect(results[0].row).toEqual({ id: 1, name: 'Ann', datetime: '2021-01-01T00:00:00Z', department_id: 2, job_id: 10 });
  });

  it('an empty dimension table makes every reference unknown', () => {
    const ctx = newLoadContext('hired_employees', { departmentIds: new Set(), jobIds: new Set() });
    expect(validateAll(ctx, ['1,Ann,2021-01-01T00:00:00Z,1,1'])[0].reject?.reasons).toEqual(['unknown_department', 'unknown_job']);
  });

  it('keeps line, trimmed id text (null when empty) and raw text in a reject', () => {
    const ctx = newLoadContext('jobs');
    expect(validateRecord(ctx, 12, ' ,Engineer', [' ', 'Engineer']).reject).toEqual<Reject>({
      line: 12,
      id: null,
      raw: ' ,Engineer',
      reasons: ['missing_id'],
    });
    expect(validateRecord(ctx, 13, ' abc ,', [' abc ', '']).reject).toEqual<Reject>({
      line: 13,
      id: 'abc',
      raw: ' abc ,',
      reasons: ['invalid_id', 'missing_job'],
    });
  });

  it('load contexts are independent', () => {
    const a = newLoadContext('jobs');
    const b = newLoadContext('jobs');
    expect(validateRecord(a, 1, '1,x', ['1', 'x']).reject).toBeNull();
    expect(validateRecord(b, 1, '1,x', ['1', 'x']).reject).toBeNull();
  });
});

describe('prepareBatches', () => {
  const departments = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `${from + i},Dept ${from + i}\n`).join('');

  it('yields batches of at most batchSize valid rows, then a final (possibly empty) batch', async () => {
    const batches = await collect(departments(7), newLoadContext('departments'), { batchSize: 3 });
    expect(batches.map((b) => b.rows.length)).toEqual([3, 3, 1]);
    expect(allRows(batches).map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(batches.map((b) => b.lastLine)).toEqual([3, 6, 7]);

    const exact = await collect(departments(6), newLoadContext('departments'), { batchSize: 3 });
    expect(exact.map((b) => b.rows.length)).toEqual([3, 3, 0]);
    expect(exact.at(-1)!.lastLine).toBe(6);
  });

  it('an empty or header-only file yields one empty final batch', async () => {
    for (const text of ['', 'id,department\n', '\n\n']) {
      const batches = await collect(text, newLoadContext('departments'));
      expect(batches).toEqual([{ rows: [], rejects: [], lastLine: 0, bytesRead: utf8.encode(text).length }]);
    }
  });

  it('bounds rejects by batchSize as well, and keeps rows and rejects in file order', async () => {
    const text = 'id,department\n1,a\n0,bad\n2,b\n,\n3,c\n1,dup\n4,d\n-1,x\n';
    const batches = await collect(text, newLoadContext('departments'), { batchSize: 2 });
    for (const b of batches) {
      expect(b.rows.length).toBeLessThanOrEqual(2);
      expect(b.rejects.length).toBeLessThanOrEqual(2);
    }
    expect(allRows(batches).map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(allRejects(batches).map((r) => [r.line, r.reasons])).toEqual([
      [3, ['invalid_id']],
      [5, ['missing_id', 'missing_department']],
      [7, ['duplicate_id']],
      [9, ['invalid_id']],
    ]);
    const lastLines = batches.map((b) => b.lastLine);
    expect([...lastLines].sort((x, y) => x - y)).toEqual(lastLines);
    expect(lastLines.at(-1)).toBe(9);
  });

  it('a run of rejects alone also fills batches of batchSize', async () => {
    const text = '1,a\n0,x\n-1,x\nx,x\n,\n2,b\n';
    const batches = await collect(text, newLoadContext('departments'), { batchSize: 2 });
    expect(batches.map((b) => [b.rows.length, b.rejects.length, b.lastLine])).toEqual([
      [1, 2, 3],
      [0, 2, 5],
      [1, 0, 6],
    ]);
  });

  it('reports bytesRead growing to the file size', async () => {
    const text = 'id,department\n' + departments(50);
    const batches = await collect(text, newLoadContext('departments'), { batchSize: 7 }, 64);
    const counts = batches.map((b) => b.bytesRead);
    expect([...counts].sort((x, y) => x - y)).toEqual(counts);
    expect(counts.at(-1)).toBe(utf8.encode(text).length);
    expect(counts[0]).toBeLessThan(utf8.encode(text).length); // progress is reported before the end
    expect(allRows(batches)).toHaveLength(50);
  });

  it('lastLine is the start line of a multi-line last record, so resuming after it skips the whole record', async () => {
    const text = '1,"two\nlines"\n2,b\n3,"x\ny\nz"\n4,d\n';
    const batches = await collect(text, newLoadContext('departments'), { batchSize: 1 });
    // Line breaks inside quotes are control characters: those records are rejected, with their start line.
    expect(batches.map((b) => [b.lastLine, b.rows.map((r) => r.id), b.rejects.map((r) => r.line)])).toEqual([
      [1, [], [1]],
      [3, [2], []],
      [4, [], [4]],
      [7, [4], []],
      [7, [], []],
    ]);
    const resumed = await collect(text, newLoadContext('departments'), { resumeAfterLine: 4 });
    expect(allRows(resumed).map((r) => r.id)).toEqual([4]);
  });

  it('resumeAfterLine: records up to the checkpoint are not emitted but still count for duplicate_id', async () => {
    const text = 'id,department\n1,a\n2,b\n3,\n3,c\n1,again\n4,d\n2,again\n';
    const batches = await collect(text, newLoadContext('departments'), { resumeAfterLine: 4 });
    expect(allRows(batches)).toEqual([
      { id: 3, department: 'c' }, // line 4's rejected 3 did not make it a duplicate
      { id: 4, department: 'd' },
    ]);
    expect(allRejects(batches).map((r) => [r.line, r.reasons])).toEqual([
      [6, ['duplicate_id']],
      [8, ['duplicate_id']],
    ]);
    expect(allRows(batches).length + allRejects(batches).length).toBe(4); // lines 5..8
    expect(batches.at(-1)!.lastLine).toBe(8);
  });

  it('resuming after the last line yields nothing new', async () => {
    const batches = await collect(departments(5), newLoadContext('departments'), { resumeAfterLine: 5 });
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ rows: [], rejects: [], lastLine: 5 });
  });

  it('resuming after any batch checkpoint gives exactly the rows and rejects of an uninterrupted load', async () => {
    let seed = 99;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    const lines: string[] = ['ID,name,datetime,department_id,job_id'];
    for (let i = 0; i < 120; i++) {
      const id = rnd(10) === 0 ? 'x' : String(1 + rnd(60));
      const dept = 1 + rnd(4);
      const day = 1 + rnd(31);
      lines.push(`${id},"Name ${i}${rnd(5) === 0 ? '\n(second line)' : ''}",2021-01-${String(day).padStart(2, '0')}T10:00:00Z,${dept},1`);
      if (rnd(8) === 0) lines.push('');
    }
    const text = lines.join('\r\n') + '\r\n';
    const dims = () => ({ departmentIds: new Set([1, 2, 3]), jobIds: new Set([1]) });
    const full = await collect(text, newLoadContext('hired_employees', dims()), { batchSize: 8 }, 97);
    const fullRows = allRows(full);
    const fullRejects = allRejects(full);
    expect(fullRows.length + fullRejects.length).toBe(120);
    expect(fullRejects.some((r) => r.reasons.includes('duplicate_id'))).toBe(true);
    expect(fullRejects.some((r) => r.reasons.includes('unknown_department'))).toBe(true);

    for (let k = 0; k < full.length; k++) {
      const done = full.slice(0, k + 1);
      const rest = await collect(text, newLoadContext('hired_employees', dims()), {
        batchSize: 8,
        resumeAfterLine: done.at(-1)!.lastLine,
      }, 53);
      expect([...allRows(done), ...allRows(rest)], `resume after batch ${k}`).toEqual(fullRows);
      expect([...allRejects(done), ...allRejects(rest)], `resume after batch ${k}`).toEqual(fullRejects);
    }
  });

  it('slice: start and limit count data records only (header and blank lines excluded)', async () => {
    const text = 'id,department\n1,a\n\n2,b\n3,c\n4,d\n\n5,e\n6,f\n';
    for (const chunkSize of [undefined, 1, 5]) {
      const batches = await collect(text, newLoadContext('departments'), { slice: { start: 2, limit: 3 } }, chunkSize);
      expect(allRows(batches).map((r) => r.id)).toEqual([3, 4, 5]);
      expect(batches.at(-1)!.lastLine).toBe(8);
    }
    const head = await collect(text, newLoadContext('departments'), { slice: { start: 0, limit: 1 } });
    expect(allRows(head).map((r) => r.id)).toEqual([1]);
    const tail = await collect(text, newLoadContext('departments'), { slice: { start: 4, limit: 100 } });
    expect(allRows(tail).map((r) => r.id)).toEqual([5, 6]);
    const past = await collect(text, newLoadContext('departments'), { slice: { start: 10, limit: 5 } });
    expect(allRows(past)).toEqual([]);
    const none = await collect(text, newLoadContext('departments'), { slice: { start: 1, limit: 0 } });
    expect(allRows(none)).toEqual([]);
  });

  it('slices that tile a file together load exactly what the whole file loads (rejects included)', async () => {
    const text = 'id,job\n' + Array.from({ length: 23 }, (_, i) => (i % 5 === 4 ? `${i},\n` : `${i + 1},Job ${i}\n`)).join('');
    const whole = await collect(text, newLoadContext('jobs'), { batchSize: 4 });
    const pieces: PreparedBatch<'jobs'>[] = [];
    for (let start = 0; start < 23; start += 6) {
      pieces.push(...(await collect(text, newLoadContext('jobs'), { batchSize: 4, slice: { start, limit: 6 } }, 16)));
    }
    expect(allRows(pieces)).toEqual(allRows(whole));
    expect(allRejects(pieces)).toEqual(allRejects(whole));
  });

  it('stops reading the source once the slice is done', async () => {
    let pulled = 0;
    async function* chunks(): AsyncGenerator<RecordChunk> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield { records: [{ line: i + 1, raw: `${i + 1},x`, fields: [String(i + 1), 'x'] }], bytesRead: (i + 1) * 4 };
      }
    }
    const out: RowOf['jobs'][] = [];
    for await (const b of prepareBatches(chunks(), newLoadContext('jobs'), { batchSize: 10, resumeAfterLine: 0, slice: { start: 3, limit: 2 } })) {
      out.push(...b.rows);
    }
    expect(out.map((r) => r.id)).toEqual([4, 5]);
    expect(pulled).toBeLessThan(10);
  });
});

describe('IdSet', () => {
  it('holds ids at page edges and the largest id', () => {
    const ids = [1, 65535, 65536, 2147483647, 2147418112, 31, 32, 33];
    const set = new IdSet();
    for (const id of ids) {
      expect(set.has(id)).toBe(false);
      set.add(id);
      expect(set.has(id)).toBe(true);
    }
    for (const id of ids) expect(set.has(id)).toBe(true);
    for (const id of [2, 65534, 65537, 2147483646, 2147418111, 2147418113, 30, 34, 131071, 131072]) {
      expect(set.has(id), String(id)).toBe(false);
    }
  });

  it('adding twice is harmless', () => {
    const set = new IdSet();
    set.add(42);
    set.add(42);
    expect(set.has(42)).toBe(true);
    expect(set.has(43)).toBe(false);
  });

  it('agrees with a Set on a million random ids', () => {
    let seed = 0x9e3779b9;
    const rnd = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const randomId = () => 1 + (rnd() % 2147483647);
    const ids = new IdSet();
    const reference = new Set<number>();
    for (let i = 0; i < 1_000_000; i++) {
      // half spread over the whole range, half packed into a few pages
      const id = i % 2 === 0 ? randomId() : 1 + (rnd() % 300_000);
      ids.add(id);
      reference.add(id);
    }
    let mismatches = 0;
    for (const id of reference) if (!ids.has(id)) mismatches++;
    for (let i = 0; i < 1_000_000; i++) {
      const probe = i % 2 === 0 ? randomId() : 1 + (rnd() % 300_000);
      if (ids.has(probe) !== reference.has(probe)) mismatches++;
      const near = Math.min(2147483647, Math.max(1, probe + (i % 3) - 1));
      if (ids.has(near) !== reference.has(near)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});
