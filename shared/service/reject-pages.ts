import type { Reject } from '../domain/reasons.ts';
import type { Database } from '../ports/database.port.ts';
import { csvLine, type CsvExportOptions } from '../csv/csv-format.ts';

const PAGE = 1000;

/** A task's rejects page by page, so that exporting millions of them needs no more memory than a page. */
export async function* rejectPages(db: Database, taskId: number): AsyncGenerator<Reject[]> {
  for (let offset = 0; ; offset += PAGE) {
    const { rejects } = await db.tasks.rejects(taskId, { limit: PAGE, offset });
    if (rejects.length > 0) yield rejects;
    if (rejects.length < PAGE) return;
  }
}

export const REJECT_CSV_COLUMNS = ['line', 'id', 'reasons', 'raw'] as const;

/** A task's rejects as a streamed CSV file with a header line; formula cells neutralised unless `raw`. */
export function rejectsCsv(db: Database, taskId: number, opts: CsvExportOptions = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pages = rejectPages(db, taskId);
  let headerSent = false;
  return new ReadableStream({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvLine(REJECT_CSV_COLUMNS, opts) + '\n'));
        return;
      }
      const next = await pages.next();
      if (next.done) return controller.close();
      const text = next.value.map((r) => csvLine([r.line, r.id, r.reasons.join(' '), r.raw], opts) + '\n').join('');
      controller.enqueue(encoder.encode(text));
    },
    async cancel() {
      await pages.return(undefined);
    },
  });
}
