/**
 * COPY ... FROM STDIN in text format for the PostgreSQL adapter: each row encoded as one line (fields
 * escaped, values PostgreSQL cannot store refused), and the lines sent in one write.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COLUMNS, type TableName } from '../../domain/tables.ts';
import type { ColumnRows } from '../../domain/row-columns.ts';
import type { Reject } from '../../domain/reasons.ts';

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One field in COPY text format: backslash, tab, newline and carriage return are backslash-escaped
 * (so `\N` and `\.` in data stay data). PostgreSQL text cannot hold U+0000; validation rejects such a
 * row (invalid_character), so the check here only guards against a row that skipped validation.
 */
export function copyTextField(value: string): string {
  if (value.includes('\u0000')) throw new RangeError('PostgreSQL cannot store the character U+0000 in a text value');
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value;
}

/**
 * Each row of `table` as one COPY text line, fields in the order of its COPY_INTO column list (the table's
 * columns). Integer columns are Int32Arrays, so only the text needs checking and escaping.
 */
export function encodeLines(table: TableName, rows: ColumnRows): string[] {
  const fields = COLUMNS[table].map((name) => {
    const column = rows.columns[name];
    return column instanceof Int32Array ? column : (column as string[]).map(copyTextField);
  });
  const lines = new Array<string>(rows.count);
  if (table === 'hired_employees') {
    const [id, name, datetime, department, job] = fields as [Int32Array, string[], string[], Int32Array, Int32Array];
    for (let i = 0; i < rows.count; i++) lines[i] = `${id[i]}\t${name[i]}\t${datetime[i]}\t${department[i]}\t${job[i]}\n`;
  } else {
    const [id, text] = fields as [Int32Array, string[]];
    for (let i = 0; i < rows.count; i++) lines[i] = `${id[i]}\t${text[i]}\n`;
  }
  return lines;
}

/**
 * A reject's raw text and id, which validation has already escaped (see shared/domain/raw-text.ts):
 * PostgreSQL text cannot hold U+0000, and nothing is ever replaced here.
 */
export function storableText(value: string): string {
  if (value.includes('\u0000')) throw new RangeError('a reject holds U+0000 unescaped; validation escapes raw text before it is stored');
  return value;
}

/** Text shorter than this goes out together with its neighbours; a longer one is a write of its own. */
const COPY_CHUNK_CHARS = 64 * 1024;

/**
 * Copies a task's rejects into task_rejects. Each raw text is written to the connection as it is (a
 * long one on its own), never joined into a larger string: a batch of long rejects costs one copy of
 * their text on the way to the server, not the several an array parameter takes.
 */
export function copyRejects(client: pg.PoolClient, sql: string, taskId: number, rejects: readonly Reject[]): Promise<void> {
  for (const r of rejects) {
    storableText(r.raw); // refused before anything is sent
    if (r.id !== null) storableText(r.id);
  }
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    stream.on('finish', resolve);
    stream.on('error', reject);
    let pending = '';
    for (const r of rejects) {
      const id = r.id === null ? '\\N' : copyTextField(r.id);
      const raw = copyTextField(r.raw);
      pending += `${taskId}\t${r.line}\t${id}\t`;
      if (raw.length >= COPY_CHUNK_CHARS) {
        stream.write(pending);
        stream.write(raw);
        pending = '';
      } else pending += raw;
      pending += `\t${r.reasons.join(',')}\n`;
      if (pending.length >= COPY_CHUNK_CHARS) {
        stream.write(pending);
        pending = '';
      }
    }
    stream.end(pending);
  });
}

/** Lines per write of copyText: large writes, without one string (and buffer) of a whole unit's rows. */
const COPY_LINES_PER_WRITE = 2000;

/** Sends COPY text lines (those `keep` accepts, by index) and waits until the server has taken them. */
export function copyText(client: pg.PoolClient, sql: string, lines: readonly string[], keep?: (i: number) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    stream.on('finish', resolve);
    stream.on('error', reject);
    let pending = '';
    let held = 0;
    for (let i = 0; i < lines.length; i++) {
      if (keep && !keep(i)) continue;
      pending += lines[i];
      if (++held === COPY_LINES_PER_WRITE) {
        stream.write(pending);
        pending = '';
        held = 0;
      }
    }
    stream.end(pending);
  });
}
