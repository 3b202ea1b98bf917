/** Reason codes a record is rejected for; stable strings shared by the API, the CLI and the rejects table. */
export type ReasonCode =
  | 'field_count'
  | `missing_${string}`
  | 'invalid_id'
  | 'invalid_department_id'
  | 'invalid_job_id'
  | `too_long_${string}`
  | 'invalid_datetime'
  | 'unknown_department'
  | 'unknown_job'
  | 'duplicate_id'
  | 'invalid_character'
  | 'invalid_encoding'
  | 'record_too_long'
  | 'unterminated_quote';

/** A rejected record, as kept in the rejects table and returned by the API. */
export interface Reject {
  /** 1-based line of the record in its file, or 0-based index of the row in a batch request. */
  line: number;
  /** The record's id field as written, when there was one (escaped as `raw` is). */
  id: string | null;
  /** The record's text; escaped when it holds control characters or undecodable bytes (see raw-text.ts). */
  raw: string;
  reasons: ReasonCode[];
}
