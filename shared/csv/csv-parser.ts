/**
 * Incremental RFC 4180 parser: comma separated, double-quote quoting with "" escapes, LF or CRLF
 * (mixed too), quoted fields may span lines. It keeps each record's first line number and raw text,
 * which the rejects table needs. Blank lines are skipped. Fields are returned as written (untrimmed).
 */
export interface CsvRecord {
  /** 1-based physical line on which the record starts. */
  line: number;
  /** The record's text without its line break. */
  raw: string;
  fields: string[];
}

/** A record longer than this is a broken file (an unterminated quote), not data. */
export const MAX_RECORD_CHARS = 1 << 20;

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;

export class CsvParser {
  private pending = '';
  private line = 1;

  /** Parses every complete record of `text` (continuing what earlier calls left) into `out`. */
  push(text: string, out: CsvRecord[]): void {
    this.parse(this.pending ? this.pending + text : text, false, out);
  }

  /**
   * Parses what is left at the end of the input (a last record without a line break). A quote still
   * open there leaves the rest of the file as one record, kept whole so it is rejected, not lost.
   */
  end(out: CsvRecord[]): void {
    if (this.pending) this.parse(this.pending, true, out);
    if (this.pending) out.push({ line: this.line, raw: this.pending, fields: [this.pending] });
    this.pending = '';
  }

  private parse(text: string, final: boolean, out: CsvRecord[]): void {
    const n = text.length;
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
          while (m < n) {
            const c = text.charCodeAt(m);
            if (c === COMMA || c === LF || c === CR) break;
            m++;
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
      if (!complete) {
        this.pending = text.slice(start);
        if (this.pending.length > MAX_RECORD_CHARS) {
          throw new Error(`line ${startLine}: record longer than ${MAX_RECORD_CHARS} characters (unterminated quote?)`);
        }
        return;
      }
      this.line += lines;
      const raw = text.slice(start, end);
      if (fields.length === 1 && fields[0].trim() === '' && !raw.includes('"')) continue; // blank line
      out.push({ line: startLine, raw, fields });
    }
    this.pending = '';
  }
}

function countLineBreaks(s: string): number {
  let count = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) count++;
  // A lone CR (no LF after it) also ends a line.
  for (let i = s.indexOf('\r'); i !== -1; i = s.indexOf('\r', i + 1)) if (s.charCodeAt(i + 1) !== LF) count++;
  return count;
}
