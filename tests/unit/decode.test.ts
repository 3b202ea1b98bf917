// Bytes to text: BOMs, named encodings, sequences cut at chunk boundaries, undecodable bytes kept as
// escapes (never U+FFFD), gzip detected by its magic bytes with progress in compressed bytes.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ByteDecoder, decodeBytes, ESCAPED_BYTE_BASE, type Encoding } from '../../shared/csv/decode.ts';
import { gunzipIfGzip } from '../../shared/csv/gunzip.ts';
import { escapeRaw } from '../../shared/domain/raw-text.ts';
import { tableForFile } from '../../shared/domain/tables.ts';
import { byteChunks } from '../helpers/csv.ts';

/** Decodes `bytes` fed one byte at a time, and whole: both must agree. */
function decodeBoth(bytes: Uint8Array, encoding?: Encoding): string {
  const d = new ByteDecoder(encoding);
  let byByte = '';
  for (const b of bytes) byByte += d.decode(Uint8Array.of(b));
  byByte += d.decode(new Uint8Array(0), true);
  expect(byByte).toBe(decodeBytes(bytes, encoding));
  return byByte;
}

describe('ByteDecoder', () => {
  it('UTF-8 with and without BOM, multi-byte sequences cut anywhere', () => {
    expect(decodeBoth(Buffer.from('Caf\u00e9 \u65e5\u672c \u{1f600}'))).toBe('Caf\u00e9 \u65e5\u672c \u{1f600}');
    expect(decodeBoth(Buffer.from('\ufeff1,a'))).toBe('1,a');
  });

  it('a U+FEFF that is not at the start is data', () => {
    expect(decodeBoth(Buffer.from('a\ufeffb'))).toBe('a\ufeffb');
  });

  it('invalid UTF-8 bytes become escaped-byte surrogates, one per byte, and the valid text around them stays', () => {
    const text = decodeBoth(Uint8Array.from([0x41, 0xc3, 0x28, 0xff, 0xe2, 0x82, 0x41, 0xed, 0xa0, 0x80, 0xe2, 0x82]));
    expect(text).toBe('A\udcc3(\udcff\udce2\udc82A\udced\udca0\udc80\udce2\udc82');
    expect(text).not.toContain('\ufffd');
    expect(escapeRaw(text)).toBe('A\\xC3(\\xFF\\xE2\\x82A\\xED\\xA0\\x80\\xE2\\x82');
  });

  it('a UTF-16 LE or BE byte order mark decides the encoding', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('1,\u00c5rhus \u{1f600}\n', 'utf16le')]);
    expect(decodeBoth(le)).toBe('1,\u00c5rhus \u{1f600}\n');
    const be = Buffer.from(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('2,Z\u00fcrich', 'utf16le').swap16()]));
    expect(decodeBoth(be)).toBe('2,Z\u00fcrich');
  });

  it('UTF-16 named explicitly, without BOM; a lone surrogate and an odd last byte are escaped bytes', () => {
    expect(decodeBoth(Buffer.from('1,\u00e9', 'utf16le'), 'utf-16le')).toBe('1,\u00e9');
    const bad = Uint8Array.from([0x41, 0x00, 0x00, 0xd8, 0x42, 0x00, 0x43]);
    expect(escapeRaw(decodeBoth(bad, 'utf-16le'))).toBe('A\\x00\\xD8B\\x43');
  });

  it('windows-1252 and latin1 decode every byte (0x80 is the euro sign, as browsers do)', () => {
    expect(decodeBoth(Uint8Array.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x80]), 'latin1')).toBe('Caf\u00e9 \u20ac');
    expect(decodeBoth(Uint8Array.from([0xf1]), 'windows-1252')).toBe('\u00f1');
  });

  it('escaped bytes are lone surrogates from U+DC00 up', () => {
    expect(decodeBytes(Uint8Array.of(0x80)).charCodeAt(0)).toBe(ESCAPED_BYTE_BASE + 0x80);
  });
});

describe('gunzipIfGzip', () => {
  const collect = async (chunks: Uint8Array[]) => {
    const out: { text: string; read: number }[] = [];
    for await (const p of gunzipIfGzip(byteChunks(chunks))) out.push({ text: Buffer.from(p.bytes).toString(), read: p.bytesRead });
    return out;
  };

  it('passes plain bytes through, counting them', async () => {
    const out = await collect([Buffer.from('1'), Buffer.from(',a\n')]);
    expect(out.map((o) => o.text).join('')).toBe('1,a\n');
    expect(out.at(-1)!.read).toBe(4);
  });

  it('decompresses gzip cut at any point (even inside the magic bytes); progress is in compressed bytes', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `${i},Name ${i}\n`).join('');
    const gz = gzipSync(text);
    const chunks = [gz.subarray(0, 1), gz.subarray(1, 100), gz.subarray(100)];
    const out = await collect(chunks);
    expect(out.map((o) => o.text).join('')).toBe(text);
    expect(out.at(-1)!.read).toBe(gz.length);
    expect(out.every((o) => o.read <= gz.length)).toBe(true);
  });

  it('a corrupt gzip file is an error that says so', async () => {
    const gz = gzipSync('1,a\n'.repeat(100));
    const broken = Buffer.concat([gz.subarray(0, 12), Buffer.alloc(40, 0x55)]);
    await expect(collect([broken])).rejects.toThrow(/not valid gzip/);
  });
});

describe('tableForFile', () => {
  it('accepts .csv.gz names', () => {
    expect(tableForFile('hired_employees_2022.csv.gz')).toBe('hired_employees');
    expect(tableForFile('Departments.CSV.GZ')).toBe('departments');
    expect(tableForFile('jobs.gz')).toBeNull();
  });
});
