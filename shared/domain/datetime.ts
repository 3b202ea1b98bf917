/**
 * Strict ISO 8601 date-times: `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]`, on the calendar (years 0001-9999),
 * no offset = UTC.
 * Returns the instant in UTC as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (fraction kept up to microseconds),
 * or null when the text is not such a date-time.
 */
const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;

export function normalizeDateTime(text: string): string | null {
  if (text.length === 20 && text.charCodeAt(19) === 90 /* Z */) return canonicalUtc(text);
  const m = PATTERN.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;

  const fraction = m[7] ? m[7].slice(0, 6).replace(/0+$/, '') : '';
  const zone = m[8];
  if (!zone || zone === 'Z') {
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${fraction ? '.' + fraction : ''}Z`;
  }
  const offHours = Number(zone.slice(1, 3));
  const offMinutes = Number(zone.slice(4, 6));
  if (offHours > 23 || offMinutes > 59) return null;
  const sign = zone[0] === '-' ? -1 : 1;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - sign * (offHours * 60 + offMinutes), second, 0);
  const utcYear = date.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) return null;
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z for years 0..9999
  return `${iso.slice(0, 19)}${fraction ? '.' + fraction : ''}Z`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** Fast path for the common `YYYY-MM-DDTHH:MM:SSZ`, which is already in normal form. */
function canonicalUtc(text: string): string | null {
  for (const i of DIGIT_POSITIONS) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return null;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (twoDigits(text, 11) > 23 || twoDigits(text, 14) > 59 || twoDigits(text, 17) > 59) return null;
  return text;
}

function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}
