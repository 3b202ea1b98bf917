import * as v from 'valibot';
import { validateCronExpression } from 'cron';
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
  loadConcurrency: number;
  leaseMs: number;
  /** Encoding of Blob files without a byte order mark. */
  loadEncoding: Encoding;
  maxRecordBytes: number;
}

const int = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const cronSchedule = v.pipe(
  v.string(),
  v.check((s) => validateCronExpression(s).valid, 'must be a cron expression with seconds, e.g. "*/5 * * * * *"'),
);

const databaseUrl = v.pipe(
  v.string(),
  v.regex(/^(sqlite:|postgres(ql)?:\/\/|mssql:\/\/)/, 'must start with sqlite:, postgres:// or mssql://'),
);

const SCHEMA = {
  DATABASE_URL: databaseUrl,
  BLOB_DIR: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  PORT: int(0, 65535),
  HOST: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  LOAD_SCHEDULE: cronSchedule,
  BATCH_SIZE: int(1, 100_000),
  LOAD_CONCURRENCY: int(1, 64),
  LOAD_LEASE_MS: int(1000, 3_600_000),
  LOAD_ENCODING: v.picklist(ENCODINGS, `must be one of ${ENCODINGS.join(', ')}`),
  MAX_RECORD_BYTES: int(1024, 64 << 20),
  AZURE_BLOB_CONTAINER: v.pipe(v.string(), v.regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid container name')),
} as const;

const DEFAULTS: Record<keyof typeof SCHEMA, string> = {
  DATABASE_URL: 'sqlite:var/hiredb.sqlite',
  BLOB_DIR: 'var/blob',
  PORT: '8787',
  HOST: '127.0.0.1',
  LOAD_SCHEDULE: '*/5 * * * * *',
  BATCH_SIZE: '1000',
  LOAD_CONCURRENCY: '2',
  LOAD_LEASE_MS: '30000',
  AZURE_BLOB_CONTAINER: 'hiredb',
  LOAD_ENCODING: 'utf-8',
  MAX_RECORD_BYTES: '1048576',
};

/** A URL's password never reaches a log or an error message. */
const withoutPassword = (value: string) => value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');

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
    loadConcurrency: get('LOAD_CONCURRENCY') as number,
    leaseMs: get('LOAD_LEASE_MS') as number,
    loadEncoding: get('LOAD_ENCODING') as Encoding,
    maxRecordBytes: get('MAX_RECORD_BYTES') as number,
  };
}
