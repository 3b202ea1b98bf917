import { describe, it, expect } from 'vitest';
import { parse as csvParse } from 'csv-parse/sync';
import type { CsvRecord } from '../../shared/csv/csv-parser.ts';
import { parseCsvText } from '../../shared/csv/read-records.ts';
import { cut, fieldsOf, linesOf, parseStrings, readAll, readText, utf8 } from '../helpers/csv.ts';

// ---------------------------------------------------------------------------------------------
// random CSV texts, their records known by construction

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
