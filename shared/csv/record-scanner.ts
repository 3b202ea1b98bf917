/**
 * The record scanner: the same grammar as CsvParser.parse (csv-parser.ts), one character at a time and
 * resumable, for records that span chunks or may be over the limit. It finds where a record ends, and
 * how long it is as UTF-8, without keeping fields.
 */
export const COMMA = 44;
export const LF = 10;
export const CR = 13;
export const QUOTE = 34;
export const SPACE = 32;
export const TAB = 9;

const FIELD_START = 0;
const UNQUOTED = 1;
export const QUOTED = 2;
export const QUOTE_IN_QUOTED = 3;
const CR_END = 4;

export interface ScanState {
  mode: number;
  /** Characters of the record scanned so far. */
  pos: number;
  /** Its length as UTF-8 (an undecodable byte, kept as a lone surrogate, counts one). */
  bytes: number;
  /** Line breaks inside the record so far. */
  lines: number;
  afterCR: boolean;
  prevHigh: boolean;
  /** Line breaks before the open quote, and the position of the first line break after it (-1: none). */
  quoteLine: number;
  quoteBreak: number;
}

export const newScan = (): ScanState => ({ mode: FIELD_START, pos: 0, bytes: 0, lines: 0, afterCR: false, prevHigh: false, quoteLine: 0, quoteBreak: -1 });

export const INCOMPLETE = -1;
export const OVERFLOW = -2;

/**
 * Scans `text` from `from` as the continuation of the record in `s`. Returns the index after the
 * record's line break, INCOMPLETE at the end of the text, or OVERFLOW (then `s.pos` is the position,
 * in the record, of the first character past the limit).
 */
export function scanRecord(text: string, from: number, s: ScanState, limit: number): number {
  const n = text.length;
  for (let i = from; i < n; i++) {
    // Plain text inside a field is skipped in one native search, and measured in one piece.
    if (s.mode === UNQUOTED || s.mode === QUOTED) {
      const re = s.mode === UNQUOTED ? UNQUOTED_END : QUOTED_END;
      re.lastIndex = i;
      const j = re.exec(text)?.index ?? n;
      if (j > i) {
        if (countSegment(text, i, j, s, limit)) return OVERFLOW;
        s.afterCR = false;
        i = j;
        if (i >= n) return INCOMPLETE;
      }
    }
    const c = text.charCodeAt(i);
    let mode = s.mode;
    if (mode === CR_END) return c === LF ? i + 1 : i;
    if (mode === QUOTE_IN_QUOTED) {
      if (c === QUOTE) {
        s.mode = QUOTED;
        s.afterCR = false;
        if (countBytes(s, c, limit)) return OVERFLOW;
        s.pos++;
        continue;
      }
      mode = s.mode = UNQUOTED;
    }
    if (mode === FIELD_START) {
      if (c === QUOTE) {
        s.mode = QUOTED;
        s.quoteLine = s.lines;
        s.quoteBreak = -1;
        s.afterCR = false;
      } else if (c !== SPACE && c !== TAB) mode = s.mode = UNQUOTED;
    }
    if (mode === UNQUOTED || (mode === FIELD_START && c !== QUOTE)) {
      if (c === COMMA) s.mode = FIELD_START;
      else if (c === LF) return i + 1;
      else if (c === CR) {
        s.mode = CR_END;
        continue;
      }
    } else if (mode === QUOTED) {
      if (c === QUOTE) s.mode = QUOTE_IN_QUOTED;
      else if (c === LF || c === CR) {
        if (s.quoteBreak === -1) s.quoteBreak = s.pos;
        if (c === CR || !s.afterCR) s.lines++;
      }
      s.afterCR = c === CR;
    }
    if (countBytes(s, c, limit)) return OVERFLOW;
    s.pos++;
  }
  return INCOMPLETE;
}

export const UNQUOTED_END = /[,\r\n]/g;
const QUOTED_END = /["\r\n]/g;
const NON_ASCII = /[^\x00-\x7f]/;

/** Adds text[i..j) to the record; true when it goes over the limit (`s.pos` is then where). */
function countSegment(text: string, i: number, j: number, s: ScanState, limit: number): boolean {
  if (!NON_ASCII.test(text.slice(i, j))) {
    const len = j - i;
    s.prevHigh = false;
    if (s.bytes + len <= limit) {
      s.bytes += len;
      s.pos += len;
      return false;
    }
    s.pos += limit - s.bytes;
    s.bytes = limit + 1;
    return true;
  }
  for (let k = i; k < j; k++) {
    if (countBytes(s, text.charCodeAt(k), limit)) return true;
    s.pos++;
  }
  return false;
}

/** Adds one UTF-16 unit's UTF-8 length to the record; true when that takes it over the limit. */
function countBytes(s: ScanState, c: number, limit: number): boolean {
  let b: number;
  if (c < 0x80) b = 1;
  else if (c < 0x800) b = 2;
  else if (c >= 0xd800 && c <= 0xdbff) b = 2;
  else if (c >= 0xdc00 && c <= 0xdfff) b = s.prevHigh ? 2 : c <= 0xdcff ? 1 : 3;
  else b = 3;
  s.prevHigh = c >= 0xd800 && c <= 0xdbff;
  s.bytes += b;
  return s.bytes > limit;
}
