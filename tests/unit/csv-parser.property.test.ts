// Random files (records, quotes, CRLF/LF/CR, UTF-8 or UTF-16, control characters, invalid bytes,
// unterminated quotes, records over the limit) cut at random chunk boundaries: the reader never
// throws, every line is accounted for, and a small reference model agrees on each record's fate.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readRecords } from '../../shared/csv/read-records.ts';
import { newLoadContext, validateRecord } from '../../shared/service/validate.ts';
import type { ReasonCode } from '../../shared/domain/reasons.ts';
import { byteChunks, cut } from '../helpers/csv.ts';

const LIMIT = 120;

/** One generated line: its bytes (without line break) and the fate the model expects. */
interface Line {
  text: string;
  /** Undecodable bytes to put where the text has U+E000 (UTF-8 files only). */
  fate: 'valid' | ReasonCode;
}

const name = fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}[A-Za-z]$/);

const lineKinds = (id: number, quotesAllowed: boolean, utf16: boolean): fc.Arbitrary<Line>[] => [
  name.map((n) => ({ text: `${id},${n}`, fate: 'valid' as const })),
  ...(quotesAllowed ? [name.map((n) => ({ text: `${id},"${n}, ""quoted"""`, fate: 'valid' as const }))] : []),
  fc.constantFrom('\u0000', '\u0001', '\u001f', '\u000b').map((c) => ({ text: `${id},Bad${c}Name`, fate: 'invalid_character' as const })),
  fc.constant({ text: `${id},B\uE000d`, fate: 'invalid_encoding' as const }),
  fc.integer({ min: 1, max: 200 }).map((k) => ({ text: `${id},${'x'.repeat(LIMIT + k)}`, fate: 'record_too_long' as const })),
  ...(utf16 ? [] : [name.map((n) => ({ text: `${id},Caf\u00e9 ${n}`, fate: 'valid' as const }))]),
];

interface File {
  lines: Line[];
  breaks: string[];
  utf16: boolean;
  bom: boolean;
}

const fileArb: fc.Arbitrary<File> = fc
  .record({
    count: fc.integer({ min: 1, max: 25 }),
    unterminatedAt: fc.option(fc.integer({ min: 0, max: 24 }), { nil: null }),
    utf16: fc.boolean(),
    bom: fc.boolean(),
    seed: fc.array(fc.nat(), { minLength: 25, maxLength: 25 }),
    breaks: fc.array(fc.constantFrom('\n', '\r\n', '\r'), { minLength: 26, maxLength: 26 }),
  })
  .chain(({ count, unterminatedAt, utf16, bom, breaks }) => {
    const at = unterminatedAt !== null && unterminatedAt < count ? unterminatedAt : -1;
    const lines = Array.from({ length: count }, (_, i) => {
      const id = i + 1;
      if (i === at) return fc.constant<Line>({ text: `${id},"never closed`, fate: 'unterminated_quote' });
      // After an open quote no line may hold a quote, or it would close it.
      return fc.oneof(...lineKinds(id, at === -1 || i < at, utf16));
    });
    return fc.tuple(...lines).map((ls) => ({ lines: ls, breaks, utf16, bom }));
  });

function encode(f: File): Uint8Array {
  const text = f.lines.map((l, i) => l.text + f.breaks[i]).join('');
  if (f.utf16) {
    const units: number[] = f.bom ? [0xfeff] : [];
    for (const ch of text) units.push(ch === '\uE000' ? 0xd800 : ch.charCodeAt(0)); // a lone surrogate is invalid UTF-16
    const out = new Uint8Array(units.length * 2);
    units.forEach((u, i) => {
      out[2 * i] = u & 0xff;
      out[2 * i + 1] = u >> 8;
    });
    return out;
  }
  const parts = text.split('\uE000').map((p) => new TextEncoder().encode(p));
  const bytes: number[] = f.bom ? [0xef, 0xbb, 0xbf] : [];
  parts.forEach((p, i) => {
    if (i > 0) bytes.push(0xff); // never valid in UTF-8
    bytes.push(...p);
  });
  return Uint8Array.from(bytes);
}

/** The physical line each record starts on: CR, LF and CRLF each end one line. */
const startLines = (f: File) => f.lines.map((_, i) => i + 1);

describe('CSV reader: properties', () => {
  it('never throws; every line is one row or one reject with the fate the model expects', async () => {
    await fc.assert(
      fc.asyncProperty(fileArb, fc.array(fc.nat(), { maxLength: 12 }), async (f, cutsRaw) => {
        // A UTF-16 file without a BOM is read as UTF-16 only when named.
        if (f.utf16 && !f.bom) f = { ...f, bom: true };
        const bytes = encode(f);
        const offsets = [...new Set(cutsRaw.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const ctx = newLoadContext('departments');
        const fates = new Map<number, { fate: string; raw: string; reasons: ReasonCode[] }>();
        for await (const chunk of readRecords(byteChunks(cut(bytes, offsets)), { maxRecordBytes: LIMIT })) {
          for (const r of chunk.records) {
            expect(fates.has(r.line), `line ${r.line} twice`).toBe(false);
            const v = validateRecord(ctx, r.line, r.raw, r.fields, r.error);
            fates.set(r.line, v.reject ? { fate: 'reject', raw: v.reject.raw, reasons: v.reject.reasons } : { fate: 'valid', raw: r.raw, reasons: [] });
          }
        }
        const lines = startLines(f);
        expect([...fates.keys()].sort((a, b) => a - b)).toEqual(lines);
        f.lines.forEach((l, i) => {
          const got = fates.get(lines[i])!;
          if (l.fate === 'valid') expect(got, l.text).toMatchObject({ fate: 'valid', raw: l.text });
          else {
            expect(got.reasons, l.text).toContain(l.fate);
            if (l.fate === 'unterminated_quote') expect(got.raw).toBe(l.text);
            if (l.fate === 'record_too_long') expect(l.text.startsWith(got.raw) && got.raw.length > 0).toBe(true);
            if (l.fate === 'invalid_encoding') expect(got.raw).toBe(l.text.replace('\uE000', f.utf16 ? '\\x00\\xD8' : '\\xFF'));
            if (l.fate === 'invalid_character') expect(got.raw).not.toMatch(/[\x00-\x08\x0a-\x1f]/);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('the records do not depend on where the chunks are cut', async () => {
    await fc.assert(
      fc.asyncProperty(fileArb, fc.array(fc.nat(), { maxLength: 20 }), async (f, cutsRaw) => {
        const bytes = encode({ ...f, bom: true });
        const read = async (offsets: number[]) => {
          const out = [];
          for await (const c of readRecords(byteChunks(cut(bytes, offsets)), { maxRecordBytes: LIMIT })) out.push(...c.records);
          return out;
        };
        const offsets = [...new Set(cutsRaw.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        expect(await read(offsets)).toEqual(await read([]));
      }),
      { numRuns: 200 },
    );
  });
});
