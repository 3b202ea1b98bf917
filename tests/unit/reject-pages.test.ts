import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { printRejects } from '../../loader/cli/output.ts';
import type { Reject } from '../../shared/domain/reasons.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { MAX_PAGE_ROWS, PAGE_TEXT_BUDGET, rejectPages, rejectsCsv } from '../../shared/service/reject-pages.ts';

/** A database that holds only a task's rejects (on lines 1..count), and records every page asked for. */
function rejectsDb(count: number, rawOf: (i: number) => string) {
  const asked: { afterLine: number; limit: number }[] = [];
  const db = {
    tasks: {
      async rejectsAfter(_taskId: number, opts: { afterLine: number; limit: number }) {
        asked.push(opts);
        const rejects: Reject[] = [];
        for (let i = opts.afterLine; i < Math.min(count, opts.afterLine + opts.limit); i++) {
          rejects.push({ line: i + 1, id: String(i + 1), raw: rawOf(i), reasons: ['field_count'] });
        }
        return rejects;
      },
    },
  } as unknown as Database;
  return { db, asked };
}

describe('rejectPages', () => {
  it('reads every reject once, in order, in pages of at most 1000 short rejects', async () => {
    const { db, asked } = rejectsDb(5_500, (i) => `row ${i}`);
    const lines: number[] = [];
    for await (const page of rejectPages(db, 1)) lines.push(...page.map((r) => r.line));
    expect(lines).toEqual(Array.from({ length: 5_500 }, (_, i) => i + 1));
    expect(Math.max(...asked.map((a) => a.limit))).toBe(MAX_PAGE_ROWS);
  });

  it('keeps pages of long raw texts within the text budget', async () => {
    const long = 'x'.repeat(1_000_000);
    const { db, asked } = rejectsDb(300, () => long);
    let rows = 0;
    for await (const page of rejectPages(db, 1)) {
      rows += page.length;
      if (asked.length > 1) expect(page.reduce((n, r) => n + r.raw.length, 0)).toBeLessThanOrEqual(PAGE_TEXT_BUDGET);
    }
    expect(rows).toBe(300);
    expect(asked.slice(1).every((a) => a.limit * long.length <= PAGE_TEXT_BUDGET)).toBe(true);
  });
});

describe('rejectsCsv', () => {
  it('reads from the database only as fast as the reader takes chunks', async () => {
    const { db, asked } = rejectsDb(1_000_000, (i) => `${i},name,2021-01-01T00:00:00Z,1`);
    const reader = rejectsCsv(db, 1).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).startsWith('line,id,reasons,raw\n')).toBe(true);
    // Nothing is read ahead while the reader waits.
    await new Promise((resolve) => setImmediate(resolve));
    const readSoFar = asked.reduce((n, a) => n + a.limit, 0);
    expect(readSoFar).toBeLessThanOrEqual(3 * MAX_PAGE_ROWS);
    await reader.cancel();
  });

  it('writes every reject as one CSV line after the header', async () => {
    const { db } = rejectsDb(2_345, (i) => (i % 2 ? `a,"b"` : 'plain'));
    const text = await new Response(rejectsCsv(db, 1)).text();
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBe(2_346);
    expect(lines[1]).toBe('1,1,field_count,plain');
    expect(lines[2]).toBe('2,2,field_count,"a,""b"""');
  });
});

describe('printRejects', () => {
  /** A pipe whose reader takes nothing until told to: written bytes wait in its buffer. */
  function stalledPipe() {
    let written = 0;
    let release: (() => void) | null = null;
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, callback) {
        written += chunk.length;
        release = callback;
      },
    });
    return { out, written: () => written, flowing: () => release !== null, drain: () => { const r = release; release = null; r?.(); } };
  }

  for (const json of [true, false]) {
    it(`waits for the output to drain (${json ? '--json' : 'table'})`, async () => {
      const { db, asked } = rejectsDb(200_000, (i) => `${i},name,2021-01-01T00:00:00Z,1`);
      const pipe = stalledPipe();
      const done = printRejects(db, 1, json, pipe.out);
      // Give it every chance to run ahead: the fake database answers at once.
      for (let turn = 0; turn < 50 || !pipe.flowing(); turn++) await new Promise((resolve) => setImmediate(resolve));
      // Blocked on a full pipe: only the first page or two has been read, not all 200,000 rejects.
      const stalledAt = asked.reduce((n, a) => n + a.limit, 0);
      expect(stalledAt).toBeLessThan(json ? 5_000 : 205_000);
      let finished = false;
      void done.then(() => (finished = true));
      while (!finished) {
        pipe.drain();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await done;
      expect(pipe.written()).toBeGreaterThan(200_000 * 30);
    });
  }
});
