import { describe, expect, it } from 'vitest';
import { decodeCopyLines, encodeCopyLines, encodeLines } from '../../shared/domain/copy-text.ts';
import { concatColumns, toColumns, type ColumnRows } from '../../shared/domain/row-columns.ts';
import type { HiredEmployeeRow } from '../../shared/domain/tables.ts';
import { prepareBatchesInThread, type ColumnBatch } from '../../shared/service/prepare-in-thread.ts';
import type { RowWire } from '../../shared/service/prepare-thread.ts';

const HOSTILE = [
  'plain',
  'tab\there',
  'back\\slash \\N and \\.',
  'new\nline and\r\ncarriage',
  '\\\t\n\r',
  'ünïcødé – 日本語 – 🚀 emoji',
  'x'.repeat(200_000),
  `long ünïcødé ${'é🚀\\\t'.repeat(20_000)}`,
  '',
];

const hires = (names: readonly string[]): HiredEmployeeRow[] =>
  names.map((name, i) => ({ id: i + 1, name, datetime: `2021-0${(i % 9) + 1}-01T00:00:00Z`, department_id: i + 10, job_id: 2147483647 - i }));

const asRows = (rows: HiredEmployeeRow[]): ColumnRows => ({ count: rows.length, columns: toColumns('hired_employees', rows) });

/** The bytes the adapter sends for rows that arrive as columns: encodeLines' strings as UTF-8. */
const adapterBytes = (rows: ColumnRows) => new TextEncoder().encode(encodeLines('hired_employees', rows).join(''));

describe('COPY text as bytes', () => {
  it('are the bytes of encodeLines for hostile values, each line ending where its encoding ends', () => {
    const rows = asRows(hires(HOSTILE));
    const copy = encodeCopyLines('hired_employees', rows);
    expect(Buffer.from(copy.bytes).equals(Buffer.from(adapterBytes(rows)))).toBe(true);
    const lines = encodeLines('hired_employees', rows);
    let end = 0;
    lines.forEach((line, i) => {
      end += Buffer.byteLength(line);
      expect(copy.ends[i]).toBe(end);
    });
    const departments = { count: HOSTILE.length, columns: toColumns('departments', HOSTILE.map((department, i) => ({ id: i + 1, department }))) };
    expect(new TextDecoder().decode(encodeCopyLines('departments', departments).bytes)).toBe(encodeLines('departments', departments).join(''));
  });

  it('decode back to the rows they encode, joined units included', () => {
    const all = hires(HOSTILE);
    const parts = [asRows(all.slice(0, 3)), asRows(all.slice(3, 3)), asRows(all.slice(3))].map((r) => ({
      count: r.count,
      columns: { id: r.columns.id },
      copy: encodeCopyLines('hired_employees', r),
    }));
    const joined = concatColumns('hired_employees', parts);
    expect(Buffer.from(joined.copy!.bytes).equals(Buffer.from(adapterBytes(asRows(all))))).toBe(true);
    expect(Array.from(joined.columns.id as Int32Array)).toEqual(all.map((r) => r.id));
    expect(decodeCopyLines('hired_employees', joined.copy!, joined.count)).toEqual(asRows(all).columns);
  });

  it('refuse a value PostgreSQL cannot store with the same error as encodeLines', () => {
    const rows = asRows(hires(['ok', 'nul\u0000inside']));
    expect(() => encodeLines('hired_employees', rows)).toThrow(new RangeError('PostgreSQL cannot store the character U+0000 in a text value'));
    expect(() => encodeCopyLines('hired_employees', rows)).toThrow(new RangeError('PostgreSQL cannot store the character U+0000 in a text value'));
  });
});

describe('the parse thread with wire "copy"', () => {
  const names = ['tab\tin name', 'back\\slash \\N', '"quoted, comma"', 'ünïcødé 日本語 🚀', 'y'.repeat(100), 'a\\\tb\\'];
  const csv = names
    .map((n, i) => `${i + 1},"${n.replaceAll('"', '""')}",2021-07-0${i + 1}T10:00:00Z,1,2`)
    .concat(['bad,row,,,'])
    .join('\n');

  async function load(wire: RowWire): Promise<ColumnBatch[]> {
    const source = (async function* () {
      yield new TextEncoder().encode(`${csv}\n`);
    })();
    const out: ColumnBatch[] = [];
    const options = { batchSize: 4, resumeAfterLine: 0, slice: null };
    for await (const b of prepareBatchesInThread(source, 'hired_employees', { departmentIds: new Set([1]), jobIds: new Set([2]) }, options, 4, wire)) {
      out.push(b);
    }
    return out;
  }

  it('sends each batch as its ids and the exact bytes encodeLines makes of the same rows, and no text columns', async () => {
    const [asCopy, asColumns] = [await load('copy'), await load('columns')];
    expect(asCopy.length).toBe(asColumns.length);
    expect(asCopy.reduce((n, b) => n + b.rows.count, 0)).toBe(names.length);
    asCopy.forEach((b, i) => {
      const expected = asColumns[i].rows;
      expect(Object.keys(b.rows.columns)).toEqual(['id']);
      expect(Array.from(b.rows.columns.id as Int32Array)).toEqual(Array.from(expected.columns.id as Int32Array));
      expect(Buffer.from(b.rows.copy!.bytes).equals(Buffer.from(adapterBytes(expected)))).toBe(true);
      expect(b.rejects).toEqual(asColumns[i].rejects);
    });
    expect(decodeCopyLines('hired_employees', concatColumns('hired_employees', asCopy.map((b) => b.rows)).copy!, names.length).name).toEqual(names);
  });
});
