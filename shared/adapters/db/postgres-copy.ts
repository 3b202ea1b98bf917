/**
 * COPY ... FROM STDIN in text format for the PostgreSQL adapter: each row encoded as one line (fields
 * escaped, values PostgreSQL cannot store refused), and the lines sent in one write.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { RowOf, TableName } from '../../domain/tables.ts';
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

function copyInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer id: ${value}`);
  return String(value);
}

/** A row of `table` as one COPY text line, fields in the order of its COPY_INTO column list. */
export function encodeLine(table: TableName, row: RowOf[TableName]): string {
  switch (table) {
    case 'departments': {
      const r = row as RowOf['departments'];
      return `${copyInteger(r.id)}\t${copyTextField(r.department)}\n`;
    }
    case 'jobs': {
      const r = row as RowOf['jobs'];
      return `${copyInteger(r.id)}\t${copyTextField(r.job)}\n`;
    }
    case 'hired_employees': {
      const r = row as RowOf['hired_employees'];
      return `${copyInteger(r.id)}\t${copyTextField(r.name)}\t${copyTextField(r.datetime)}\t${copyInteger(r.department_id)}\t${copyInteger(r.job_id)}\n`;
    }
  }
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

/** Sends COPY text lines in one write and waits until the server has taken them. */
export function copyText(client: pg.PoolClient, sql: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(lines.join(''));
  });
}
