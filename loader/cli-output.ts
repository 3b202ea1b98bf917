import type { Database } from '../shared/ports/database.port.ts';
import { rejectPages } from '../shared/service/reject-pages.ts';

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

/** `hiredb rejects`: one JSON object `{line, id, raw, reasons}` per line, or a table, written page by page. */
export async function printRejects(db: Database, taskId: number, json: boolean, out = process.stdout): Promise<void> {
  if (!json) {
    const rows = [];
    for await (const page of rejectPages(db, taskId)) rows.push(...page.map((r) => ({ ...r, reasons: r.reasons.join(',') })));
    printTable(rows, ['line', 'id', 'reasons', 'raw'], out);
    return;
  }
  for await (const page of rejectPages(db, taskId)) {
    out.write(page.map((r) => JSON.stringify({ line: r.line, id: r.id, raw: r.raw, reasons: r.reasons }) + '\n').join(''));
  }
}
