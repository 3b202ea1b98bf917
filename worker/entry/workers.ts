/**
 * Cloudflare Workers (workerd) entry point, bundled by `npm run edge:build` (see build-edge.ts): the same
 * Hono app on PostgreSQL (through `nodejs_compat` sockets, e.g. behind Hyperdrive) and Azure Blob Storage.
 *
 * On workerd a socket belongs to the request that opened it, so each request gets its own connection
 * (opened on first use, closed once the answer is sent, in `ctx.waitUntil`), while the app, the Blob
 * client, the API key cache and the report cache live for the whole isolate. The `scheduled` handler
 * (a Cron Trigger) polls the Blob container and queues new file versions; loading them is the work of
 * `hiredb loader` processes next to the database.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ExecutionContext, Hono } from 'hono';
import { createApp } from '../app.ts';
import { openPostgresDatabase, type PostgresDatabase } from '../../shared/adapters/db/postgres.database.ts';
import { toDomainError } from '../../shared/adapters/db/postgres-errors.ts';
import { openAzureBlobStore } from '../../shared/adapters/blob/azure-blob.store.ts';
import type { BlobStore } from '../../shared/ports/blob-store.port.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { consoleLogger } from '../../shared/platform/logger.ts';
import { queueNewFiles } from '../../shared/service/queue-new-files.ts';
import { forwardingDatabase, lazyDatabase } from './request-database.ts';
import { edgeSettings, type EdgeSettings, type Env } from './edge-settings.ts';

export type { Env } from './edge-settings.ts';

interface ScheduledController {
  readonly cron: string;
  readonly scheduledTime: number;
}

const log = consoleLogger({ write: (s: string) => console.log(s.trimEnd()) });

/** The connection of the request (or scheduled event) being served. */
const connection = new AsyncLocalStorage<Database>();
const currentDatabase = (): Database => {
  const db = connection.getStore();
  if (!db) throw new Error('no database connection outside a request');
  return db;
};

interface Isolate {
  settings: EdgeSettings;
  app: Hono;
  blob: BlobStore;
}

let isolate: Promise<Isolate> | null = null;
/** Set once a connection found every migration applied; until then each new connection checks. */
let migrated = false;

async function startIsolate(env: Env): Promise<Isolate> {
  const settings = edgeSettings(env);
  const blob = await openAzureBlobStore({ connectionString: settings.azureConnectionString, container: settings.container });
  // Built once per isolate, so its report cache and API key cache serve every request.
  const db = forwardingDatabase('postgres', currentDatabase);
  const app = createApp({
    db,
    blob,
    log,
    access: { keysRequired: true, publicReports: settings.publicReports },
  });
  return { settings, app, blob };
}

function isolateFor(env: Env): Promise<Isolate> {
  isolate ??= startIsolate(env).catch((e) => {
    isolate = null; // tried again on the next request
    throw e;
  });
  return isolate;
}

/**
 * A connection for one request or event, opened on first use. The edge never migrates: the database is
 * migrated by `hiredb migrate` (or any `hiredb serve` / `hiredb loader` start-up); a database that is
 * behind the bundled migrations is refused with a message saying so.
 */
function requestConnection(settings: EdgeSettings) {
  return lazyDatabase('postgres', async (): Promise<PostgresDatabase> => {
    let db: PostgresDatabase;
    try {
      db = await openPostgresDatabase(settings.databaseUrl, { poolSize: 1 });
    } catch (err) {
      throw toDomainError(err); // a database that cannot be reached answers 503, to be tried again
    }
    if (migrated) return db;
    try {
      const pending = await db.pendingMigrations();
      if (pending.length > 0) throw new NotMigratedError(pending);
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    migrated = true;
    return db;
  });
}

class NotMigratedError extends Error {
  constructor(pending: string[]) {
    super(`the database lacks migrations ${pending.join(', ')}: run \`hiredb migrate\` with this DATABASE_URL before serving from the edge`);
    this.name = 'NotMigratedError';
  }
}

/** The answer of a worker that cannot serve at all (settings or database schema): says why, names no secret. */
function unavailable(err: unknown): Response {
  const message = err instanceof Error ? err.message : String(err);
  log.error('the edge worker cannot serve', { error: message });
  return Response.json({ error: { code: 'INTERNAL', message } }, { status: 500 });
}

/** Calls `done` once the response body has been sent (or dropped); the response the client gets streams as before. */
function whenSent(response: Response, done: () => Promise<void>, ctx: ExecutionContext): Response {
  if (!response.body) {
    ctx.waitUntil(done());
    return response;
  }
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  ctx.waitUntil(response.body.pipeTo(writable).catch(() => {}).then(done));
  return new Response(readable, response);
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    let edge: Isolate;
    try {
      edge = await isolateFor(env);
    } catch (err) {
      return unavailable(err);
    }
    const conn = requestConnection(edge.settings);
    const release = () => conn.release().catch((e) => log.error('closing a request connection failed', { error: String(e) }));
    let response: Response;
    try {
      response = await connection.run(conn.db, () => edge.app.fetch(request, env, ctx));
    } catch (err) {
      await release();
      throw err;
    }
    if (conn.failure() instanceof NotMigratedError) {
      await release();
      return unavailable(conn.failure());
    }
    return whenSent(response, release, ctx);
  },

  /** Cron Trigger: queues the file versions the Blob container holds that have no task yet. */
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const edge = await isolateFor(env);
    const conn = requestConnection(edge.settings);
    try {
      const created = await queueNewFiles(conn.db, edge.blob, { log });
      log.info('scheduled poll of the Blob container', { cron: controller.cron, blob: edge.blob.describe(), tasks_queued: created });
    } finally {
      await conn.release();
    }
  },
};
