/**
 * The shapes of the API's request and response bodies as valibot schemas, converted to JSON Schema for the
 * OpenAPI document. Each is named; the document lists them under components.schemas.
 */
import * as v from 'valibot';

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const iso = v.nullable(v.pipe(v.string(), v.isoTimestamp()));

/** Stable error codes the API answers with, and when. */
export const ERROR_CODES = {
  BAD_PARAMETER: 'a query or path parameter is malformed or out of range (400)',
  BAD_JSON: 'the body is not JSON, or not an array of row objects (400)',
  BAD_BATCH_SIZE: 'a batch with 0 or more than 1000 rows (400)',
  BAD_FILE_NAME: 'an upload name with a path, or matching no table (400)',
  EMPTY_BODY: 'an upload with no bytes (400)',
  AUTH_REQUIRED: 'no API key, or an unknown one (401)',
  FORBIDDEN: "the key's role does not allow this, or a cross-site write (403)",
  NOT_FOUND: 'no such route, task, table, report or file (404)',
  METHOD_NOT_ALLOWED: 'the path does not take this method; see Allow (405)',
  NOT_FAILED: 'only a failed task can be retried (409)',
  TOO_LARGE: 'a body over the size limit (413)',
  UNSUPPORTED_MEDIA_TYPE: 'a batch body that is neither application/json nor text/csv (415)',
  LOAD_FAILED: 'an original-API load whose task failed (422)',
  INTERNAL: 'an unexpected failure; the details are in the log under the request id (500)',
} as const;

export const ErrorBody = v.object({
  error: v.object({
    code: v.pipe(v.string(), v.description(Object.entries(ERROR_CODES).map(([code, when]) => `${code}: ${when}`).join('; '))),
    message: v.pipe(v.string(), v.description('names the row, the field or the parameter, and the rule')),
    request_id: v.optional(v.string()),
  }),
});

export const Summary = v.pipe(
  v.object({ processed: count, inserted: count, already_exists: count, rejected: count }),
  v.description('processed = inserted + already_exists + rejected'),
);

export const TaskView = v.object({
  id: count,
  file: v.string(),
  version: v.string(),
  table: v.nullable(v.picklist(['departments', 'jobs', 'hired_employees'])),
  slice: v.nullable(v.object({ start: count, limit: v.nullable(count) })),
  status: v.picklist(['queued', 'running', 'done', 'failed']),
  progress: v.object({ line: count, bytes_read: count, bytes_total: count, percent: v.pipe(v.number(), v.minValue(0), v.maxValue(100)) }),
  rate_rows_per_s: v.pipe(v.nullable(count), v.description('rows per second since the task started; null unless running')),
  eta_s: v.pipe(v.nullable(count), v.description('seconds left at that pace; null unless running')),
  summary: Summary,
  timings: v.object({ created_at: iso, started_at: iso, finished_at: iso, duration_ms: v.nullable(count) }),
  error: v.nullable(v.string()),
  attempts: count,
});

export const TaskList = v.object({ total: count, limit: count, offset: count, tasks: v.array(TaskView) });

export const Reject = v.object({
  line: v.pipe(count, v.description('1-based line of the record in its file')),
  id: v.nullable(v.string()),
  raw: v.string(),
  reasons: v.pipe(v.array(v.string()), v.description('reason codes: field_count, missing_<column>, invalid_id, invalid_datetime, unknown_department, duplicate_id, …')),
});

export const RejectPage = v.object({ task_id: count, total: count, limit: count, offset: count, rejects: v.array(Reject) });

export const BatchRows = v.pipe(
  v.array(v.record(v.string(), v.nullable(v.union([v.string(), v.number()])))),
  v.minLength(1),
  v.maxLength(1000),
  v.description('1 to 1000 objects keyed by the column names'),
);

export const BatchOutcome = v.object({
  processed: count,
  inserted: count,
  already_exists: count,
  rejected: count,
  errors: v.array(v.object({ index: count, id: v.nullable(v.string()), reasons: v.array(v.string()), message: v.string() })),
});

export const UploadAccepted = v.object({
  file: v.object({ name: v.string(), version: v.string(), size: count }),
  created: v.pipe(v.boolean(), v.description('false when this file version already had a task, which is answered')),
  task: TaskView,
});

export const HiredByQuarterRow = v.object({ department: v.string(), job: v.string(), Q1: count, Q2: count, Q3: count, Q4: count });
export const HiredByQuarter = v.array(HiredByQuarterRow);
export const HiringAboveAverageRow = v.object({ id: count, department: v.string(), hired: count });
export const HiringAboveAverage = v.array(HiringAboveAverageRow);
export const Report = v.union([HiredByQuarter, HiringAboveAverage]);

export const Health = v.object({ status: v.string(), database: v.string(), blob: v.string() });
export const Home = v.object({ name: v.string(), version: v.string(), message: v.string(), links: v.record(v.string(), v.string()) });

export const LegacySummary = v.object({
  processed: count,
  inserted: count,
  already_exists: count,
  rejected: count,
  errors: v.array(v.object({ line: count, id: v.nullable(v.string()), reasons: v.array(v.string()) })),
  task_id: count,
  rejects_url: v.string(),
});
export const LegacyAccepted = v.object({ status: v.literal('accepted'), message: v.string(), task_ids: v.array(count), tasks: v.array(TaskView) });
export const LegacyUploadFiles = v.object({ departments: LegacySummary, jobs: LegacySummary, hired_employees: v.array(LegacySummary) });
export const LegacySliceAccepted = v.object({ task_id: v.string(), status: v.literal('accepted'), task: TaskView });
export const LegacyTaskList = v.array(
  v.object({
    id: v.string(),
    status: v.picklist(['SUCCESS', 'FAILURE']),
    result: v.union([Summary, v.string()]),
    file: v.string(),
    table: v.nullable(v.string()),
  }),
);

/** Every schema the document names, by its component name. */
export const SCHEMAS = {
  ErrorBody,
  Summary,
  TaskView,
  TaskList,
  Reject,
  RejectPage,
  BatchRows,
  BatchOutcome,
  UploadAccepted,
  HiredByQuarterRow,
  HiredByQuarter,
  HiringAboveAverageRow,
  HiringAboveAverage,
  Report,
  Health,
  Home,
  LegacySummary,
  LegacyAccepted,
  LegacyUploadFiles,
  LegacySliceAccepted,
  LegacyTaskList,
};
export type SchemaName = keyof typeof SCHEMAS;
