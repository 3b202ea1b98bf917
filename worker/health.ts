import type { BlobStore } from '../shared/ports/blob-store.port.ts';
import type { Database } from '../shared/ports/database.port.ts';

/** How long /health waits for each part before calling it down. */
export const HEALTH_PROBE_MS = 3_000;

export interface Health {
  status: 'ok' | 'unavailable';
  /** The database's kind (sqlite, postgres, mssql) when it answers, "down" when not. */
  database: string;
  blob: 'ok' | 'down';
}

/** Resolves true when `probe` succeeds within `ms`, false when it fails or takes longer. */
async function answers(probe: () => Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([probe().then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Probes the database (one small query) and the Blob store (a listing) at the same time, each bounded.
 * Names only the parts and their kind: no path or connection string reaches the answer.
 */
export async function checkHealth(db: Database, blob: BlobStore, ms = HEALTH_PROBE_MS): Promise<Health> {
  const [database, store] = await Promise.all([answers(() => db.dataVersion(), ms), answers(() => blob.list(), ms)]);
  return {
    status: database && store ? 'ok' : 'unavailable',
    database: database ? db.dialect : 'down',
    blob: store ? 'ok' : 'down',
  };
}
