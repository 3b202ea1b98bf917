import { describe, expect, it } from 'vitest';
import type { Reject } from '../../shared/domain/reasons.ts';
import { commitUnits } from '../../shared/service/commit-units.ts';
import { MAX_BATCH_RAW_CHARS } from '../../shared/service/prepare-batches.ts';
import type { ColumnBatch as Batch } from '../../shared/service/prepare-in-thread.ts';
import { fromColumns, toColumns } from '../../shared/domain/row-columns.ts';
import type { DepartmentRow } from '../../shared/domain/tables.ts';

const rowsOf = (b: Batch) => fromColumns('departments', b.rows.columns, b.rows.count);
const columnsOf = (rows: DepartmentRow[]) => ({ count: rows.length, columns: toColumns('departments', rows) });

/** `sizes[i]` rows per batch, line numbers continuing from one batch to the next; every 4th line rejected. */
function batches(sizes: number[]): Batch[] {
  let line = 0;
  return sizes.map((n) => {
    const rows: DepartmentRow[] = [];
    const rejects: Reject[] = [];
    for (let i = 0; i < n; i++) {
      line++;
      if (line % 4 === 0) rejects.push({ line, id: String(line), raw: `${line},`, reasons: ['missing_department'] });
      else rows.push({ id: line, department: `D${line}` });
    }
    return { rows: columnsOf(rows), rejects, lastLine: line, bytesRead: line * 10 };
  });
}

async function* from<V>(items: V[]): AsyncGenerator<V> {
  for (const item of items) yield item;
}

async function collect(source: AsyncIterable<Batch>, limits = { rows: 1000, ms: 3_600_000 }): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const u of commitUnits('departments', source, limits)) out.push(u);
  return out;
}

describe('commitUnits', () => {
  it('joins whole parse batches until a unit holds the row limit, keeping every record once and in file order', async () => {
    const input = batches([100, 100, 100, 100, 100, 100, 100, 40, 0]);
    const units = await collect(from(input), { rows: 250, ms: 3_600_000 });
    // 100+100+100 reaches 250 → a unit of three batches; then three more; then the rest with the empty final one.
    expect(units.map((u) => u.lastLine)).toEqual([300, 600, 740]);
    expect(units.map((u) => u.bytesRead)).toEqual([3000, 6000, 7400]);
    expect(units.flatMap(rowsOf)).toEqual(input.flatMap(rowsOf));
    expect(units.flatMap((u) => u.rejects)).toEqual(input.flatMap((b) => b.rejects));
    for (const u of units) expect(rowsOf(u).every((r) => r.id <= u.lastLine)).toBe(true);
  });

  it('never splits a batch: a limit below the batch size commits each batch on its own', async () => {
    const units = await collect(from(batches([10, 10, 10, 0])), { rows: 3, ms: 3_600_000 });
    expect(units.map((u) => u.lastLine)).toEqual([10, 20, 30, 30]);
  });

  it('the final empty batch of a file still commits the end of the file', async () => {
    const units = await collect(from(batches([0])));
    expect(units.map((u) => ({ ...u, rows: rowsOf(u) }))).toEqual([{ rows: [], rejects: [], lastLine: 0, bytesRead: 0 }]);
  });

  it('keeps long reject text out of a unit that already holds some', async () => {
    const big = (line: number, chars: number): Reject => ({ line, id: null, raw: 'x'.repeat(chars), reasons: ['field_count'] });
    const half = Math.floor(MAX_BATCH_RAW_CHARS / 2) + 1;
    const input: Batch[] = [
      { rows: columnsOf([]), rejects: [big(1, half)], lastLine: 1, bytesRead: 1 },
      { rows: columnsOf([]), rejects: [big(2, half)], lastLine: 2, bytesRead: 2 },
      { rows: columnsOf([{ id: 3, department: 'D' }]), rejects: [], lastLine: 3, bytesRead: 3 },
    ];
    const units = await collect(from(input));
    expect(units.map((u) => u.rejects.map((r) => r.line))).toEqual([[1], [2]]);
    expect(units.map((u) => u.lastLine)).toEqual([1, 3]);
  });

  it('closes a unit at its deadline while the source is slow, and goes on with the batches after it', async () => {
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const [first, second] = batches([5, 5]);
    async function* slow(): AsyncGenerator<Batch> {
      yield first;
      await stalled; // the source sends nothing more until the first unit has been committed
      yield second;
    }
    const units = commitUnits('departments', slow(), { rows: 1000, ms: 20 });
    const unit = await units.next();
    expect(unit.value).toMatchObject({ lastLine: 5, rejects: first.rejects });
    expect(rowsOf(unit.value as Batch)).toEqual(rowsOf(first));
    release();
    const rest: Batch[] = [];
    for await (const u of { [Symbol.asyncIterator]: () => units }) rest.push(u);
    expect(rest.map((u) => u.lastLine)).toEqual([10]);
  });

  it('passes a failure of the source on, after the units before it', async () => {
    async function* failing(): AsyncGenerator<Batch> {
      yield* batches([3]);
      throw new Error('the file is not in utf-8');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const u of commitUnits('departments', failing(), { rows: 3, ms: 3_600_000 })) seen.push(u.lastLine);
      })(),
    ).rejects.toThrow('the file is not in utf-8');
    expect(seen).toEqual([3]);
  });
});
