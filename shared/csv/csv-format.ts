/**
 * Options of every CSV export. By default a cell a spreadsheet would run as a formula is neutralised
 * (OWASP CSV injection rule); `raw` turns that off for machine consumers.
 */
export interface CsvExportOptions {
  raw?: boolean;
}

/** A cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so it stays text. */
export function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** One CSV line (RFC 4180 quoting where needed), without the line break. */
export function csvLine(values: readonly unknown[], opts: CsvExportOptions = {}): string {
  return values
    .map((v) => {
      const text = v === null || v === undefined ? '' : String(v);
      const s = opts.raw ? text : neutraliseFormula(text);
      return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    })
    .join(',');
}
