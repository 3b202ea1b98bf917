/**
 * A fresh world for one runtime's smoke run: its own PostgreSQL database (migrated), an Azurite with an
 * empty container, API keys of every role and failed tasks to retry. The runtime under test gets `env`.
 */
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import pg from 'pg';
import { openPostgresDatabase } from '../../shared/adapters/db/postgres.database.ts';
import { createApiKey } from '../../shared/service/api-keys.ts';
import { enqueueFile } from '../../shared/service/enqueue-file.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { PG_TEST_URL } from '../helpers/databases.ts';
import { startAzurite, type Azurite } from '../helpers/azurite.ts';

export interface SmokeKeys {
  admin: string;
  ingest: string;
  read: string;
}

export interface SmokeFixture {
  /** The settings the runtime under test starts with (DATABASE_URL, AZURE_*, HIREDB_PUBLIC_REPORTS). */
  env: Record<string, string>;
  keys: SmokeKeys;
  /** Failed tasks, one per round of runSmoke, each retried once. */
  failedTaskIds: number[];
  /** Drops the database and stops Azurite. */
  cleanup(): Promise<void>;
}

const CONTAINER = 'smoke';
const SETUP_OWNER = 'smoke-setup';

/** A PostgreSQL URL naming another database on the same server. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Migrates a database and gives it API keys of every role and `rounds` failed tasks to retry. */
export async function seedSmokeDatabase(db: Database, rounds = DEFAULT_ROUNDS): Promise<Pick<SmokeFixture, 'keys' | 'failedTaskIds'>> {
  await db.migrate();
  const now = Date.now();
  const keys: SmokeKeys = {
    admin: (await createApiKey(db.keys, { name: 'smoke-admin', role: 'admin' }, now)).key,
    ingest: (await createApiKey(db.keys, { name: 'smoke-ingest', role: 'ingest' }, now)).key,
    read: (await createApiKey(db.keys, { name: 'smoke-read', role: 'read' }, now)).key,
  };
  const failedTaskIds: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    const entry = { name: `departments-failed-${i}.csv`, version: `v${i}`, size: 10 };
    const { task } = await enqueueFile(db, entry, undefined, { lease: { owner: SETUP_OWNER, expiresAt: now + 60_000 } });
    await db.tasks.finish(task.id, SETUP_OWNER, { error: 'failed on purpose, for the smoke retry' }, now);
    failedTaskIds.push(task.id);
  }
  return { keys, failedTaskIds };
}

/**
 * Prepares the database and Blob container a runtime is smoke-tested on. `rounds` is how many failed
 * tasks to make (runSmoke retries one per round).
 */
export async function prepareSmokeFixture(opts: { rounds?: number } = {}): Promise<SmokeFixture> {
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  const name = `hiredb_smoke_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_TEST_URL });
  await admin.connect();
  let azurite: Azurite | null = null;
  const cleanup = async () => {
    await azurite?.stop();
    const dropper = new pg.Client({ connectionString: PG_TEST_URL });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  };
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  try {
    const databaseUrl = withDatabase(PG_TEST_URL, name);
    const db = await openPostgresDatabase(databaseUrl, { poolSize: 1 });
    let seeded: Pick<SmokeFixture, 'keys' | 'failedTaskIds'>;
    try {
      seeded = await seedSmokeDatabase(db, rounds);
    } finally {
      await db.close();
    }

    azurite = await startAzurite();
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER).create();
    return {
      env: {
        DATABASE_URL: databaseUrl,
        AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
        AZURE_BLOB_CONTAINER: CONTAINER,
        HIREDB_PUBLIC_REPORTS: 'false',
      },
      ...seeded,
      cleanup,
    };
  } catch (err) {
    await cleanup().catch(() => {});
    throw err;
  }
}

/** Rounds of the smoke list per runtime: 3 rounds of its requests make well over 30 in sequence. */
export const DEFAULT_ROUNDS = 3;
