import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idRuns, idRunsJson } from '../../shared/domain/id-runs.ts';

describe('idRuns', () => {
  it('makes one run of an appending batch and splits at every gap, in any input order', () => {
    expect(idRuns([])).toEqual({ from: [], to: [] });
    expect(idRuns([7])).toEqual({ from: [7], to: [7] });
    expect(idRuns([1, 2, 3, 4])).toEqual({ from: [1], to: [4] });
    expect(idRuns([10, 3, 2, 11, 5, 2_147_483_647])).toEqual({ from: [2, 5, 10, 2_147_483_647], to: [3, 5, 11, 2_147_483_647] });
    expect(idRunsJson(idRuns([4, 1, 2]))).toBe('[[1,2],[4,4]]');
  });

  it('covers exactly the ids given, with disjoint ascending runs that never touch (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 300 }), { maxLength: 200 }), (ids) => {
        const { from, to } = idRuns(ids);
        const covered: number[] = [];
        for (let i = 0; i < from.length; i++) {
          expect(from[i]).toBeLessThanOrEqual(to[i]);
          if (i > 0) expect(from[i]).toBeGreaterThan(to[i - 1] + 1);
          for (let id = from[i]; id <= to[i]; id++) covered.push(id);
        }
        expect(covered).toEqual([...ids].sort((a, b) => a - b));
      }),
    );
  });
});
