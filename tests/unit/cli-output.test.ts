import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grouped } from '../../loader/cli/output.ts';

describe('grouped: thousands separators of the CLI output', () => {
  it('writes whole numbers as toLocaleString("en-US") does', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, -1_234, Number.MAX_SAFE_INTEGER]) {
      expect(grouped(n)).toBe(n.toLocaleString('en-US'));
    }
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => grouped(n) === n.toLocaleString('en-US')));
  });

  it('leaves anything else to toLocaleString', () => {
    expect(grouped(1234.5)).toBe('1,234.5');
  });
});
