/**
 * Text that cannot be stored as it is: C0 control characters other than tab (PostgreSQL text cannot
 * hold U+0000) and lone UTF-16 surrogates (not valid Unicode; an undecodable byte of a file arrives as
 * U+DC00 + byte, see shared/csv/decode.ts). A reject's raw text holding any of them is written with one
 * escape, lossless and reversible: `\` as `\\`, an undecodable byte as `\xNN`, a control character or
 * another lone surrogate as `\uNNNN` (hex digits in upper case). Other raw text stays as written.
 */
const CONTROL = /[\x00-\x08\x0A-\x1F]/;

export const hasControlCharacter = (s: string): boolean => CONTROL.test(s);

/** False when `s` holds a lone surrogate. */
export const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

export const needsEscape = (s: string): boolean => CONTROL.test(s) || !isWellFormed(s);

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

/** `s` itself when it is storable text; otherwise its escaped form (see above). */
export function escapeRaw(s: string): string {
  if (!needsEscape(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c < 0x20 && c !== 0x09) out += `\\u${hex(c, 4)}`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s[i] + s[i + 1];
      i++;
    } else if (c >= 0xdc00 && c <= 0xdcff) out += `\\x${hex(c - 0xdc00, 2)}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += `\\u${hex(c, 4)}`;
    else out += s[i];
  }
  return out;
}
