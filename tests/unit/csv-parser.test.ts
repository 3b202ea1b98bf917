import { describe, it, expect } from 'vitest';
import { parse as csvParse } from 'csv-parse/sync';
import { DEFAULT_MAX_RECORD_BYTES, TRUNCATED_RAW_CHARS, } from '../../shared/csv/csv-parser.ts';
import { parseCsvText, readRecords, type RecordChunk } from '../../shared/csv/read-records.ts';
import { cut, fieldsOf, linesOf, parseStrings, readAll, readText, utf8 } from '../helpers/csv.ts';

// ---------------------------------------------------------------------------------------------
// examples

describe('CsvParser: line endings', () => {
  it('parses LF records', () => {
    expect(parseStrings(['1,a\n2,b\n'])).toEqual([
      { line: 1, raw: '1,a', fields: ['1', 'a'] },
      { line: 2, raw: '2,b', fields: ['2', 'b'] },
    ]);
  });

  it('parses CRLF records without leaving CR in fields or raw', () => {
    expect(parseStrings(['1,a\r\n2,b\r\n'])).toEqual([
      { line: 1, raw: '1,a', fields: ['1', 'a'] },
      { line: 2, raw: '2,b', fields: ['2', 'b'] },
    ]);
  });

  it('parses mixed LF and CRLF', () => {
    const records = parseStrings(['1,a\r\n2,b\n3,c\r\n4,d']);
    expect(fieldsOf(records)).toEqual([['1', 'a'], ['2', 'b'], ['3', 'c'], ['4', 'd']]);
    expect(linesOf(records)).toEqual([1, 2, 3, 4]);
  });

  it('parses a last record without a trailing line break', () => {
    expect(fieldsOf(parseStrings(['1,a\n2,b']))).toEqual([['1', 'a'], ['2', 'b']]);
    expect(fieldsOf(parseStrings(['1,a\r\n2,"b"']))).toEqual([['1', 'a'], ['2', 'b']]);
    expect(fieldsOf(parseStrings(['1,a,']))).toEqual([['1', 'a', '']]);
  });

  it('waits for the LF after a CR at the end of a piece', () => {
    const records = parseStrings(['1,a\r', '\n2,b\r', '\n']);
    expect(records).toEqual([
      { line: 1, raw: '1,a', fields: ['1', 'a'] },
      { line: 2, raw: '2,b', fields: ['2', 'b'] },
    ]);
  });
});

describe('CsvParser: quoting', () => {
  it('keeps commas inside quotes', () => {
    expect(fieldsOf(parseStrings(['1,"Doe, Jane",x\n']))).toEqual([['1', 'Doe, Jane', 'x']]);
  });

  it('unescapes doubled quotes', () => {
    expect(fieldsOf(parseStrings(['1,"say ""hi""",""""\n']))).toEqual([['1', 'say "hi"', '"']]);
    expect(fieldsOf(parseStrings(['1,"",""""""\n']))).toEqual([['1', '', '""']]);
  });

  it('keeps line breaks inside quotes and numbers the later records by physical line', () => {
    const text = '1,"two\nlines"\n2,"three\r\nphysical\nlines"\r\n3,c\n\n4,"x\n\n"\n5,e\n';
    const records = parseStrings([text]);
    expect(fieldsOf(records)).toEqual([
      ['1', 'two\nlines'],
      ['2', 'three\r\nphysical\nlines'],
      ['3', 'c'],
      ['4', 'x\n\n'],
      ['5', 'e'],
    ]);
    expect(linesOf(records)).toEqual([1, 3, 6, 8, 11]);
    expect(records[1].raw).toBe('2,"three\r\nphysical\nlines"');
  });

  it('keeps the raw text of each record as written', () => {
    const records = parseStrings([' 1 , "a ""b""" ,c\r\n']);
    expect(records[0].raw).toBe(' 1 , "a ""b""" ,c');
    expect(records[0].fields.map((f) => f.trim())).toEqual(['1', 'a "b"', 'c']);
  });

  it('a quoted empty field on its own line is a record, not a blank line', () => {
    expect(parseStrings(['""\n'])).toEqual([{ line: 1, raw: '""', fields: [''] }]);
  });
});

describe('CsvParser: blank lines and spaces', () => {
  it('ignores empty and whitespace-only lines but counts them in line numbers', () => {
    const records = parseStrings(['\n\r\n1,a\n\n   \n\t\n \t \r\n2,b\n\n']);
    expect(fieldsOf(records)).toEqual([['1', 'a'], ['2', 'b']]);
    expect(linesOf(records)).toEqual([3, 8]);
  });

  it('keeps spaces around unquoted fields (trimming is the row rules\' job)', () => {
    const records = parseStrings(['  1 ,  Ann Lee  ,\t2021-01-01T00:00:00Z \n']);
    expect(records[0].fields).toEqual(['  1 ', '  Ann Lee  ', '\t2021-01-01T00:00:00Z ']);
  });

  it('allows spaces around quoted fields', () => {
    const records = parseStrings(['1,  "a, b"  , "c"\n']);
    expect(records[0].fields.map((f) => f.trim())).toEqual(['1', 'a, b', 'c']);
  });

  it('returns nothing for an empty input or whitespace only', () => {
    expect(parseStrings([''])).toEqual([]);
    expect(parseStrings([])).toEqual([]);
    expect(parseStrings(['\n\n \r\n'])).toEqual([]);
  });
});

describe('readRecords and parseCsvText: BOM and header', () => {
  it('strips a UTF-8 BOM (also split across chunks) and skips an `id` header', async () => {
    const bytes = utf8.encode('\uFEFFid,department\r\n1,Sales\r\n2,"R&D, Labs"\r\n');
    expect(bytes.subarray(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
    for (const offsets of [[], [1], [2], [3], [1, 2], [4, 20]]) {
      const { records, bytesRead } = await readAll(cut(bytes, offsets));
      expect(records).toEqual([
        { line: 2, raw: '1,Sales', fields: ['1', 'Sales'] },
        { line: 3, raw: '2,"R&D, Labs"', fields: ['2', 'R&D, Labs'] },
      ]);
      expect(bytesRead).toBe(bytes.length);
    }
  });

  it('strips a BOM when there is no header and keeps the first record', async () => {
    const { records } = await readText('\uFEFF1,Sales\n');
    expect(records).toEqual([{ line: 1, raw: '1,Sales', fields: ['1', 'Sales'] }]);
    expect(parseCsvText('\uFEFF1,Sales\n')).toEqual([{ line: 1, raw: '1,Sales', fields: ['1', 'Sales'] }]);
  });

  it.each(['id,job', 'ID,JOB', 'Id,Job', '  iD  ,job', '"id","job"', 'id', 'id,a,b,c'])(
    'skips the header %j in any case',
    async (header) => {
      const text = `${header}\n1,Engineer\n`;
      const { records } = await readText(text);
      expect(records).toEqual([{ line: 2, raw: '1,Engineer', fields: ['1', 'Engineer'] }]);
      expect(parseCsvText(text)).toEqual(records);
    },
  );

  it('skips the header only as the first record (blank lines before it do not count)', async () => {
    const text = '\n\nid,job\n1,a\nid,job\nID,x\n';
    const { records } = await readText(text);
    expect(linesOf(records)).toEqual([4, 5, 6]);
    expect(fieldsOf(records)).toEqual([['1', 'a'], ['id', 'job'], ['ID', 'x']]);
    expect(parseCsvText(text)).toEqual(records);
  });

  it('a later `id` record stays a record whichever chunk it arrives in', async () => {
    const bytes = utf8.encode('id,job\n1,a\nid,job\nID,x\n');
    for (const offsets of [[], [7], [11], [11, 18], Array.from({ length: bytes.length }, (_, i) => i)]) {
      const { records } = await readAll(cut(bytes, offsets));
      expect(linesOf(records), String(offsets)).toEqual([2, 3, 4]);
      expect(fieldsOf(records)).toEqual([['1', 'a'], ['id', 'job'], ['ID', 'x']]);
    }
  });

  it('does not take `identifier` or `1` as a header', async () => {
    expect(fieldsOf((await readText('identifier,job\n1,a\n')).records)).toEqual([['identifier', 'job'], ['1', 'a']]);
    expect(fieldsOf(parseCsvText('idx,job\n'))).toEqual([['idx', 'job']]);
  });

  it('returns no records for an empty file, a BOM only, or a header only', async () => {
    for (const text of ['', '\uFEFF', '\n\n', 'id,department', 'id,department\n', '\uFEFFID,Department\r\n', 'id,department\n\n  \n']) {
      const { records, bytesRead } = await readText(text);
      expect(records, JSON.stringify(text)).toEqual([]);
      expect(bytesRead).toBe(utf8.encode(text).length);
      expect(parseCsvText(text), JSON.stringify(text)).toEqual([]);
    }
  });

  it('reads from a web ReadableStream too, and reports growing bytesRead', async () => {
    const bytes = utf8.encode('1,a\n2,b\n3,c\n');
    const pieces = cut(bytes, [4, 8]);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of pieces) controller.enqueue(p);
        controller.close();
      },
    });
    const chunks: RecordChunk[] = [];
    for await (const c of readRecords(stream)) chunks.push(c);
    expect(chunks.flatMap((c) => c.records.map((r) => r.fields[0]))).toEqual(['1', '2', '3']);
    const counts = chunks.map((c) => c.bytesRead);
    expect([...counts].sort((x, y) => x - y)).toEqual(counts);
    expect(counts.at(-1)).toBe(12);
    expect(counts[0]).toBe(4); // records come out as their chunk arrives, not at the end
  });
});

describe('unterminated quotes and long records', () => {
  it('a quote still open after 1 MiB rejects its record and reading resumes at the line after the quote', () => {
    const text = `1,a\n2,b\n\n3,"never closed ${'x'.repeat(DEFAULT_MAX_RECORD_BYTES)}\n4,d\n`;
    const records = parseStrings([text]);
    expect(records.map((r) => [r.line, r.error ?? null, r.fields[0]])).toEqual([
      [1, null, '1'],
      [2, null, '2'],
      [4, 'unterminated_quote', '3'],
      [5, null, '4'],
    ]);
    expect(records[2].raw.length).toBe(TRUNCATED_RAW_CHARS);
  });

  it('the stream reader gives the same records whatever the chunk size', async () => {
    const bytes = utf8.encode(`id,x\n1,a\n2,"never closed\n${'y'.repeat(DEFAULT_MAX_RECORD_BYTES + 10)}\n3,c\n`);
    const { records } = await readAll(cut(bytes, Array.from({ length: 40 }, (_, i) => (i + 1) * 65536)));
    expect(records.map((r) => [r.line, r.error ?? null, r.raw.slice(0, 20)])).toEqual([
      [2, null, '1,a'],
      [3, 'unterminated_quote', '2,"never closed'],
      [4, 'record_too_long', 'y'.repeat(20)],
      [5, null, '3,c'],
    ]);
  });

  it('a quote open at the end of the file rejects only its line; the lines after it still load', () => {
    const text = '1,a\n2,"open quote, never closed\n3,c\n';
    expect(() => csvParse(text)).toThrow(/Quote Not Closed/);
    expect(parseStrings([text])).toEqual([
      { line: 1, raw: '1,a', fields: ['1', 'a'] },
      { line: 2, raw: '2,"open quote, never closed', fields: ['2'], error: 'unterminated_quote' },
      { line: 3, raw: '3,c', fields: ['3', 'c'] },
    ]);
  });
});
