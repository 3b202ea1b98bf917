import { COMMA, CR, INCOMPLETE, LF, newScan, OVERFLOW, QUOTE, QUOTE_IN_QUOTED, QUOTED, scanRecord, SPACE, TAB, UNQUOTED_END, type ScanState } from './record-scanner.ts';

/**
 * Incremental RFC 4180 parser: comma separated, double-quote quoting with "" escapes, LF, CRLF or CR
 * (mixed too), quoted fields may span lines. It keeps each record's first line number and raw text,
 * which the rejects table needs. Blank lines are skipped. Fields are returned as written (untrimmed).
 *
 * A record may hold at most `maxRecordBytes` bytes (as UTF-8, without its line break). Reaching the
 * limit, or the end of the input, inside a quote makes the record `unterminated_quote` and parsing
 * resumes at the line after the one where that quote opened; a record over the limit outside a quote is
 * `record_too_long` and parsing resumes after its line. Either way the rest of the input still loads
 * and no more than the limit is ever held for one record.
 */
export interface CsvRecord {
  /** 1-based physical line on which the record starts. */
  line: number;
  /** The record's text without its line break (for a record over the limit: its start, at most TRUNCATED_RAW_CHARS). */
  raw: string;
  fields: string[];
  /** Set when the text could not be read as a record; `fields` then holds at most its first field. */
  error?: RecordError;
}

export type RecordError = 'unterminated_quote' | 'record_too_long';

export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;
/** How much of a record that is over the limit its reject keeps. */
export const TRUNCATED_RAW_CHARS = 1024;


export class CsvParser {
  /** The incomplete record at the end of the input so far, from its first character. */
  private pending = '';
  private scan: ScanState = newScan();
  /** A record over the limit whose last line is being skipped, emitted when that line ends. */
  private skipping: { record: CsvRecord; lines: number; afterCR: boolean } | null = null;
  /** A resync stopped between a CR and a possible LF: an LF starting the next text belongs to that line. */
  private dropLF = false;
  /** The first record of the next text to parse has been measured by the scanner and is within the limit. */
  private firstMeasured = false;
  private line = 1;

  constructor(private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {}

  /** Parses every complete record of `text` (continuing what earlier calls left) into `out`. */
  push(text: string, out: CsvRecord[]): void {
    let rest: string | null = text;
    if (this.dropLF) {
      if (text.length === 0) return;
      this.dropLF = false;
      if (text.charCodeAt(0) === LF) rest = text.slice(1);
    }
    if (this.skipping) rest = this.skip(rest, out);
    if (rest !== null && this.pending) rest = this.continuePending(rest, out);
    while (rest !== null) {
      rest = this.parse(rest, false, out);
      if (rest !== null && this.skipping) rest = this.skip(rest, out);
    }
  }

  /** Parses what is left at the end of the input (a last record without a line break, an open quote). */
  end(out: CsvRecord[]): void {
    this.dropLF = false;
    this.flushSkipping(out);
    let rest: string | null = this.pending;
    this.pending = '';
    while (rest) {
      rest = this.parse(rest, true, out);
      if (rest !== null && this.skipping) rest = this.skip(rest, out);
    }
    this.flushSkipping(out);
  }

  private flushSkipping(out: CsvRecord[]) {
    if (this.skipping) out.push(this.skipping.record);
    this.skipping = null;
  }

  /** Scans only the new text for the end of the pending record, so a long record costs linear time. */
  private continuePending(text: string, out: CsvRecord[]): string | null {
    const r = scanRecord(text, 0, this.scan, this.maxRecordBytes);
    if (r === INCOMPLETE) {
      this.pending += text;
      return null;
    }
    const all = this.pending + text;
    this.pending = '';
    if (r === OVERFLOW) return this.overflow(all, this.scan, out);
    this.firstMeasured = true;
    return all; // the record is complete: parse it with what follows
  }

  /** Consumes the rest of a skipped line; returns the text after it, or null when the line goes on. */
  private skip(text: string, out: CsvRecord[]): string | null {
    const s = this.skipping!;
    let i = 0;
    if (s.afterCR) {
      if (text.length === 0) return null;
      if (text.charCodeAt(0) === LF) i = 1;
    } else {
      const lf = text.indexOf('\n');
      const cr = text.indexOf('\r');
      const at = cr === -1 ? lf : lf === -1 ? cr : Math.min(lf, cr);
      if (at === -1) return null;
      if (text.charCodeAt(at) === CR) {
        if (at + 1 >= text.length) {
          s.afterCR = true;
          return null;
        }
        i = text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
      } else i = at + 1;
    }
    out.push(s.record);
    this.line += s.lines + 1;
    this.skipping = null;
    return text.slice(i);
  }

  /**
   * The record starting at `text` went over the limit at `s.pos`: rejects it and returns the text to
   * parse next, or enters skipping for the rest of its line.
   */
  private overflow(text: string, s: ScanState, out: CsvRecord[]): string | null {
    const inQuote = s.mode === QUOTED || s.mode === QUOTE_IN_QUOTED;
    if (inQuote && s.quoteBreak !== -1) return this.resumeAfterQuoteLine(text, s, out);
    this.skipping = {
      record: errorRecord(this.line, truncate(text, s.pos), inQuote ? 'unterminated_quote' : 'record_too_long'),
      lines: s.lines,
      afterCR: false,
    };
    return this.skip(text.slice(s.pos), out);
  }

  /** An open quote: the record ends with the line where the quote opened; parsing resumes after it. */
  private resumeAfterQuoteLine(text: string, s: ScanState, out: CsvRecord[]): string {
    const at = s.quoteBreak;
    const crlf = text.charCodeAt(at) === CR;
    if (crlf && at + 1 === text.length) this.dropLF = true;
    const next = crlf && text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
    out.push(errorRecord(this.line, text.slice(0, at), 'unterminated_quote'));
    this.line += s.quoteLine + 1;
    return text.slice(next);
  }

  /** Parses records from `text`; returns text still to parse after a resync, or null when done. */
  private parse(text: string, final: boolean, out: CsvRecord[]): string | null {
    const n = text.length;
    const limit = this.maxRecordBytes;
    const measured = this.firstMeasured;
    this.firstMeasured = false;
    let i = 0;
    while (i < n) {
      const start = i;
      const startLine = this.line;
      const fields: string[] = [];
      let lines = 0;
      let complete = false;
      let end = n;
      fieldLoop: for (;;) {
        // One field starting at i.
        let j = i;
        while (j < n && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB)) j++;
        if (j < n && text.charCodeAt(j) === QUOTE) {
          let value = '';
          let k = j + 1;
          for (;;) {
            const q = text.indexOf('"', k);
            if (q === -1) break fieldLoop; // quote still open: need more input
            value += text.slice(k, q);
            if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
              value += '"';
              k = q + 2;
              continue;
            }
            if (q + 1 >= n && !final) break fieldLoop; // cannot tell "" from a closing quote yet
            k = q + 1;
            break;
          }
          lines += countLineBreaks(value);
          // Text after the closing quote (before the delimiter) is kept as written.
          let m = k;
          while (m < n) {
            const c = text.charCodeAt(m);
            if (c === COMMA || c === LF || c === CR) break;
            m++;
          }
          fields.push(m > k ? value + text.slice(k, m) : value);
          i = m;
        } else {
          let m = i;
          const stop = Math.min(n, i + 64);
          while (m < stop) {
            const c = text.charCodeAt(m);
            if (c === COMMA || c === LF || c === CR) break;
            m++;
          }
          if (m === stop && m < n) {
            // A long field: one native search instead of a character loop.
            UNQUOTED_END.lastIndex = m;
            m = UNQUOTED_END.exec(text)?.index ?? n;
          }
          fields.push(text.slice(i, m));
          i = m;
        }
        if (i >= n) {
          if (final) {
            complete = true;
            end = n;
          }
          break;
        }
        const c = text.charCodeAt(i);
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === CR) {
          if (i + 1 >= n && !final) break; // CR at the end of input: wait to see if LF follows
          end = i;
          i += i + 1 < n && text.charCodeAt(i + 1) === LF ? 2 : 1;
        } else {
          end = i;
          i++;
        }
        lines++;
        complete = true;
        break;
      }
      // A long record (possibly more bytes than the limit: UTF-8 takes at most 3 per unit) is measured exactly.
      if (!complete || ((end - start) * 3 > limit && !(measured && start === 0))) {
        const s = newScan();
        const r = scanRecord(text, start, s, limit);
        if (r === OVERFLOW) return this.overflow(text.slice(start), s, out);
        if (!complete) {
          if (final) {
            // A quote open at the end of the input.
            if (s.quoteBreak !== -1) return this.resumeAfterQuoteLine(text.slice(start), s, out);
            out.push(errorRecord(startLine, text.slice(start), 'unterminated_quote'));
            this.pending = '';
            return null;
          }
          this.pending = text.slice(start);
          this.scan = s;
          return null;
        }
      }
      this.line += lines;
      const raw = text.slice(start, end);
      if (fields.length === 1 && fields[0].trim() === '' && !raw.includes('"')) continue; // blank line
      out.push({ line: startLine, raw, fields });
    }
    this.pending = '';
    return null;
  }
}

function errorRecord(line: number, raw: string, error: RecordError): CsvRecord {
  return { line, raw, fields: firstField(raw), error };
}

/** The first field of a broken record, when it is plain text followed by a comma (for the reject's id). */
function firstField(raw: string): string[] {
  const comma = raw.indexOf(',');
  if (comma === -1) return [];
  const first = raw.slice(0, comma);
  return first.includes('"') || first.includes('\n') || first.includes('\r') ? [] : [first];
}

/** The first characters of a record read up to `end` (where it went over the limit). */
function truncate(text: string, end: number): string {
  let n = Math.min(end, TRUNCATED_RAW_CHARS);
  const last = text.charCodeAt(n - 1);
  if (last >= 0xd800 && last <= 0xdbff) n--; // never split a surrogate pair
  return text.slice(0, n);
}

function countLineBreaks(s: string): number {
  let count = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) count++;
  // A lone CR (no LF after it) also ends a line.
  for (let i = s.indexOf('\r'); i !== -1; i = s.indexOf('\r', i + 1)) if (s.charCodeAt(i + 1) !== LF) count++;
  return count;
}
