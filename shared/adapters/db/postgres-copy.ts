/**
 * COPY ... FROM STDIN in text format for the PostgreSQL adapter: rows encoded as lines (shared/domain/copy-text.ts),
 * sent in large writes.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { CopyLines } from '../../domain/row-columns.ts';
import { copyTextField } from '../../domain/copy-text.ts';
import type { Reject } from '../../domain/reasons.ts';

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

/**
 * Sends COPY text lines (those `keep` accepts, by index) and waits until the server has taken them. The
 * lines are strings (encodeLines) or already bytes (encodeCopyLines, from the parse thread); bytes go out
 * as views of their buffer, a run of kept lines at a time.
 */
export function copyText(
  client: pg.PoolClient,
  sql: string,
  lines: readonly string[] | CopyLines,
  keep?: (i: number) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    stream.on('finish', resolve);
    stream.on('error', reject);
    if (!Array.isArray(lines)) {
      writeBytes(stream, lines as CopyLines, keep);
      return;
    }
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

function writeBytes(stream: NodeJS.WritableStream, copy: CopyLines, keep?: (i: number) => boolean): void {
  const { bytes, ends } = copy;
  let from = 0; // start of the run of kept lines being gathered
  let held = 0;
  for (let i = 0; i < ends.length; i++) {
    const start = i === 0 ? 0 : ends[i - 1];
    if (keep && !keep(i)) {
      if (start > from) stream.write(bytes.subarray(from, start));
      from = ends[i];
      held = 0;
      continue;
    }
    if (++held === COPY_LINES_PER_WRITE) {
      stream.write(bytes.subarray(from, ends[i]));
      from = ends[i];
      held = 0;
    }
  }
  const end = ends.length === 0 ? 0 : ends[ends.length - 1];
  if (end > from) stream.end(bytes.subarray(from, end));
  else stream.end();
}
