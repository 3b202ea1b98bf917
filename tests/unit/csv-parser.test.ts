import { describe, it, expect } from 'vitest';
import { parse as csvParse } from 'csv-parse/sync';
import { CsvParser, MAX_RECORD_CHARS, type CsvRecord } from '../../shared/csv/csv-parser.ts';
import { parseCsvText, readRecords, type RecordChunk } from '../../shared/csv/read-records.ts';

// ---------------------------------------------------------------------------------------------
// helpers

const utf8 = new TextEncoder();

/** CsvParser over string pieces, as the stream reader drives it. */
function parseStrings(pieces: readonly string[]): CsvRecord[] {
  const parser = new CsvParser();
  const out: CsvRecord[] = [];
  for (const p of pieces) parser.push(p, out);
  parser.end(out);
  return out;
}

async function* byteChunks(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** Cuts `bytes` at the given (sorted, distinct) offsets. */
function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const o of offsets) {
    if (o <= prev || o >= bytes.length) continue;
    out.push(bytes.subarray(prev, o));
    prev = o;
  }
  out.push(bytes.subarray(prev));
  return out;
}

interface ReadResult {
  records: CsvRecord[];
  chunks: RecordChunk[];
  bytesRead: number;
}

async function readAll(chunks: readonly Uint8Array[]): Promise<ReadResult> {
  const records: CsvRecord[] = [];
  const seen: RecordChunk[] = [];
  let bytesRead = 0;
  for await (const chunk of readRecords(byteChunks(chunks))) {
    seen.push(chunk);
    records.push(...chunk.records);
    bytesRead = chunk.bytesRead;
  }
  return { records, chunks: seen, bytesRead };
}

const readText = (text: string) => readAll([utf8.encode(text)]);

const fieldsOf = (records: readonly CsvRecord[]) => records.map((r) => r.fields);
const linesOf = (records: readonly CsvRecord[]) => records.map((r) => r.line);

/** Deterministic PRNG (mulberry32). */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

interface GenOptions {
  /** 'lf' | 'crlf' for every line break outside quotes, or 'mixed'. */
  eol: 'lf' | 'crlf' | 'mixed';
  /** Blank lines between records ('' only, or also whitespace-only lines). */
  blank: 'none' | 'empty' | 'whitespace';
  /** Whitespace around quoted fields (outside the quotes). */
  padQuoted: boolean;
  /** Leave the last record without a line break sometimes. */
  maybeNoFinalEol: boolean;
  /** Characters field values are made of (default POOL). */
  pool?: readonly string[];
}

interface Generated {
  text: string;
  /** What a correct parser returns: start line, raw text, fields (untrimmed unless padQuoted). */
  expected: CsvRecord[];
}

const POOL = ['a', 'b', 'Z', '1', '9', ' ', ' ', 'é', 'ñ', '😀', '中', ',', '"', '\n', '\r\n', 'x', '\t'];

/** A random CSV text with its records known by construction (never starting with an `id` field). */
function generate(rng: Rng, opts: GenOptions): Generated {
  const nRecords = rng.int(8);
  let text = '';
  let line = 1;
  const expected: CsvRecord[] = [];
  const eol = () => (opts.eol === 'lf' ? '\n' : opts.eol === 'crlf' ? '\r\n' : rng.pick(['\n', '\r\n']));
  const addLineBreak = () => {
    text += eol();
    line++;
  };
  for (let r = 0; r < nRecords; r++) {
    while (opts.blank !== 'none' && rng.chance(0.2)) {
      text += opts.blank === 'whitespace' ? rng.pick(['', ' ', '  \t', '\t']) : '';
      addLineBreak();
    }
    const nFields = 1 + rng.int(5);
    const startLine = line;
    const fields: string[] = [];
    let raw = '';
    for (let f = 0; f < nFields; f++) {
      let value = '';
      const len = rng.int(7);
      for (let k = 0; k < len; k++) value += rng.pick(opts.pool ?? POOL);
      if (nFields === 1 && value.trim() === '') value = 'q'; // a lone blank field is a blank line
      const mustQuote = /[",\r\n]/.test(value);
      let cell: string;
      if (mustQuote || rng.chance(0.3)) {
        const pad = () => (opts.padQuoted && rng.chance(0.4) ? rng.pick([' ', '  ', '\t']) : '');
        cell = `${pad()}"${value.replaceAll('"', '""')}"${pad()}`;
        line += (value.match(/\n/g) ?? []).length;
      } else {
        cell = value;
      }
      fields.push(value);
      raw += (f > 0 ? ',' : '') + cell;
    }
    text += raw;
    expected.push({ line: startLine, raw, fields });
    if (r < nRecords - 1 || !opts.maybeNoFinalEol || rng.chance(0.5)) addLineBreak();
  }
  if (opts.blank !== 'none' && rng.chance(0.3)) text += opts.eol === 'crlf' ? '\r\n' : '\n';
  return { text, expected };
}

const trimmed = (records: readonly CsvRecord[]) => records.map((r) => r.fields.map((f) => f.trim()));

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

describe('unterminated quotes', () => {
  it('a record over 1 MiB (an unterminated quote) throws an error naming its line', () => {
    const text = `1,a\n2,b\n\n3,"never closed ${'x'.repeat(MAX_RECORD_CHARS)}\n4,d\n`;
    expect(() => parseStrings([text])).toThrow(/line 4\b/);
  });

  it('the same error comes from the stream reader, whatever the chunk size', async () => {
    const bytes = utf8.encode(`id,x\n1,a\n2,"never closed\n${'y'.repeat(MAX_RECORD_CHARS + 10)}\n3,c\n`);
    await expect(readAll(cut(bytes, Array.from({ length: 40 }, (_, i) => (i + 1) * 65536)))).rejects.toThrow(/line 3\b/);
  });

  it('a shorter unterminated quote at the end of the file is reported, not silently dropped', () => {
    const text = '1,a\n2,"open quote, never closed\n3,c\n';
    expect(() => csvParse(text)).toThrow(/Quote Not Closed/);
    let error: unknown = null;
    let records: CsvRecord[] = [];
    try {
      records = parseStrings([text]);
    } catch (e) {
      error = e;
    }
    if (error === null) expect(linesOf(records)).toContain(2);
    else expect(String(error)).toMatch(/line 2\b/);
  });
});

// ---------------------------------------------------------------------------------------------
// generated inputs

describe('generated CSV texts: records as constructed', () => {
  it('parses 500 random texts (mixed line endings, blank and whitespace lines) to the records they were built from', () => {
    const rng = prng(1);
    for (let i = 0; i < 500; i++) {
      const g = generate(rng, { eol: 'mixed', blank: 'whitespace', padQuoted: false, maybeNoFinalEol: true });
      expect(parseStrings([g.text]), JSON.stringify(g.text)).toEqual(g.expected);
    }
  });

  it('with spaces around quoted fields, the trimmed fields and line numbers match', () => {
    const rng = prng(2);
    for (let i = 0; i < 500; i++) {
      const g = generate(rng, { eol: 'mixed', blank: 'whitespace', padQuoted: true, maybeNoFinalEol: true });
      const got = parseStrings([g.text]);
      expect(trimmed(got), JSON.stringify(g.text)).toEqual(trimmed(g.expected));
      expect(linesOf(got)).toEqual(linesOf(g.expected));
      expect(got.map((r) => r.raw)).toEqual(g.expected.map((r) => r.raw));
    }
  });
});

describe('chunk-boundary independence', () => {
  const options: GenOptions = { eol: 'mixed', blank: 'whitespace', padQuoted: true, maybeNoFinalEol: true };

  it('CsvParser: splitting the text at every position (in two and in three) gives the same records', () => {
    const rng = prng(3);
    for (let i = 0; i < 60; i++) {
      const { text } = generate(rng, options);
      const whole = parseStrings([text]);
      for (let a = 0; a <= text.length; a++) {
        expect(parseStrings([text.slice(0, a), text.slice(a)]), `${JSON.stringify(text)} @${a}`).toEqual(whole);
        const b = a + rng.int(text.length - a + 1);
        expect(parseStrings([text.slice(0, a), text.slice(a, b), text.slice(b)])).toEqual(whole);
      }
      expect(parseStrings([...text])).toEqual(whole); // one UTF-16 unit at a time (also splits surrogate pairs)
    }
  });

  it('readRecords: splitting the bytes at every position, at random positions and byte by byte gives the same records', async () => {
    const rng = prng(4);
    for (let i = 0; i < 80; i++) {
      const g = generate(rng, options);
      const bom = rng.chance(0.5) ? '\uFEFF' : '';
      const header = rng.chance(0.5) ? rng.pick(['id,name\n', 'ID,x\r\n', 'Id\n']) : '';
      const text = bom + header + g.text;
      const bytes = utf8.encode(text);
      const whole = await readAll([bytes]);
      expect(whole.bytesRead).toBe(bytes.length);
      expect(trimmed(whole.records), JSON.stringify(text)).toEqual(trimmed(g.expected));
      expect(linesOf(whole.records)).toEqual(linesOf(g.expected).map((l) => l + (header ? 1 : 0)));

      for (let a = 0; a <= bytes.length; a++) {
        const split = await readAll(cut(bytes, [a]));
        expect(split.records, `${JSON.stringify(text)} @${a}`).toEqual(whole.records);
        expect(split.bytesRead).toBe(bytes.length);
      }
      for (let k = 0; k < 20; k++) {
        const offsets = Array.from({ length: 1 + rng.int(8) }, () => rng.int(bytes.length + 1)).sort((x, y) => x - y);
        const split = await readAll(cut(bytes, offsets));
        expect(split.records, `${JSON.stringify(text)} @${offsets}`).toEqual(whole.records);
        // bytesRead never decreases and ends at the file size
        const counts = split.chunks.map((c) => c.bytesRead);
        expect([...counts].sort((x, y) => x - y)).toEqual(counts);
        expect(counts.at(-1)).toBe(bytes.length);
      }
      const byteByByte = await readAll(cut(bytes, Array.from({ length: bytes.length }, (_, j) => j)));
      expect(byteByByte.records).toEqual(whole.records);
    }
  });

  it('parseCsvText agrees with readRecords', async () => {
    const rng = prng(5);
    for (let i = 0; i < 200; i++) {
      const g = generate(rng, options);
      const text = (rng.chance(0.5) ? '\uFEFF' : '') + (rng.chance(0.5) ? 'id,a\n' : '') + g.text;
      expect(parseCsvText(text)).toEqual((await readText(text)).records);
    }
  });
});

describe('oracle: csv-parse', () => {
  const ORACLE = { relax_column_count: true, skip_empty_lines: true, bom: true } as const;

  // Differences noted (so the oracle runs only where the semantics match RFC 4180 and each other):
  // - csv-parse picks ONE record delimiter (the first it meets) and keeps a CR of the other kind
  //   inside fields: on mixed LF/CRLF input it yields "f\r" where HireDB (and DESIGN) split lines.
  // - csv-parse keeps whitespace-only lines as records; HireDB drops them as blank lines.
  // - csv-parse (without ltrim) rejects whitespace before an opening quote; HireDB accepts it.
  // - csv-parse's info.lines counts a CRLF inside a quoted field as two lines.
  // - csv-parse throws on an unterminated quote at the end of input; HireDB keeps the rest of the file as one record, which is rejected.
  it('mixed line endings: csv-parse keeps a stray CR, HireDB does not', () => {
    expect(csvParse('a,b\ne,f\r\ng\n', ORACLE)).toEqual([['a', 'b'], ['e', 'f\r'], ['g']]);
    expect(fieldsOf(parseStrings(['a,b\ne,f\r\ng\n']))).toEqual([['a', 'b'], ['e', 'f'], ['g']]);
  });

  it('equals csv-parse on 1000 random LF or CRLF texts (BOM or not, blank lines, quotes, multibyte)', () => {
    const rng = prng(6);
    let compared = 0;
    for (let i = 0; i < 1000; i++) {
      const eol = rng.pick(['lf', 'crlf'] as const);
      const g = generate(rng, { eol, blank: 'empty', padQuoted: false, maybeNoFinalEol: true });
      const text = (rng.chance(0.3) ? '\uFEFF' : '') + g.text;
      const expected = csvParse(text, ORACLE) as string[][];
      const got = parseCsvText(text);
      expect(fieldsOf(got), JSON.stringify(text)).toEqual(expected);
      expect(fieldsOf(got)).toEqual(fieldsOf(g.expected));
      compared += expected.length;
    }
    expect(compared).toBeGreaterThan(2000);
  });

  it('equals csv-parse with trim on texts with spaces around quoted fields', () => {
    const rng = prng(7);
    for (let i = 0; i < 500; i++) {
      const eol = rng.pick(['lf', 'crlf'] as const);
      const g = generate(rng, { eol, blank: 'empty', padQuoted: true, maybeNoFinalEol: true });
      const expected = (csvParse(g.text, { ...ORACLE, trim: true }) as string[][]).map((r) => r.map((f) => f.trim()));
      expect(trimmed(parseCsvText(g.text)), JSON.stringify(g.text)).toEqual(expected);
    }
  });

  it('csv-parse counts a CRLF inside quotes as two lines; HireDB counts one physical line break', () => {
    const withInfo = csvParse('"a\r\nx"\r\nb\r\n', { ...ORACLE, info: true }) as unknown as { info: { lines: number } }[];
    expect(withInfo.map((x) => x.info.lines)).toEqual([3, 4]);
    expect(linesOf(parseStrings(['"a\r\nx"\r\nb\r\n']))).toEqual([1, 3]);
  });

  it('equals csv-parse on the line of each record (quoted line breaks are LF only)', () => {
    const rng = prng(8);
    const pool = POOL.filter((c) => c !== '\r\n');
    for (let i = 0; i < 300; i++) {
      const eol = rng.pick(['lf', 'crlf'] as const);
      const g = generate(rng, { eol, blank: 'empty', padQuoted: false, maybeNoFinalEol: true, pool });
      const withInfo = csvParse(g.text, { ...ORACLE, info: true }) as unknown as { info: { lines: number }; record: string[] }[];
      const got = parseStrings([g.text]);
      // csv-parse reports the line where a record ends; a record ends on its start line plus its inner line breaks.
      expect(
        got.map((r) => r.line + (r.raw.match(/\n/g) ?? []).length),
        JSON.stringify(g.text),
      ).toEqual(withInfo.map((x) => x.info.lines));
    }
  });
});
