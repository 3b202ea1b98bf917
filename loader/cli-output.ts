import type { Database } from '../shared/ports/database.port.ts';
import type { Reject } from '../shared/domain/reasons.ts';
import { eachReject } from '../shared/service/reject-pages.ts';

/** Terminal output helpers for the CLI: aligned tables and a progress bar. */
export function printTable(rows: Record<string, unknown>[], columns: readonly string[], out = process.stdout): void {
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  out.write(line([...columns]) + '\n');
  out.write(line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const r of rows) out.write(line(columns.map((c) => text(r[c]))) + '\n');
  out.write(`(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})\n`);
}

/** A one-line progress bar redrawn in place on a terminal; silent when stderr is not a terminal. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const enabled = Boolean(stream.isTTY);
  let last = 0;
  return {
    update(done: number, total: number, detail = '') {
      if (!enabled || Date.now() - last < 100) return;
      last = Date.now();
      const ratio = total > 0 ? Math.min(1, done / total) : 0;
      const width = 30;
      const filled = Math.round(ratio * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${detail}\x1b[K`);
    },
    done() {
      if (enabled) stream.write('\r\x1b[K');
    },
  };
}

/**
 * Writes text to a stream in chunks, waiting for 'drain' when the stream's buffer is full, so a slow
 * reader (a pipe, a terminal) holds back the producer instead of text piling up in memory.
 */
function drainingWriter(out: NodeJS.WritableStream) {
  const CHUNK = 64 * 1024;
  let pending = '';
  const flush = async () => {
    const text = pending;
    pending = '';
    if (text === '' || out.write(text)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        out.off('drain', done);
        out.off('error', done);
        out.off('close', closed);
        if (err) reject(err);
        else resolve();
      };
      const closed = () => done(new Error('output closed'));
      out.once('drain', done);
      out.once('error', done);
      out.once('close', closed);
    });
  };
  return {
    async write(text: string) {
      pending += text;
      if (pending.length >= CHUNK) await flush();
    },
    end: flush,
  };
}

/**
 * `hiredb rejects`: one JSON object `{line, id, raw, reasons}` per line, or a table, streamed page by page. The
 * table needs its column widths first, so it reads the rejects twice rather than holding them all.
 */
export async function printRejects(db: Database, taskId: number, json: boolean, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const writer = drainingWriter(out);
  if (json) {
    for await (const r of eachReject(db, taskId)) {
      await writer.write(JSON.stringify({ line: r.line, id: r.id, raw: r.raw, reasons: r.reasons }) + '\n');
    }
    return writer.end();
  }
  const columns = ['line', 'id', 'reasons', 'raw'] as const;
  const cells = (r: Reject) => [String(r.line), r.id ?? '', r.reasons.join(','), r.raw];
  const widths = columns.map((c) => c.length);
  for await (const r of eachReject(db, taskId)) {
    const row = cells(r);
    for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i], row[i].length);
  }
  // The last column needs no padding: the line is trimmed at the end anyway.
  const line = (row: string[]) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]) : c)).join('  ').trimEnd() + '\n';
  await writer.write(line([...columns]));
  await writer.write(line(widths.map((w) => '-'.repeat(w))));
  let count = 0;
  for await (const r of eachReject(db, taskId)) {
    await writer.write(line(cells(r)));
    count++;
  }
  await writer.write(`(${count} ${count === 1 ? 'row' : 'rows'})\n`);
  return writer.end();
}
