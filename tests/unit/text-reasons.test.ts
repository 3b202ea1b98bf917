// The new reasons one by one: invalid_character, invalid_encoding, record_too_long, unterminated_quote
// (and its resync rule), escaped raw text, batches bounded by the raw text they hold, and a file in the
// wrong encoding failing before anything is written.
import { describe, expect, it } from 'vitest';
import { parseCsvBytes, parseCsvText, readRecords } from '../../shared/csv/read-records.ts';
import { checkRecord, describeReject } from '../../shared/domain/row-rules.ts';
import { newLoadContext, validateRecord } from '../../shared/service/validate.ts';
import { MAX_BATCH_RAW_CHARS, prepareBatches, type PreparedBatch } from '../../shared/service/prepare-batches.ts';
import { byteChunks, cut, parseStrings, utf8 } from '../helpers/csv.ts';
import { CsvParser } from '../../shared/csv/csv-parser.ts';

const fates = (records: { line: number; error?: string; raw: string }[]) => records.map((r) => [r.line, r.error ?? 'ok', r.raw]);

describe('invalid_character and invalid_encoding', () => {
  it('a C0 control character other than tab in any field, ids included', () => {
    expect(checkRecord('departments', ['1', 'Sa\u0000les']).reasons).toEqual(['invalid_character']);
    expect(checkRecord('departments', ['1\u0001', 'Sales']).reasons).toEqual(['invalid_id', 'invalid_character']);
    expect(checkRecord('departments', ['1', 'Sa\tles']).reasons).toBeNull();
    expect(checkRecord('departments', ['1', 'two\nlines']).reasons).toEqual(['invalid_character']);
    expect(checkRecord('departments', ['1', 'x', '\u0000']).reasons).toEqual(['field_count', 'invalid_character']);
  });

  it('a lone surrogate in any field; a surrogate pair is fine', () => {
    expect(checkRecord('departments', ['1', 'lone \ud800']).reasons).toEqual(['invalid_encoding']);
    expect(checkRecord('departments', ['1', 'pair \u{1f600}']).reasons).toBeNull();
  });

  it('the reject keeps raw and id escaped; ordinary rejects keep their backslashes as written', () => {
    const ctx = newLoadContext('departments');
    const nul = validateRecord(ctx, 3, '2\u0000,C:\\dir', ['2\u0000', 'C:\\dir']);
    expect(nul.reject).toEqual({ line: 3, id: '2\\u0000', raw: '2\\u0000,C:\\\\dir', reasons: ['invalid_id', 'invalid_character'] });
    const plain = validateRecord(ctx, 4, 'x,C:\\dir', ['x', 'C:\\dir']);
    expect(plain.reject!.raw).toBe('x,C:\\dir');
  });

  it('describeReject explains each new reason', () => {
    const text = describeReject('departments', 'line 9', ['invalid_character', 'invalid_encoding', 'record_too_long', 'unterminated_quote']);
    expect(text).toMatch(/^line 9: a field holds a control character .*; a field holds bytes that are not valid .*; the record is longer than MAX_RECORD_BYTES.*; a quote opened on this line is never closed/);
  });
});

describe('unterminated_quote and record_too_long', () => {
  it('a quote open at the end of the input: its line is rejected and the following lines are records', () => {
    expect(fates(parseStrings(['1,a\n2,"b\n3,c\r\n4,d']))).toEqual([
      [1, 'ok', '1,a'],
      [2, 'unterminated_quote', '2,"b'],
      [3, 'ok', '3,c'],
      [4, 'ok', '4,d'],
    ]);
  });

  it('a quote that opens on the second line of a record rejects the record up to that line', () => {
    expect(fates(parseStrings(['1,"x\ny",z,"open\n2,b\n']))).toEqual([
      [1, 'unterminated_quote', '1,"x\ny",z,"open'],
      [3, 'ok', '2,b'],
    ]);
  });

  it('reaching the limit inside a quote resyncs after the quote line, whatever the chunks (CRLF cut too)', () => {
    const text = `1,"open\r\n${'y'.repeat(60)}\r\n${'z'.repeat(60)}\r\n2,ok\r\n`;
    const expected = [
      [1, 'unterminated_quote', '1,"open'],
      [2, 'ok', 'y'.repeat(60)],
      [3, 'ok', 'z'.repeat(60)],
      [4, 'ok', '2,ok'],
    ];
    for (let at = 1; at < text.length; at++) {
      const p = new CsvParser(100);
      const out: never[] = [];
      p.push(text.slice(0, at), out);
      p.push(text.slice(at), out);
      p.end(out);
      expect(fates(out), `cut at ${at}`).toEqual(expected);
    }
  });

  it('a record over the limit outside quotes is record_too_long; reading resumes after its line', () => {
    const records = parseCsvText(`1,a\n2,${'x'.repeat(300)}\n3,c\n`, 100);
    expect(records.map((r) => [r.line, r.error ?? 'ok', r.raw.length])).toEqual([
      [1, 'ok', 3],
      [2, 'record_too_long', 100],
      [3, 'ok', 3],
    ]);
    expect(records[1].fields).toEqual(['2']);
  });

  it('the limit counts UTF-8 bytes: 50 two-byte characters are 100 bytes', () => {
    expect(parseCsvText(`1,${'é'.repeat(49)}\n`, 100)[0].error).toBeUndefined();
    expect(parseCsvText(`1,${'é'.repeat(50)}\n`, 100)[0].error).toBe('record_too_long');
  });

  it('a long record read in small chunks is found in linear time', async () => {
    const big = utf8.encode(`1,${'x'.repeat(900_000)}\n2,"${'q'.repeat(900_000)}"\n3,c\n`);
    const offsets = Array.from({ length: Math.floor(big.length / 512) }, (_, i) => (i + 1) * 512);
    const started = performance.now();
    const lines: number[] = [];
    for await (const c of readRecords(byteChunks(cut(big, offsets)))) lines.push(...c.records.map((r) => r.line));
    expect(lines).toEqual([1, 2, 3]);
    // Quadratic re-scanning of 3,500 chunks of a 900 KB record would take minutes.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('a CSV body is decoded strictly: an invalid byte stays as an escaped byte in its record', () => {
    const [a, b] = parseCsvBytes(Uint8Array.from([...utf8.encode('1,ok\n2,b'), 0xff, 0x0a]));
    expect(a.fields).toEqual(['1', 'ok']);
    expect(checkRecord('departments', b.fields).reasons).toEqual(['invalid_encoding']);
  });
});

describe('prepareBatches: bounds and the encoding check', () => {
  async function collect(text: string | Uint8Array, batchSize = 1000) {
    const out: PreparedBatch[] = [];
    const bytes = typeof text === 'string' ? utf8.encode(text) : text;
    for await (const b of prepareBatches(readRecords(byteChunks([bytes])), newLoadContext('departments'), { batchSize, resumeAfterLine: 0, slice: null })) {
      out.push(b);
    }
    return out;
  }

  it('a batch closes when its rejects hold 8 MiB of raw text, not only at BATCH_SIZE', async () => {
    const line = `x,${'n'.repeat(1_000_000)}\n`;
    const batches = await collect(line.repeat(20));
    const perBatch = batches.map((b) => b.rejects.reduce((sum, r) => sum + r.raw.length, 0));
    expect(batches.flatMap((b) => b.rejects)).toHaveLength(20);
    expect(Math.max(...perBatch)).toBeLessThan(MAX_BATCH_RAW_CHARS + 1_000_010);
    expect(batches.length).toBeGreaterThan(2);
  });

  it('a file mostly undecodable fails before any batch is yielded, even with small batches', async () => {
    const latin1 = Buffer.from(Array.from({ length: 30 }, (_, i) => `${i + 1},Caf\u00e9\n`).join(''), 'latin1');
    const seen: PreparedBatch[] = [];
    const run = async () => {
      for await (const b of prepareBatches(readRecords(byteChunks([latin1])), newLoadContext('departments'), { batchSize: 2, resumeAfterLine: 0, slice: null })) seen.push(b);
    };
    await expect(run()).rejects.toThrow(/not in utf-8: 30 of its first 30 records/);
    expect(seen).toEqual([]);
  });

  it('a few undecodable records are only rejects', async () => {
    const bytes = Buffer.concat([Buffer.from('1,a\n2,b\n3,c\n'), Buffer.from('4,Caf\u00e9\n', 'latin1')]);
    const batches = await collect(bytes);
    expect(batches.flatMap((b) => b.rejects.map((r) => [r.line, r.raw, r.reasons]))).toEqual([[4, '4,Caf\\xE9', ['invalid_encoding']]]);
  });
});
