// Random fields: the rules never throw, invalid_character / invalid_encoding follow the model, and the
// raw-text escape is lossless (it reverses exactly) and always storable.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkRecord } from '../../shared/domain/row-rules.ts';
import { escapeRaw, needsEscape } from '../../shared/domain/raw-text.ts';

const unit = fc.oneof(
  fc.constantFrom('a', 'Z', '1', ' ', '\t', '\\', '"', ',', 'é', '😀', '\u0000', '\n', '\r', '\u001f', '\u007f'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
);
const field = fc.array(unit, { maxLength: 12 }).map((u) => u.join(''));

const modelControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 && c !== '\t');
const modelLoneSurrogate = (s: string) => [...s].some((c) => c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff);

/** The reader's inverse of escapeRaw, as a consumer of the rejects would write it. */
function unescapeRaw(s: string): string {
  return s.replace(/\\(\\|x([0-9A-F]{2})|u([0-9A-F]{4}))/g, (_, all, x, u) =>
    all === '\\' ? '\\' : x ? String.fromCharCode(0xdc00 + parseInt(x, 16)) : String.fromCharCode(parseInt(u, 16)),
  );
}

describe('row rules: properties', () => {
  it('checkRecord never throws and reports control characters and lone surrogates in any field', () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 0, maxLength: 6 }), (fields) => {
        const r = checkRecord('hired_employees', fields);
        const reasons = r.reasons ?? [];
        expect(reasons.includes('invalid_character')).toBe(fields.some(modelControl));
        expect(reasons.includes('invalid_encoding')).toBe(fields.some(modelLoneSurrogate));
        if (r.row) for (const v of Object.values(r.row)) if (typeof v === 'string') expect(needsEscape(v)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('escapeRaw leaves clean text alone, and otherwise is storable and reverses exactly', () => {
    fc.assert(
      fc.property(field, (s) => {
        const e = escapeRaw(s);
        if (!needsEscape(s)) expect(e).toBe(s);
        else {
          expect(needsEscape(e)).toBe(false);
          expect(unescapeRaw(e)).toBe(s);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
