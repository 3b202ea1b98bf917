import type { TableName } from '../domain/tables.ts';
import { concatColumns, type ColumnRows } from '../domain/row-columns.ts';
import type { Reject } from '../domain/reasons.ts';
import { MAX_BATCH_RAW_CHARS } from './prepare-batches.ts';
import type { ColumnBatch } from './prepare-in-thread.ts';

/** When a file load commits: after this many records, or this long after the unit's first batch arrived. */
export interface CommitLimits {
  /** Records (rows and rejects) of one transaction; a unit always holds whole parse batches. */
  rows: number;
  /** Longest a unit stays open, in ms, so a slow source still commits (and shows progress) this often. */
  ms: number;
}

export const DEFAULT_COMMIT_LIMITS: CommitLimits = { rows: 10_000, ms: 1_000 };

/**
 * Joins consecutive parse batches into commit units: each unit is committed in one transaction with the
 * checkpoint after its last batch, so the cost of a commit (id lookup, task update, the commit itself) is
 * paid per unit rather than per parse batch. A unit holds at most MAX_BATCH_RAW_CHARS of reject text (or
 * one batch's, when a single batch holds more), so long rejected records stay bounded in memory.
 */
export async function* commitUnits(
  table: TableName,
  batches: AsyncIterable<ColumnBatch>,
  limits: CommitLimits,
  now: () => number = Date.now,
): AsyncGenerator<ColumnBatch> {
  const input = batches[Symbol.asyncIterator]();
  let unit: Unit | null = null;
  const close = (): ColumnBatch => {
    const u = unit!;
    unit = null;
    return { rows: concatColumns(table, u.rows), rejects: u.rejects, lastLine: u.lastLine, bytesRead: u.bytesRead };
  };
  // The next batch is asked for before the unit is yielded, so parsing goes on while the unit commits,
  // and a unit left open by a slow source can be closed by its deadline while that batch is awaited.
  let next: Promise<IteratorResult<ColumnBatch>> | null = ask(input);
  try {
    while (next) {
      const arrived: IteratorResult<ColumnBatch> | 'deadline' = unit
        ? await beforeDeadline(next, (unit as Unit).openedAt + limits.ms - now())
        : await next;
      if (arrived === 'deadline') {
        yield close();
        continue;
      }
      next = null;
      if (arrived.done) break;
      const batch: ColumnBatch = arrived.value;
      let chars = 0;
      for (const r of batch.rejects) chars += r.raw.length;
      // Long rejected records are not joined to a unit that already holds some: their text goes alone.
      if (unit && (unit as Unit).rawChars + chars > MAX_BATCH_RAW_CHARS) yield close();
      const u: Unit = (unit ??= { rows: [], rejects: [], lastLine: 0, bytesRead: 0, records: 0, rawChars: 0, openedAt: now() });
      u.rows.push(batch.rows);
      for (const r of batch.rejects) u.rejects.push(r);
      u.lastLine = batch.lastLine;
      u.bytesRead = batch.bytesRead;
      u.records += batch.rows.count + batch.rejects.length;
      u.rawChars += chars;
      next = ask(input);
      if (u.records >= limits.rows || u.rawChars >= MAX_BATCH_RAW_CHARS || now() - u.openedAt >= limits.ms) yield close();
    }
    if (unit) yield close(); // the last one: it commits the end of the file
  } finally {
    if (next) await next.catch(() => {}); // a generator takes return() only once its pending next() is answered
    await input.return?.(undefined);
  }
}

interface Unit {
  rows: ColumnRows[];
  rejects: Reject[];
  lastLine: number;
  bytesRead: number;
  records: number;
  rawChars: number;
  openedAt: number;
}

/** The next item; a failure is seen where it is awaited, not reported as unhandled while a unit commits. */
function ask<V>(input: AsyncIterator<V>): Promise<IteratorResult<V>> {
  const pending = input.next();
  pending.catch(() => {});
  return pending;
}

/** The item, or 'deadline' if it has not arrived `ms` from now. */
async function beforeDeadline<V>(pending: Promise<V>, ms: number): Promise<V | 'deadline'> {
  if (ms <= 0) return 'deadline';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), ms)));
  try {
    return await Promise.race([pending, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
