/**
 * Bytes to text for the CSV reader. UTF-8 by default; a UTF-8 or UTF-16 byte order mark decides the
 * encoding and is dropped; windows-1252, latin1, utf-16le and utf-16be can be named. Nothing is replaced:
 * a byte that is not valid in the encoding becomes the lone surrogate U+DC00 + byte (as Python's
 * "surrogateescape"), which no valid input decodes to, so the record holding it can be rejected and
 * its raw text written back losslessly (see shared/domain/raw-text.ts).
 */
export const ENCODINGS = ['utf-8', 'windows-1252', 'latin1', 'utf-16le', 'utf-16be'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export function isEncoding(value: string): value is Encoding {
  return (ENCODINGS as readonly string[]).includes(value);
}

/** The lone surrogate that stands for the undecodable byte `b`. */
export const ESCAPED_BYTE_BASE = 0xdc00;

type Kind = 'utf-8' | 'utf-16le' | 'utf-16be' | 'single-byte';

export class ByteDecoder {
  private head: Uint8Array | null = new Uint8Array(0);
  private kind: Kind = 'utf-8';
  private carry: Uint8Array = new Uint8Array(0);
  private fatal: TextDecoder | null = null;
  private single: TextDecoder | null = null;

  constructor(private readonly encoding: Encoding = 'utf-8') {}

  /** Decodes the next bytes; `final` flushes what an incomplete sequence at the end left. */
  decode(bytes: Uint8Array, final = false): string {
    if (this.head) {
      const head = concat(this.head, bytes);
      if (head.length < 3 && !final && !(head.length === 2 && utf16Bom(head))) {
        this.head = head;
        return '';
      }
      this.head = null;
      bytes = head.subarray(this.start(head));
    }
    // Always streaming: Node's non-streaming fast path reads `latin1` as ISO-8859-1, not windows-1252.
    if (this.kind === 'single-byte') return this.single!.decode(bytes, { stream: true }) + (final ? this.single!.decode() : '');
    let input = this.carry.length > 0 ? concat(this.carry, bytes) : bytes;
    let cut = input.length;
    if (!final) cut = this.kind === 'utf-8' ? utf8CompleteLength(input) : utf16CompleteLength(input, this.kind === 'utf-16le');
    this.carry = cut < input.length ? input.slice(cut) : new Uint8Array(0);
    input = input.subarray(0, cut);
    if (input.length === 0) return '';
    try {
      return this.fatal!.decode(input);
    } catch {
      return this.kind === 'utf-8' ? decodeUtf8Escaped(input) : decodeUtf16Escaped(input, this.kind === 'utf-16le');
    }
  }

  /** Chooses the decoder from the byte order mark or the named encoding; returns the BOM's length. */
  private start(head: Uint8Array): number {
    let bom = 0;
    let kind: Kind;
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) [kind, bom] = ['utf-8', 3];
    else if (utf16Bom(head)) [kind, bom] = [head[0] === 0xff ? 'utf-16le' : 'utf-16be', 2];
    else kind = this.encoding === 'utf-8' || this.encoding === 'utf-16le' || this.encoding === 'utf-16be' ? this.encoding : 'single-byte';
    this.kind = kind;
    if (kind === 'single-byte') this.single = new TextDecoder(this.encoding);
    else this.fatal = new TextDecoder(kind, { fatal: true, ignoreBOM: true });
    return bom;
  }
}

/** Decodes a whole body (a batch request) the same way as a file. */
export function decodeBytes(bytes: Uint8Array, encoding: Encoding = 'utf-8'): string {
  return new ByteDecoder(encoding).decode(bytes, true);
}

const utf16Bom = (b: Uint8Array) => b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff));

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Length of `b` without a multi-byte sequence cut off at its end. */
function utf8CompleteLength(b: Uint8Array): number {
  const n = b.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const c = b[i];
    if (c < 0x80) return n;
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return i + need > n ? i : n;
    }
  }
  return n;
}

/** Length of `b` without an odd byte or a high surrogate at its end (its pair may follow). */
function utf16CompleteLength(b: Uint8Array, le: boolean): number {
  let n = b.length - (b.length % 2);
  if (n >= 2) {
    const unit = le ? b[n - 2] | (b[n - 1] << 8) : (b[n - 2] << 8) | b[n - 1];
    if (unit >= 0xd800 && unit <= 0xdbff) n -= 2;
  }
  return n;
}

class Units {
  private parts: string[] = [];
  private buf: number[] = [];
  push(u: number) {
    this.buf.push(u);
    if (this.buf.length >= 8192) this.flush();
  }
  flush() {
    this.parts.push(String.fromCharCode(...this.buf));
    this.buf = [];
  }
  text(): string {
    this.flush();
    return this.parts.join('');
  }
}

/** UTF-8 as the WHATWG decoder reads it, except that each byte of an invalid sequence is escaped. */
function decodeUtf8Escaped(b: Uint8Array): string {
  const out = new Units();
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      out.push(c);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) [need, cp] = [1, c & 0x1f];
    else if (c >= 0xe0 && c <= 0xef) {
      [need, cp] = [2, c & 0x0f];
      if (c === 0xe0) lower = 0xa0;
      if (c === 0xed) upper = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      [need, cp] = [3, c & 0x07];
      if (c === 0xf0) lower = 0x90;
      if (c === 0xf4) upper = 0x8f;
    } else {
      out.push(ESCAPED_BYTE_BASE + c);
      i++;
      continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      if (j >= n || b[j] < lower || b[j] > upper) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (b[j] & 0x3f);
      lower = 0x80;
      upper = 0xbf;
    }
    if (!ok) {
      for (let m = i; m < j; m++) out.push(ESCAPED_BYTE_BASE + b[m]);
      i = j;
      continue;
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      out.push(0xd800 + (cp >> 10));
      out.push(0xdc00 + (cp & 0x3ff));
    } else out.push(cp);
    i = j;
  }
  return out.text();
}

/** UTF-16 code units; a lone surrogate or an odd last byte is escaped byte by byte. */
function decodeUtf16Escaped(b: Uint8Array, le: boolean): string {
  const out = new Units();
  const unitAt = (i: number) => (le ? b[i] | (b[i + 1] << 8) : (b[i] << 8) | b[i + 1]);
  let i = 0;
  for (; i + 1 < b.length; i += 2) {
    const u = unitAt(i);
    if (u >= 0xd800 && u <= 0xdbff && i + 3 < b.length) {
      const v = unitAt(i + 2);
      if (v >= 0xdc00 && v <= 0xdfff) {
        out.push(u);
        out.push(v);
        i += 2;
        continue;
      }
    }
    if (u >= 0xd800 && u <= 0xdfff) {
      out.push(ESCAPED_BYTE_BASE + b[i]);
      out.push(ESCAPED_BYTE_BASE + b[i + 1]);
    } else out.push(u);
  }
  if (i < b.length) out.push(ESCAPED_BYTE_BASE + b[i]);
  return out.text();
}
