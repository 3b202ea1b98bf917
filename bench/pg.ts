/**
 * PostgreSQL housekeeping for the benchmark (not measured): fresh schemas that are always dropped,
 * row counts, CHECKPOINT before a timed load. Connection: PG_BENCH_URL, default
 * postgres://postgres@127.0.0.1:5432/test (trust auth).
 */
import pg from 'pg';
import { onCleanup } from './cleanup.ts';

export const PG_URL = process.env.PG_BENCH_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function pgQuery<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function pgAvailable(): Promise<string | null> {
  try {
    const [row] = await pgQuery<{ v: string }>("SELECT current_setting('server_version') AS v");
    return row.v;
  } catch {
    return null;
  }
}

/** The connection URL HireDB gets: the bench database, working in `schema`. */
export function hiredbPgUrl(schema: string): string {
  const url = new URL(PG_URL);
  url.search = '';
  return `${url.toString()}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** libpq environment for psql in `schema`. */
export function psqlEnv(schema: string): NodeJS.ProcessEnv {
  const url = new URL(PG_URL);
  return {
    ...process.env,
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username) || 'postgres',
    PGDATABASE: url.pathname.slice(1) || 'postgres',
    PGOPTIONS: `-c search_path=${schema} -c TimeZone=UTC`,
    ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}),
  };
}

let counter = 0;

/** A new empty schema, dropped (CASCADE) when the returned function is called or the run ends. */
export async function freshSchema(label: string, create = true): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `hiredb_bench_${label}_${process.pid}_${++counter}`;
  if (create) await pgQuery(`CREATE SCHEMA ${schema}`);
  const drop = onCleanup(`schema ${schema}`, async () => {
    await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
  return { schema, drop };
}

export async function countRows(schema: string, table: string): Promise<number> {
  const [row] = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.${table}`);
  return Number(row.n);
}

/** Flushes dirty buffers so one timed load does not pay for the previous one's writes. */
export async function checkpoint(): Promise<void> {
  await pgQuery('CHECKPOINT').catch(() => {});
}
