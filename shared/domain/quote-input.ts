/**
 * A client-supplied value for an error message: JSON-quoted, with every control, DEL, C1 and line-separator
 * character written as \uXXXX, and cut at `max` characters so an answer never echoes a huge input.
 */
export function quoteInput(value: string, max = 200): string {
  const cut = value.length > max ? value.slice(0, max) : value;
  const json = JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return value.length > max ? `${json}… (${value.length} characters)` : json;
}
