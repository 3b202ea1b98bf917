// How numbers, durations and reject reasons read on the page.
const COLUMN_WORDS: Record<string, string> = {
  id: 'id',
  department: 'department name',
  job: 'job name',
  name: 'name',
  datetime: 'date and time',
  department_id: 'department id',
  job_id: 'job id',
};

const LABELS: Record<string, string> = {
  field_count: 'Wrong number of fields',
  invalid_id: 'Id is not a valid integer',
  invalid_department_id: 'Department id is not a valid integer',
  invalid_job_id: 'Job id is not a valid integer',
  invalid_datetime: 'Date and time is not valid',
  unknown_department: 'Unknown department',
  unknown_job: 'Unknown job',
  duplicate_id: 'Duplicate id in this load',
  invalid_character: 'Control character in a field',
  invalid_encoding: 'Bytes not valid text',
  record_too_long: 'Record too long',
  unterminated_quote: 'Quote never closed',
};

/** A reason code as a readable label: `missing_job_id` → "Missing job id". */
export function reasonLabel(code: string): string {
  if (LABELS[code]) return LABELS[code];
  const missing = /^missing_(.+)$/.exec(code);
  if (missing) return `Missing ${COLUMN_WORDS[missing[1]] ?? missing[1].replaceAll('_', ' ')}`;
  const long = /^too_long_(.+)$/.exec(code);
  if (long) return `${capitalise(COLUMN_WORDS[long[1]] ?? long[1].replaceAll('_', ' '))} over 100 characters`;
  return capitalise(code.replaceAll('_', ' '));
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const count = (n: number) => n.toLocaleString('en');

export function duration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function seconds(s: number): string {
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
