/**
 * The documentation of every route the app registers, one entry per method and path (Hono's `:param`
 * syntax, as in `app.routes`). A test fails when the app has a route this list lacks, or the reverse.
 * Who may call each route is not repeated here: the document reads it from the access rules.
 */
import type { SchemaName } from './schemas.ts';

export interface ParamDoc {
  name: string;
  in: 'path' | 'query';
  description: string;
  schema: Record<string, unknown>;
  required?: boolean;
}

/** What an answer carries: a named JSON schema, CSV, HTML, or another media type. */
export interface ResponseDoc {
  description: string;
  json?: SchemaName;
  csv?: boolean;
  html?: boolean;
  media?: string;
  headers?: Record<string, string>;
}

export const ROUTE_TAGS = ['Batch', 'Files', 'Tasks', 'Reports', 'Keys', 'Original API', 'Service'] as const;
export type RouteTag = (typeof ROUTE_TAGS)[number];

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  tag: RouteTag;
  summary: string;
  description?: string;
  params?: ParamDoc[];
  body?: { json?: SchemaName; csv?: boolean; binary?: boolean; description: string };
  responses: Record<number, ResponseDoc>;
}

const int = (min: number, max?: number, fallback?: number) => ({ type: 'integer', minimum: min, ...(max !== undefined && { maximum: max }), ...(fallback !== undefined && { default: fallback }) });
const taskId: ParamDoc = { name: 'id', in: 'path', required: true, description: 'the task id', schema: int(1) };
const limit: ParamDoc = { name: 'limit', in: 'query', description: 'page size', schema: int(1, 1000, 100) };
const offset: ParamDoc = { name: 'offset', in: 'query', description: 'rows to skip', schema: int(0, undefined, 0) };
const format: ParamDoc = { name: 'format', in: 'query', description: 'json, or csv for a download (also chosen by Accept: text/csv)', schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } };
const year: ParamDoc = { name: 'year', in: 'query', description: 'the year, UTC', schema: int(1, 9999, 2021) };
const reportName: ParamDoc = { name: 'name', in: 'path', required: true, description: 'which report', schema: { type: 'string', enum: ['hired-by-quarter', 'hiring-above-average'] } };
const sliceStart: ParamDoc = { name: 'start', in: 'query', description: 'first data row of hired_employees.csv to load (0-based)', schema: int(0, undefined, 0) };
const sliceLimit: ParamDoc = { name: 'limit', in: 'query', description: 'rows per page', schema: int(1, 1000, 1000) };

const bad: ResponseDoc = { description: 'bad input', json: 'ErrorBody' };
const notFound: ResponseDoc = { description: 'not found', json: 'ErrorBody' };
const legacyLoad = {
  200: { description: 'loaded: the summary', json: 'LegacySummary' },
  202: { description: 'still loading after LEGACY_WAIT_MS; follow the tasks', json: 'LegacyAccepted' },
  404: { description: 'the file is not in the Blob container', json: 'ErrorBody' },
  422: { description: 'the load failed (LOAD_FAILED)', json: 'ErrorBody' },
} satisfies Record<number, ResponseDoc>;

const reportResponses = (schema: SchemaName): Record<number, ResponseDoc> => ({
  200: { description: 'the report rows; CSV with a download name when asked', json: schema, csv: true, headers: { etag: 'changes when the data changes', 'x-report-cache': 'hit when the answer came from the report cache, miss when it was computed for this request' } },
  304: { description: 'unchanged since the If-None-Match ETag' },
  400: bad,
  404: notFound,
});

export const ROUTES: RouteDoc[] = [
  {
    method: 'GET',
    path: '/',
    tag: 'Service',
    summary: 'The dashboard for browsers; the API index for programs',
    description: 'Accept: text/html answers the dashboard page; anything else the JSON index with links.',
   
    responses: { 200: { description: 'the index, or the dashboard page', json: 'Home', html: true } },
  },
  { method: 'GET', path: '/health', tag: 'Service', summary: 'Liveness and the adapters in use', responses: { 200: { description: 'up', json: 'Health' } } },
  {
    method: 'GET',
    path: '/openapi.json',
    tag: 'Service',
    summary: 'This document (OpenAPI 3.1)',
   
    responses: { 200: { description: 'the OpenAPI document', media: 'application/json' } },
  },
  { method: 'GET', path: '/docs', tag: 'Service', summary: 'Interactive API reference (Swagger UI)', responses: { 200: { description: 'the page', html: true } } },
  {
    method: 'GET',
    path: '/assets/:name',
    tag: 'Service',
    summary: 'A static file of the dashboard or the docs, by content-hashed name (cached for a year)',
   
    params: [{ name: 'name', in: 'path', required: true, description: 'file name with its content hash', schema: { type: 'string' } }],
    responses: { 200: { description: 'the file (JavaScript or CSS)', media: 'text/javascript', headers: { 'cache-control': 'public, max-age=31536000, immutable' } }, 404: notFound },
  },

  {
    method: 'POST',
    path: '/api/v1/:table/batch',
    tag: 'Batch',
    summary: 'Insert 1 to 1000 rows in one transaction',
   
    params: [
      { name: 'table', in: 'path', required: true, description: 'the table', schema: { type: 'string', enum: ['departments', 'jobs', 'hired-employees'] } },
      { name: 'mode', in: 'query', description: 'partial inserts the valid rows; atomic inserts nothing when any row is rejected', schema: { type: 'string', enum: ['partial', 'atomic'], default: 'partial' } },
    ],
    body: { json: 'BatchRows', csv: true, description: 'a JSON array of row objects, or CSV records without a header' },
    responses: {
      200: { description: 'the outcome, row by row', json: 'BatchOutcome' },
      400: bad,
      404: notFound,
      413: { description: 'body over the size limit', json: 'ErrorBody' },
      415: { description: 'neither JSON nor CSV', json: 'ErrorBody' },
      422: { description: 'atomic mode and a row was rejected: nothing written', json: 'BatchOutcome' },
    },
  },
  {
    method: 'PUT',
    path: '/api/v1/files/:name',
    tag: 'Files',
    summary: 'Store a CSV file in the Blob container and queue its load',
   
    params: [{ name: 'name', in: 'path', required: true, description: 'departments*.csv, jobs*.csv or hired_employees*.csv', schema: { type: 'string' } }],
    body: { csv: true, binary: true, description: 'the file, streamed' },
    responses: { 202: { description: 'stored; the task that loads it', json: 'UploadAccepted' }, 400: bad },
  },
  { method: 'GET', path: '/api/v1/tasks', tag: 'Tasks', summary: 'Tasks, newest first', params: [limit, offset], responses: { 200: { description: 'a page of tasks', json: 'TaskList' }, 400: bad } },
  { method: 'GET', path: '/api/v1/tasks/:id', tag: 'Tasks', summary: 'One task: status, progress, pace, summary, timings, error', params: [taskId], responses: { 200: { description: 'the task', json: 'TaskView' }, 400: bad, 404: notFound } },
  {
    method: 'GET',
    path: '/api/v1/tasks/:id/rejects',
    tag: 'Tasks',
    summary: 'The records a task rejected, paged; all of them as CSV',
   
    params: [taskId, limit, offset, format],
    responses: { 200: { description: 'a page of rejects, or all as CSV', json: 'RejectPage', csv: true }, 400: bad, 404: notFound },
  },
  {
    method: 'POST',
    path: '/api/v1/tasks/:id/retry',
    tag: 'Tasks',
    summary: 'Queue a failed task again; it resumes from its checkpoint',
   
    params: [taskId],
    responses: { 202: { description: 'queued again', json: 'TaskView' }, 404: notFound, 409: { description: 'the task is not failed', json: 'ErrorBody' } },
  },
  { method: 'GET', path: '/api/v1/reports/:name', tag: 'Reports', summary: 'A hiring report', params: [reportName, year, format], responses: reportResponses('Report') },

  {
    method: 'GET',
    path: '/api/v1/keys',
    tag: 'Keys',
    summary: 'Every API key: name, role, creation, last use and revocation times (never the key or its hash)',
   
    responses: { 200: { description: 'the keys, revoked ones included', json: 'ApiKeyList' } },
  },
  {
    method: 'POST',
    path: '/api/v1/keys',
    tag: 'Keys',
    summary: 'Create a key; the answer holds the key, shown this once',
   
    body: { json: 'ApiKeyRequest', description: 'the name (never reused) and the role of the new key' },
    responses: {
      201: { description: 'created: the key and its record', json: 'ApiKeyCreated', headers: { 'cache-control': 'no-store' } },
      400: bad,
      409: { description: 'a key with this name exists, revoked or not (CONFLICT)', json: 'ErrorBody' },
      413: { description: 'body over 4 KiB (BODY_TOO_LARGE)', json: 'ErrorBody' },
      415: { description: 'not application/json (UNSUPPORTED_MEDIA_TYPE)', json: 'ErrorBody' },
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/keys/:name',
    tag: 'Keys',
    summary: 'Revoke a key; every process refuses it within 5 seconds. Its name stays taken',
   
    params: [{ name: 'name', in: 'path', required: true, description: 'the key name', schema: { type: 'string' } }],
    responses: { 200: { description: 'the revoked key', json: 'ApiKey' }, 404: notFound },
  },

  { method: 'POST', path: '/departments', tag: 'Original API', summary: 'Load departments.csv from Blob and wait for it', responses: legacyLoad },
  { method: 'POST', path: '/jobs', tag: 'Original API', summary: 'Load jobs.csv from Blob and wait for it', responses: legacyLoad },
  {
    method: 'POST',
    path: '/upload-files',
    tag: 'Original API',
    summary: 'Load both dimension files, then hired_employees.csv page by page',
   
    params: [sliceStart, sliceLimit],
    responses: { ...legacyLoad, 200: { description: 'one summary per file, and per page of hired_employees', json: 'LegacyUploadFiles' }, 400: bad },
  },
  {
    method: 'POST',
    path: '/upload-hired-employees',
    tag: 'Original API',
    summary: 'Load rows start..start+limit-1 of hired_employees.csv in the background',
   
    params: [sliceStart, sliceLimit],
    responses: { 202: { description: 'accepted', json: 'LegacySliceAccepted' }, 400: bad, 404: notFound },
  },
  { method: 'GET', path: '/task-list', tag: 'Original API', summary: 'Finished tasks, Celery style', responses: { 200: { description: 'finished tasks', json: 'LegacyTaskList' } } },
  { method: 'GET', path: '/task-status/:id', tag: 'Original API', summary: 'The task view of /api/v1/tasks/{id}', params: [taskId], responses: { 200: { description: 'the task', json: 'TaskView' }, 400: bad, 404: notFound } },
  { method: 'GET', path: '/report/:name', tag: 'Original API', summary: 'A hiring report (same as /api/v1/reports/{name})', params: [reportName, year, format], responses: reportResponses('Report') },
];
