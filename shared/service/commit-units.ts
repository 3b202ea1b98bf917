import type { TableName } from '../domain/tables.ts';
import { MAX_BATCH_RAW_CHARS, type PreparedBatch } from './prepare-batches.ts';

/** When a file load commits: after this many records, or this long after the unit's first batch arrived. */
export interface CommitLimits {
  /** Records (rows and rejects) of one transaction; a unit always holds whole parse batches. */
  rows: number;
  /** Longest a unit stays open, in ms, so a slow source still commits (and shows progress) this often. */
  ms: number;
}

export const DEFAULT_COMMIT_LIMITS: CommitLimits = { rows: 50_000, ms: 1_000 };

/**
 * Joins consecutive parse batches into commit units: each unit is committed in one transaction with the
 * checkpoint after its last batch, so the cost of a commit (id lookup, task update, the commit itself) is
 * paid per unit rather than per parse batch. A unit holds at most MAX_BATCH_RAW_CHARS of reject text (or
 * one batch's, when a single batch holds more), so long rejected records stay bounded in memory.
 */
export async function* commitUnits<T extends TableName>(
  batches: AsyncIterable<PreparedBatch<T>>,
  limits: CommitLimits,
  now: () => number = Date.now,
): AsyncGenerator<PreparedBatch<T>> {
  const input = batches[Symbol.asyncIterator]();
  let unit: PreparedBatch<T> | null = null;
  let records = 0;
  let rawChars = 0;
  let openedAt = 0;
  // The next batch is asked for before the unit is yielded, so parsing goes on while the unit commits,
  // and a unit left open by a slow source can be closed by its deadline while that batch is awaited.
  let next: Promise<IteratorResult<PreparedBatch<T>>> | null = ask(input);
  try {
    while (next) {
      const arrived: IteratorResult<PreparedBatch<T>> | 'deadline' = unit ? await beforeDeadline(next, openedAt + limits.ms - now()) : await next;
      if (arrived === 'deadline') {
        yield unit!;
        unit = null;
        continue;
      }
      next = null;
      if (arrived.done) break;
      const batch: PreparedBatch<T> = arrived.value;
      let chars = 0;
      for (const r of batch.rejects) chars += r.raw.length;
      if (unit && rawChars + chars > MAX_BATCH_RAW_CHARS) {
        // Long rejected records are not joined to a unit that already holds some: their text goes alone.
        const full = unit;
        unit = null;
        yield full;
      }
      if (!unit) {
        unit = { rows: [], rejects: [], lastLine: batch.lastLine, bytesRead: batch.bytesRead };
        records = 0;
        rawChars = 0;
        openedAt = now();
      }
      append(unit.rows, batch.rows);
      append(unit.rejects, batch.rejects);
      unit.lastLine = batch.lastLine;
      unit.bytesRead = batch.bytesRead;
      records += batch.rows.length + batch.rejects.length;
      rawChars += chars;
      next = ask(input);
      if (records >= limits.rows || rawChars >= MAX_BATCH_RAW_CHARS || now() - openedAt >= limits.ms) {
        const full = unit;
        unit = null;
        yield full;
      }
    }
    if (unit) yield unit; // the last one: it commits the end of the file
  } finally {
    if (next) await next.catch(() => {}); // a generator takes return() only once its pending next() is answered
    await input.return?.(undefined);
  }
}

/** The next item; a failure is seen where it is awaited, not reported as unhandled while a unit commits. */
function ask<V>(input: AsyncIterator<V>): Promise<IteratorResult<V>> {
  const pending = input.next();
  pending.catch(() => {});
  return pending;
}

/** The batch, or 'deadline' if it has not arrived `ms` from now. */
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

function append<V>(into: V[], from: readonly V[]): void {
  for (let i = 0; i < from.length; i++) into.push(from[i]);
}
