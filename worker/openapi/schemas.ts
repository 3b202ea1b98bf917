/**
 * The shapes of the API's request and response bodies as valibot schemas, converted to JSON Schema for the
 * OpenAPI document. Each is named; the document lists them under components.schemas.
 */
import * as v from 'valibot';
import type { ErrorCode } from '../../shared/domain/errors.ts';
import { KEY_FORMAT, KEY_NAME_FORMAT } from '../../shared/service/api-keys.ts';
import { STATUS_OF } from '../http-error.ts';

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const iso = v.nullable(v.pipe(v.string(), v.isoTimestamp()));

/**
 * When each stable error code is answered. Typed by the domain's ErrorCode union, so a code added there
 * (or removed) fails the type check until it is described here; the HTTP status comes from the one table.
 */
const WHEN: Record<ErrorCode, string> = {
  BAD_PARAMETER: 'a query or path parameter, or a field of a small JSON body, is malformed or out of range',
  BAD_JSON: 'the body is not JSON, or not an array of row objects',
  BAD_BATCH_SIZE: 'a batch with 0 or more than 1000 rows',
  INVALID_NAME: 'an upload name with a path, with characters outside the allowed set, or matching no table',
  EMPTY_BODY: 'an upload with no bytes',
  UPLOAD_ABORTED: 'the client stopped sending the body; nothing was stored',
  LOAD_FAILED: 'an original-API load whose task failed',
  AUTH_REQUIRED: 'no API key, or an unknown or revoked one (with WWW-Authenticate)',
  FORBIDDEN: "the key's role does not allow this, or a cross-site write",
  NOT_FOUND: 'no such route, task, table, report, file, asset or key',
  METHOD_NOT_ALLOWED: 'the path does not take this method; see Allow',
  REQUEST_TIMEOUT: 'the request headers or body arrived too slowly',
  CONFLICT: 'the state does not allow it: a retry of a task that is not failed, a key name already used',
  BODY_TOO_LARGE: 'a body over the size limit',
  UNSUPPORTED_MEDIA_TYPE: 'a body in a media type the route does not take',
  MISDIRECTED_REQUEST: 'a Host header this server does not answer for',
  TRANSIENT: 'the database or the Blob store is unavailable right now; nothing was written (with Retry-After)',
  INTERNAL: 'an unexpected failure; the details are in the log under the request id',
};

/** Every error code, in the order of the status table. */
export const ERROR_CODES = Object.keys(STATUS_OF) as ErrorCode[];

/** `CODE (status): when` for each code, as the error body's documentation lists them. */
export const ERROR_CODE_DOCS: string[] = ERROR_CODES.map((code) => `${code} (${STATUS_OF[code]}): ${WHEN[code]}`);

export const ErrorBody = v.object({
  error: v.object({
    code: v.pipe(v.picklist(ERROR_CODES), v.description(ERROR_CODE_DOCS.join('; '))),
    message: v.pipe(v.string(), v.description('names the row, the field or the parameter, and the rule')),
    request_id: v.pipe(v.string(), v.description('the X-Request-Id of this answer; the log holds it too')),
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

export const ApiKeyRole = v.pipe(v.picklist(['read', 'ingest', 'admin']), v.description('each role includes the ones before it'));
export const ApiKey = v.object({
  name: v.pipe(v.string(), v.regex(KEY_NAME_FORMAT)),
  role: ApiKeyRole,
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  last_used_at: v.pipe(iso, v.description('written at most once a minute per key and process')),
  revoked_at: iso,
});
export const ApiKeyList = v.object({ keys: v.array(ApiKey) });
export const ApiKeyRequest = v.object({ name: v.pipe(v.string(), v.regex(KEY_NAME_FORMAT), v.description('1 to 64 of A-Z a-z 0-9 . _ -, never reused')), role: ApiKeyRole });
export const ApiKeyCreated = v.object({
  ...ApiKey.entries,
  key: v.pipe(v.string(), v.regex(KEY_FORMAT), v.description('the key itself, shown this once; the database keeps only its SHA-256')),
});

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
  ApiKeyRole,
  ApiKey,
  ApiKeyList,
  ApiKeyRequest,
  ApiKeyCreated,
};
export type SchemaName = keyof typeof SCHEMAS;
