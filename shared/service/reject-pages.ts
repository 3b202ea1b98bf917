import type { Reject } from '../domain/reasons.ts';
import type { Database } from '../ports/database.port.ts';
import { csvLine, type CsvExportOptions } from '../csv/csv-format.ts';

/** Most rejects one page fetches. */
export const MAX_PAGE_ROWS = 1000;
/** About how many characters of raw text one page may hold: pages shrink when raw texts are long. */
export const PAGE_TEXT_BUDGET = 1024 * 1024;
/** The first page is small, until the size of this task's rejects is known. */
const FIRST_PAGE_ROWS = 8;
/** What one chunk of an export holds before it is handed on. */
const CHUNK_CHARS = 64 * 1024;

const rejectChars = (r: Reject) => r.raw.length + (r.id?.length ?? 0) + 64;

/**
 * A task's rejects page by page, so that exporting millions of them needs no more memory than a page.
 * Pages follow the last line read (not an offset), so each costs the same wherever it starts. A page
 * holds at most MAX_PAGE_ROWS rejects and, judged by the longest reject seen so far, about
 * PAGE_TEXT_BUDGET characters: a task whose raw texts are a megabyte each is read a few rows at a time.
 */
export async function* rejectPages(db: Database, taskId: number): AsyncGenerator<Reject[]> {
  let longest = 0;
  let limit = FIRST_PAGE_ROWS;
  for (let afterLine = 0; ; ) {
    const rejects = await db.tasks.rejectsAfter(taskId, { afterLine, limit });
    if (rejects.length > 0) yield rejects;
    if (rejects.length < limit) return;
    afterLine = rejects[rejects.length - 1].line;
    for (const r of rejects) longest = Math.max(longest, rejectChars(r));
    limit = Math.max(1, Math.min(MAX_PAGE_ROWS, Math.floor(PAGE_TEXT_BUDGET / longest)));
  }
}

/** A task's rejects one by one, read a page at a time. */
export async function* eachReject(db: Database, taskId: number): AsyncGenerator<Reject> {
  for await (const page of rejectPages(db, taskId)) yield* page;
}

export const REJECT_CSV_COLUMNS = ['line', 'id', 'reasons', 'raw'] as const;

/**
 * A task's rejects as a streamed CSV file with a header line, formula cells neutralised unless `raw`.
 * Pull-based: the next chunk (about 64 KiB, or one long reject) is read and encoded only when the reader
 * asks for it, so a slow client holds back the database reads instead of letting them pile up in memory.
 */
export function rejectsCsv(db: Database, taskId: number, opts: CsvExportOptions = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const rejects = eachReject(db, taskId);
  let headerSent = false;
  return new ReadableStream(
    {
      async pull(controller) {
        let text = '';
        if (!headerSent) {
          headerSent = true;
          text = csvLine(REJECT_CSV_COLUMNS, opts) + '\n';
        }
        while (text.length < CHUNK_CHARS) {
          const next = await rejects.next();
          if (next.done) {
            if (text !== '') controller.enqueue(encoder.encode(text));
            return controller.close();
          }
          const r = next.value;
          text += csvLine([r.line, r.id, r.reasons.join(' '), r.raw], opts) + '\n';
        }
        controller.enqueue(encoder.encode(text));
      },
      async cancel() {
        await rejects.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
