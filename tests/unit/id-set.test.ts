import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdSet } from '../../shared/service/id-set.ts';

const MAX_ID = 2 ** 31 - 1;

function check(ids: number[], probes: number[]) {
  const set = new IdSet();
  const model = new Set<number>();
  for (const id of ids) {
    expect(set.has(id)).toBe(model.has(id));
    set.add(id);
    model.add(id);
    expect(set.has(id)).toBe(true);
  }
  for (const id of [...ids, ...probes]) expect(set.has(id)).toBe(model.has(id));
}

describe('IdSet', () => {
  it('agrees with a Set on random ids anywhere in 1..2^31-1', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: MAX_ID })), fc.array(fc.integer({ min: 1, max: MAX_ID })), check),
    );
  });

  it('agrees with a Set on ids crowded into a few 65,536-id ranges, in any order, with repeats', () => {
    const clustered = fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff }))
      .map(([hi, lo]) => Math.max(1, hi * 0x10000 + lo));
    fc.assert(fc.property(fc.array(clustered, { maxLength: 3000 }), fc.array(clustered), check), { numRuns: 50 });
  });

  it('stays exact as a range fills past 4096 ids and changes representation', () => {
    const set = new IdSet();
    const base = 7 * 0x10000;
    // Every third low half in descending order, then the rest ascending: both insertion paths.
    const first: number[] = [];
    for (let lo = 0xffff; lo >= 0; lo -= 3) first.push(base + lo);
    for (const id of first) set.add(id);
    const inFirst = new Set(first);
    const wrong = (expected: (id: number) => boolean) => {
      const ids: number[] = [];
      for (let id = base; id <= base + 0xffff; id++) if (set.has(id) !== expected(id)) ids.push(id);
      return ids;
    };
    expect(wrong((id) => inFirst.has(id))).toEqual([]);
    for (let lo = 0; lo <= 0xffff; lo++) set.add(base + lo);
    expect(wrong(() => true)).toEqual([]);
    expect(set.has(base - 1)).toBe(false);
    expect(set.has(base + 0x10000)).toBe(false);
  });

  it('handles the edges of the id range', () => {
    const set = new IdSet();
    for (const id of [1, 0xffff, 0x10000, MAX_ID]) set.add(id);
    for (const id of [1, 0xffff, 0x10000, MAX_ID]) expect(set.has(id)).toBe(true);
    for (const id of [2, 0xfffe, 0x10001, MAX_ID - 1]) expect(set.has(id)).toBe(false);
  });
});
