/**
 * An independent model of what loading CSV files must give, written straight from DESIGN.md's data rules
 * and report definitions. It imports nothing from shared/ on purpose: the tests compare HireDB's answers
 * against this second, deliberately plain reading of the rules.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

export type Table = 'departments' | 'jobs' | 'hired_employees';

export const SAMPLE_DIR = fileURLToPath(new URL('../../data/sample/', import.meta.url));
export const SAMPLE_FILES: Record<Table, string> = {
  departments: `${SAMPLE_DIR}departments.csv`,
  jobs: `${SAMPLE_DIR}jobs.csv`,
  hired_employees: `${SAMPLE_DIR}hired_employees.csv`,
};

const COLUMNS: Record<Table, string[]> = {
  departments: ['id', 'department'],
  jobs: ['id', 'job'],
  hired_employees: ['id', 'name', 'datetime', 'department_id', 'job_id'],
};
const NAME_COLUMN: Record<Table, string> = { departments: 'department', jobs: 'job', hired_employees: 'name' };
const MAX_INT = 2147483647;

export interface ExpectedReject {
  /** 1-based line in the file where the record starts. */
  line: number;
  id: string | null;
  raw: string;
  /** Sorted, so comparisons do not depend on the order a rule engine lists them in. */
  reasons: string[];
}

export interface FileOutcome {
  table: Table;
  processed: number;
  inserted: number;
  already_exists: number;
  rejected: number;
  rejects: ExpectedReject[];
}

export interface Hire {
  id: number;
  name: string;
  /** Milliseconds since the epoch (UTC). */
  at: number;
  department_id: number;
  job_id: number;
}

/** The database as the rules say it must be after the loads applied so far. */
export class Model {
  departments = new Map<number, string>();
  jobs = new Map<number, string>();
  hires = new Map<number, Hire>();

  /** Loads one file's text as a load (file or batch) would, and answers its counts and rejects. */
  load(table: Table, text: string): FileOutcome {
    return this.loadRecords(table, readCsv(text));
  }

  /** Loads records already split into fields (e.g. a JSON batch), `line` being the 0-based index. */
  loadRecords(table: Table, records: { line: number; raw: string; fields: string[] }[]): FileOutcome {
    const out: FileOutcome = { table, processed: 0, inserted: 0, already_exists: 0, rejected: 0, rejects: [] };
    const seen = new Set<number>();
    for (const rec of records) {
      out.processed++;
      const fields = rec.fields.map((f) => f.trim());
      const reasons: string[] = [];
      const cols = COLUMNS[table];
      let parsed: Record<string, string | number> | null = null;
      if (fields.length !== cols.length) {
        reasons.push('field_count');
      } else {
        const values: Record<string, string | number> = {};
        cols.forEach((col, i) => {
          const value = fields[i];
          if (value === '') {
            reasons.push(`missing_${col}`);
          } else if (col === 'id' || col === 'department_id' || col === 'job_id') {
            const n = wholeNumber(value);
            if (n === null) reasons.push(`invalid_${col}`);
            else values[col] = n;
          } else if (col === 'datetime') {
            const at = utcMillis(value);
            if (at === null) reasons.push('invalid_datetime');
            else values[col] = at;
          } else {
            if (value.length > 100) reasons.push(`too_long_${col}`); // UTF-16 units, as the rules count
            else values[col] = value;
          }
        });
        if (reasons.length === 0) {
          parsed = values;
          if (table === 'hired_employees') {
            if (!this.departments.has(values.department_id as number)) reasons.push('unknown_department');
            if (!this.jobs.has(values.job_id as number)) reasons.push('unknown_job');
          }
        }
      }
      const idNumber = fields.length > 0 ? wholeNumber(fields[0]) : null;
      if (idNumber !== null && seen.has(idNumber)) reasons.push('duplicate_id');

      if (reasons.length > 0) {
        out.rejected++;
        out.rejects.push({
          line: rec.line,
          id: fields.length > 0 && fields[0] !== '' ? fields[0] : null,
          raw: rec.raw,
          reasons: [...reasons].sort(),
        });
        continue;
      }
      const row = parsed!;
      const id = row.id as number;
      seen.add(id);
      const target = table === 'departments' ? this.departments : table === 'jobs' ? this.jobs : this.hires;
      if (target.has(id)) {
        out.already_exists++;
        continue;
      }
      out.inserted++;
      if (table === 'hired_employees') {
        this.hires.set(id, {
          id,
          name: row.name as string,
          at: row.datetime as number,
          department_id: row.department_id as number,
          job_id: row.job_id as number,
        });
      } else {
        (target as Map<number, string>).set(id, row[NAME_COLUMN[table]] as string);
      }
    }
    return out;
  }

  hiredByQuarter(year: number): HiredByQuarterRow[] {
    const groups = new Map<string, HiredByQuarterRow>();
    for (const h of this.hires.values()) {
      const d = new Date(h.at);
      if (d.getUTCFullYear() !== year) continue;
      const department = this.departments.get(h.department_id)!;
      const job = this.jobs.get(h.job_id)!;
      const key = JSON.stringify([department, job]);
      let row = groups.get(key);
      if (!row) groups.set(key, (row = { department, job, Q1: 0, Q2: 0, Q3: 0, Q4: 0 }));
      const quarter = `Q${Math.floor(d.getUTCMonth() / 3) + 1}` as 'Q1' | 'Q2' | 'Q3' | 'Q4';
      row[quarter]++;
    }
    return [...groups.values()].sort((a, b) => textOrder(a.department, b.department) || textOrder(a.job, b.job));
  }

  hiringAboveAverage(year: number): HiringAboveAverageRow[] {
    const counts = new Map<number, number>();
    for (const id of this.departments.keys()) counts.set(id, 0);
    for (const h of this.hires.values()) {
      if (new Date(h.at).getUTCFullYear() === year) counts.set(h.department_id, (counts.get(h.department_id) ?? 0) + 1);
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const mean = counts.size === 0 ? 0 : total / counts.size;
    return [...counts.entries()]
      .filter(([, hired]) => hired > mean)
      .map(([id, hired]) => ({ id, department: this.departments.get(id)!, hired }))
      .sort((a, b) => b.hired - a.hired || a.id - b.id);
  }
}

export interface HiredByQuarterRow {
  department: string;
  job: string;
  Q1: number;
  Q2: number;
  Q3: number;
  Q4: number;
}
export interface HiringAboveAverageRow {
  id: number;
  department: string;
  hired: number;
}

/** Case-insensitive, then by exact text (code-unit order). */
export function textOrder(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Records of a CSV file with their start line and text: BOM, header line and blank lines handled. */
export function readCsv(text: string): { line: number; raw: string; fields: string[] }[] {
  const parsed = parse(text, {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    raw: true,
    info: true,
  }) as unknown as { record: string[]; raw: string; info: { lines: number } }[];
  const out: { line: number; raw: string; fields: string[] }[] = [];
  parsed.forEach((p, i) => {
    // csv-parse's raw text carries the blank lines before the record and the line break after it.
    const raw = p.raw.replace(/^(\r?\n)+/, '').replace(/\r?\n$/, '').replace(/\r$/, '');
    const endLine = p.info.lines;
    const line = endLine - (raw.match(/\n/g)?.length ?? 0);
    if (p.record.length === 1 && p.record[0].trim() === '') return; // a line of spaces only
    if (i === 0 && p.record[0].trim().toLowerCase() === 'id') return; // header
    out.push({ line, raw: raw.replace(/^\uFEFF/, ''), fields: p.record });
  });
  return out;
}

function wholeNumber(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= MAX_INT ? n : null;
}

/** `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` that exists on the calendar; no offset means UTC. */
export function utcMillis(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))?$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const daysInMonth = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth[mo - 1] || h > 23 || mi > 59 || s > 59) return null;
  let offsetMinutes = 0;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime() - offsetMinutes * 60_000;
}

export interface SampleExpectation {
  files: Record<Table, FileOutcome>;
  /** The same files loaded a second time into the loaded database. */
  reload: Record<Table, FileOutcome>;
  hiredByQuarter2021: HiredByQuarterRow[];
  hiringAboveAverage2021: HiringAboveAverageRow[];
  model: Model;
}

/** What loading data/sample (departments, jobs, then hired_employees) must give. */
export function expectedSample(): SampleExpectation {
  const model = new Model();
  const files = {} as Record<Table, FileOutcome>;
  for (const table of ['departments', 'jobs', 'hired_employees'] as const) {
    files[table] = model.load(table, readFileSync(SAMPLE_FILES[table], 'utf8'));
  }
  const hiredByQuarter2021 = model.hiredByQuarter(2021);
  const hiringAboveAverage2021 = model.hiringAboveAverage(2021);
  const again = new Model();
  again.departments = new Map(model.departments);
  again.jobs = new Map(model.jobs);
  again.hires = new Map(model.hires);
  const reload = {} as Record<Table, FileOutcome>;
  for (const table of ['departments', 'jobs', 'hired_employees'] as const) {
    reload[table] = again.load(table, readFileSync(SAMPLE_FILES[table], 'utf8'));
  }
  return { files, reload, hiredByQuarter2021, hiringAboveAverage2021, model };
}

/** A copy of a model, to predict the effect of further loads without touching the original. */
export function cloneModel(model: Model): Model {
  const copy = new Model();
  copy.departments = new Map(model.departments);
  copy.jobs = new Map(model.jobs);
  copy.hires = new Map(model.hires);
  return copy;
}

/** Reject lists compared without depending on the order reasons are listed in. */
export function normaliseRejects(rejects: { line: number; id: string | null; raw: string; reasons: string[] }[]): ExpectedReject[] {
  return rejects
    .map((r) => ({ line: r.line, id: r.id, raw: r.raw, reasons: [...r.reasons].sort() }))
    .sort((a, b) => a.line - b.line);
}
