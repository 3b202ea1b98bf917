import type { Database } from '../../shared/ports/database.port.ts';
import type { Reject } from '../../shared/domain/reasons.ts';
import { eachReject } from '../../shared/service/reject-pages.ts';

/** Terminal output helpers for the CLI: aligned tables, the load summary and its progress line. */
export function printTable(rows: Record<string, unknown>[], columns: readonly string[], out = process.stdout): void {
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  out.write(line([...columns]) + '\n');
  out.write(line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const r of rows) out.write(line(columns.map((c) => text(r[c]))) + '\n');
  out.write(`(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})\n`);
}

/**
 * 1234567 → "1,234,567", what toLocaleString('en-US') writes for a whole number, without starting ICU's
 * number formatting (~15 ms on the first call, more than the rest of a small load's summary).
 */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, digits.length % 3 || 3);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** 1536 → "1.5 KiB": binary units, one decimal from KiB up. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** 0.4 s, 12.3 s, 4m05s, 1h02m. */
export function humanDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

export interface Progress {
  bytesRead: number;
  bytesTotal: number;
  /** Records committed so far in this run, and how many of them were rejected. */
  records: number;
  rejected: number;
  elapsedMs: number;
}

/**
 * One progress line, at most `width` characters: `label [####....]  42%  12,345 rows/s  ETA 0:07  3 rejected`.
 * What does not fit is dropped from the right, the bar first shrinking to nothing.
 */
export function renderProgress(label: string, p: Progress, width: number): string {
  const ratio = p.bytesTotal > 0 ? Math.min(1, p.bytesRead / p.bytesTotal) : 0;
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(p.records / seconds) : 0;
  const eta = ratio > 0 && ratio < 1 && seconds > 0 ? Math.round((seconds / ratio) * (1 - ratio)) : ratio >= 1 ? 0 : null;
  const clock = (s: number) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  const tail = [
    `${(ratio * 100).toFixed(0).padStart(3)}%`,
    `${grouped(rate)} rows/s`,
    `ETA ${eta === null ? '-:--' : clock(eta)}`,
    `${grouped(p.rejected)} rejected`,
  ].join('  ');
  // Room is given to the numbers first, then the file name (cut with …), then the bar.
  const room = width - tail.length - 2;
  const name = label.length <= room ? label : room >= 8 ? `${label.slice(0, room - 1)}…` : label.slice(0, Math.max(0, room));
  const barWidth = Math.min(30, room - name.length - 3);
  const bar = barWidth >= 5 ? ` [${'#'.repeat(Math.round(ratio * barWidth)).padEnd(barWidth, '.')}]` : '';
  const line = `${name}${bar}  ${tail}`;
  return line.length <= width ? line : line.slice(0, Math.max(0, width));
}

/** How often a progress line is written when stderr is not a terminal (a log file, a pipe). */
const PLAIN_EVERY_MS = 5_000;

/**
 * Progress of one file on `stream`: on a terminal, one line redrawn in place (at most 10 times a second),
 * cut to the terminal's width so it never wraps; elsewhere, a plain line every `plainEveryMs`
 * (HIREDB_PROGRESS_INTERVAL_MS, default 5 s) and none for a file loaded faster than that.
 */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  opts: { plainEveryMs?: number; now?: () => number } = {},
) {
  const now = opts.now ?? Date.now;
  const plainEveryMs = opts.plainEveryMs ?? (Number(process.env.HIREDB_PROGRESS_INTERVAL_MS) || PLAIN_EVERY_MS);
  const tty = Boolean(stream.isTTY);
  const started = now();
  let last = tty ? 0 : started;
  let drawn = false;
  const state = { bytesRead: 0, bytesTotal: 0, records: 0, rejected: 0 };
  return {
    update(p: { bytesRead: number; bytesTotal: number; records: number; rejected: number }) {
      state.bytesRead = p.bytesRead;
      state.bytesTotal = p.bytesTotal;
      state.records += p.records;
      state.rejected += p.rejected;
      const t = now();
      if (t - last < (tty ? 100 : plainEveryMs)) return;
      last = t;
      const progress = { ...state, elapsedMs: t - started };
      if (tty) {
        // One column short of the width: a line that fills the last column wraps on some terminals.
        const width = Math.max(1, (stream.columns || 80) - 1);
        stream.write(`\r${renderProgress(label, progress, width)}\x1b[K`);
        drawn = true;
      } else {
        stream.write(`${renderProgress(label, progress, 200)}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

export interface LoadSummaryRow {
  file: string;
  table: string;
  task_id: number;
  bytes: number;
  /** Time spent on this file in this run, and the records it processed meanwhile. */
  elapsedMs: number;
  recordsThisRun: number;
  processed: number;
  inserted: number;
  already_exists: number;
  rejected: number;
}

/**
 * The summary of `hiredb load`, pgloader style: a row per file and a total row, numbers right-aligned,
 * then `hiredb rejects <task>` for each file with rejects.
 */
export function printLoadSummary(rows: LoadSummaryRow[], out: NodeJS.WritableStream = process.stdout): void {
  const n = grouped;
  const rate = (records: number, ms: number) => (ms > 0 && records > 0 ? n(Math.round(records / (ms / 1000))) : '-');
  const sum = (k: 'bytes' | 'elapsedMs' | 'recordsThisRun' | 'processed' | 'inserted' | 'already_exists' | 'rejected') =>
    rows.reduce((acc, r) => acc + r[k], 0);
  const columns = ['file', 'table', 'task', 'elapsed', 'rows/s', 'bytes', 'processed', 'inserted', 'already_exists', 'rejected'];
  const rightAligned = new Set(columns.slice(2));
  const cells = (r: Omit<LoadSummaryRow, 'task_id'> & { task: string }) => [
    r.file,
    r.table,
    r.task,
    humanDuration(r.elapsedMs),
    rate(r.recordsThisRun, r.elapsedMs),
    humanBytes(r.bytes),
    n(r.processed),
    n(r.inserted),
    n(r.already_exists),
    n(r.rejected),
  ];
  const body = rows.map((r) => cells({ ...r, task: String(r.task_id) }));
  const total = cells({
    file: 'total',
    table: '',
    task: '',
    bytes: sum('bytes'),
    elapsedMs: sum('elapsedMs'),
    recordsThisRun: sum('recordsThisRun'),
    processed: sum('processed'),
    inserted: sum('inserted'),
    already_exists: sum('already_exists'),
    rejected: sum('rejected'),
  });
  const all = [columns, ...body, total];
  const widths = columns.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => (rightAligned.has(columns[i]) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd() + '\n';
  const rule = line(widths.map((w) => '-'.repeat(w)));
  out.write(line(columns) + rule);
  for (const row of body) out.write(line(row));
  out.write(rule + line(total));
  for (const r of rows) if (r.rejected > 0) out.write(`${n(r.rejected)} rejected in ${r.file}: hiredb rejects ${r.task_id}\n`);
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
