/**
 * Cloudflare Workers entry point (see wrangler.toml): the same Hono app, on PostgreSQL (through
 * `nodejs_compat` sockets, e.g. behind Hyperdrive) and Azure Blob Storage. Only the HTTP side runs at
 * the edge; the loader runs as a Node process next to the database.
 */
import type { Hono } from 'hono';
import { createApp } from '../app.ts';
import { openPostgresDatabase } from '../../shared/adapters/db/postgres.database.ts';
import { openAzureBlobStore } from '../../shared/adapters/blob/azure-blob.store.ts';
import { consoleLogger } from '../../shared/platform/logger.ts';

export interface Env {
  DATABASE_URL: string;
  AZURE_STORAGE_CONNECTION_STRING: string;
  AZURE_BLOB_CONTAINER?: string;
  /** `true`: the two reports are readable without a key. Every other route always needs one here. */
  HIREDB_PUBLIC_REPORTS?: string;
}

let app: Promise<Hono> | null = null;

async function build(env: Env): Promise<Hono> {
  const publicReports = env.HIREDB_PUBLIC_REPORTS ?? 'false';
  if (publicReports !== 'true' && publicReports !== 'false') throw new Error(`HIREDB_PUBLIC_REPORTS="${publicReports}" must be true or false`);
  const db = await openPostgresDatabase(env.DATABASE_URL, { poolSize: 1 });
  const blob = await openAzureBlobStore({
    connectionString: env.AZURE_STORAGE_CONNECTION_STRING,
    container: env.AZURE_BLOB_CONTAINER ?? 'hiredb',
  });
  return createApp({
    db,
    blob,
    log: consoleLogger({ write: (s: string) => console.log(s.trimEnd()) }),
    access: { keysRequired: true, publicReports: publicReports === 'true' },
  });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    app ??= build(env).catch((e) => {
      app = null; // try again on the next request
      throw e;
    });
    return (await app).fetch(request, env);
  },
};
