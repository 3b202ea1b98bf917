import { createRequire } from 'node:module';
import * as v from 'valibot';
import { ENCODINGS, type Encoding } from '../csv/decode.ts';

/** Everything HireDB reads from the environment, with its defaults. */
export interface Config {
  databaseUrl: string;
  blobDir: string;
  azureStorageConnectionString: string | null;
  azureBlobContainer: string;
  port: number;
  host: string;
  loadSchedule: string;
  batchSize: number;
  /** A file load's transaction: at most this many records (LOAD_COMMIT_ROWS) or this long open (LOAD_COMMIT_MS). */
  commit: { rows: number; ms: number };
  loadConcurrency: number;
  leaseMs: number;
  legacyWaitMs: number;
  /** Tries of a database call that failed transiently, the first included. */
  retryAttempts: number;
  /** Bounds on every database call: opening a connection, and one statement. */
  databaseTimeouts: DatabaseTimeouts;
  /** HIREDB_AUTH: `off` lets `serve` run without API keys on a non-loopback HOST. */
  auth: 'auto' | 'off';
  /** HIREDB_PUBLIC_REPORTS: the two reports are readable without a key. */
  publicReports: boolean;
  /** Encoding of Blob files without a byte order mark. */
  loadEncoding: Encoding;
  maxRecordBytes: number;
  /** Origins allowed for CORS and for cross-site writes (HIREDB_CORS_ORIGINS). */
  corsOrigins: string[];
  /** Host names served besides loopback names (HIREDB_ALLOWED_HOSTS). */
  allowedHosts: string[];
  maxBatchBytes: number;
  maxUploadBytes: number;
  headersTimeoutMs: number;
  bodyMinBytesPerSecond: number;
  bodyRateWindowMs: number;
}

export interface DatabaseTimeouts {
  connectMs: number;
  statementMs: number;
}

const int = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

/**
 * The default schedule is known to be valid; any other is checked by cron itself, which is loaded only
 * then: cron and its date library take ~35 ms to load and first use, which every command would pay.
 */
const validCron = (s: string): boolean => {
  if (s === DEFAULTS.LOAD_SCHEDULE) return true;
  const { validateCronExpression } = createRequire(import.meta.url)('cron') as typeof import('cron');
  return validateCronExpression(s).valid;
};

const cronSchedule = v.pipe(v.string(), v.check(validCron, 'must be a cron expression with seconds, e.g. "*/5 * * * * *"'));

const databaseUrl = v.pipe(
  v.string(),
  v.regex(/^(sqlite:|postgres(ql)?:\/\/|mssql:\/\/|sqlserver:\/\/)/, 'must start with sqlite:, postgres://, mssql:// or sqlserver://'),
  v.check((url) => url !== 'sqlite:', 'names no file: use sqlite:<path>, e.g. sqlite:var/hiredb.sqlite'),
);

const list = (item: RegExp, what: string) =>
  v.pipe(
    v.string(),
    v.transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
    v.check((xs) => xs.every((x) => item.test(x)), `must be a comma-separated list of ${what}`),
  );

const SCHEMA = {
  DATABASE_URL: databaseUrl,
  BLOB_DIR: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  PORT: int(0, 65535),
  HOST: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  LOAD_SCHEDULE: cronSchedule,
  BATCH_SIZE: int(1, 100_000),
  LOAD_COMMIT_ROWS: int(1, 1_000_000),
  LOAD_COMMIT_MS: int(1, 3_600_000),
  LOAD_CONCURRENCY: int(1, 64),
  LOAD_LEASE_MS: int(1000, 3_600_000),
  LEGACY_WAIT_MS: int(0, 3_600_000),
  HIREDB_RETRY_ATTEMPTS: int(1, 100),
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 600_000),
  DATABASE_STATEMENT_TIMEOUT_MS: int(100, 86_400_000),
  LOAD_ENCODING: v.picklist(ENCODINGS, `must be one of ${ENCODINGS.join(', ')}`),
  MAX_RECORD_BYTES: int(1024, 64 << 20),
  AZURE_BLOB_CONTAINER: v.pipe(v.string(), v.regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid container name')),
  HIREDB_AUTH: v.picklist(['auto', 'off'], 'must be auto or off'),
  HIREDB_PUBLIC_REPORTS: v.pipe(v.picklist(['true', 'false'], 'must be true or false'), v.transform((s) => s === 'true')),
  HIREDB_CORS_ORIGINS: list(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-fA-F:.]+\](:\d{1,5})?$/, 'origins like https://bi.example.com'),
  HIREDB_ALLOWED_HOSTS: list(/^([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])(:\d{1,5})?$/, 'host names like hiredb.example.com'),
  HIREDB_MAX_BATCH_BYTES: int(1, 1024 * 1024 * 1024),
  HIREDB_MAX_UPLOAD_BYTES: int(1, Number.MAX_SAFE_INTEGER),
  HIREDB_HEADERS_TIMEOUT_MS: int(100, 600_000),
  HIREDB_BODY_MIN_RATE: int(0, 1024 * 1024 * 1024),
  HIREDB_BODY_RATE_WINDOW_MS: int(100, 600_000),
} as const;

const DEFAULTS: Record<keyof typeof SCHEMA, string> = {
  DATABASE_URL: 'sqlite:var/hiredb.sqlite',
  BLOB_DIR: 'var/blob',
  PORT: '8787',
  HOST: '127.0.0.1',
  LOAD_SCHEDULE: '*/5 * * * * *',
  BATCH_SIZE: '1000',
  LOAD_COMMIT_ROWS: '10000', // as DEFAULT_COMMIT_LIMITS (commit-units.ts)
  LOAD_COMMIT_MS: '1000',
  LOAD_CONCURRENCY: '2',
  LOAD_LEASE_MS: '30000',
  LEGACY_WAIT_MS: '60000',
  HIREDB_RETRY_ATTEMPTS: '5',
  DATABASE_CONNECT_TIMEOUT_MS: '10000',
  DATABASE_STATEMENT_TIMEOUT_MS: '60000',
  AZURE_BLOB_CONTAINER: 'hiredb',
  HIREDB_AUTH: 'auto',
  HIREDB_PUBLIC_REPORTS: 'false',
  LOAD_ENCODING: 'utf-8',
  MAX_RECORD_BYTES: '1048576',
  HIREDB_CORS_ORIGINS: '',
  HIREDB_ALLOWED_HOSTS: '',
  HIREDB_MAX_BATCH_BYTES: String(4 * 1024 * 1024),
  HIREDB_MAX_UPLOAD_BYTES: String(10 * 1024 * 1024 * 1024),
  HIREDB_HEADERS_TIMEOUT_MS: '30000',
  HIREDB_BODY_MIN_RATE: '1024',
  HIREDB_BODY_RATE_WINDOW_MS: '30000',
};

/** A password, in a URL or a `Password=…` connection string, never reaches a log or an error message. */
const withoutPassword = (value: string) =>
  value
    .replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')
    .replace(/((?:^|;)\s*(?:password|pwd)\s*=\s*)(?:\{(?:[^}]|\}\})*\}|"(?:[^"]|"")*"|'(?:[^']|'')*'|[{"'].*|[^;]*)/gi, '$1***');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the configuration; a bad value throws a ConfigError naming the variable. The Azure SQL
 * connection string of the original deployment is accepted in place of DATABASE_URL.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const get = (name: keyof typeof SCHEMA): unknown => {
    const raw = env[name]?.trim() || DEFAULTS[name];
    const result = v.safeParse(SCHEMA[name], raw);
    if (!result.success) throw new ConfigError(`${name}="${withoutPassword(raw)}" ${result.issues[0].message}`);
    return result.output;
  };
  const azureSql = env.AZURE_SQL_CONNECTION_STRING?.trim();
  return {
    databaseUrl: env.DATABASE_URL?.trim() ? (get('DATABASE_URL') as string) : azureSql || DEFAULTS.DATABASE_URL,
    blobDir: get('BLOB_DIR') as string,
    azureStorageConnectionString: env.AZURE_STORAGE_CONNECTION_STRING?.trim() || null,
    azureBlobContainer: get('AZURE_BLOB_CONTAINER') as string,
    port: get('PORT') as number,
    host: get('HOST') as string,
    loadSchedule: get('LOAD_SCHEDULE') as string,
    batchSize: get('BATCH_SIZE') as number,
    commit: { rows: get('LOAD_COMMIT_ROWS') as number, ms: get('LOAD_COMMIT_MS') as number },
    loadConcurrency: get('LOAD_CONCURRENCY') as number,
    leaseMs: get('LOAD_LEASE_MS') as number,
    legacyWaitMs: get('LEGACY_WAIT_MS') as number,
    retryAttempts: get('HIREDB_RETRY_ATTEMPTS') as number,
    databaseTimeouts: {
      connectMs: get('DATABASE_CONNECT_TIMEOUT_MS') as number,
      statementMs: get('DATABASE_STATEMENT_TIMEOUT_MS') as number,
    },
    auth: get('HIREDB_AUTH') as Config['auth'],
    publicReports: get('HIREDB_PUBLIC_REPORTS') as boolean,
    loadEncoding: get('LOAD_ENCODING') as Encoding,
    maxRecordBytes: get('MAX_RECORD_BYTES') as number,
    corsOrigins: get('HIREDB_CORS_ORIGINS') as string[],
    allowedHosts: get('HIREDB_ALLOWED_HOSTS') as string[],
    maxBatchBytes: get('HIREDB_MAX_BATCH_BYTES') as number,
    maxUploadBytes: get('HIREDB_MAX_UPLOAD_BYTES') as number,
    headersTimeoutMs: get('HIREDB_HEADERS_TIMEOUT_MS') as number,
    bodyMinBytesPerSecond: get('HIREDB_BODY_MIN_RATE') as number,
    bodyRateWindowMs: get('HIREDB_BODY_RATE_WINDOW_MS') as number,
  };
}
