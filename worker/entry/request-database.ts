import type { Database } from '../../shared/ports/database.port.ts';

type Part = 'tasks' | 'reports' | 'keys';
const PARTS: readonly Part[] = ['tasks', 'reports', 'keys'];

/** Forwards every call of `db[part]` to the database `current()` answers at the time of the call. */
function forwardPart<K extends Part>(current: () => Database, part: K): Database[K] {
  return new Proxy({} as Database[K], {
    get: (_target, method) => (...args: unknown[]) => {
      const target = current()[part] as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>;
      return target[method](...args);
    },
  });
}

/**
 * A Database whose every call goes to `current()`, looked up when the call is made: one app, built once,
 * works on whichever connection belongs to the request being served.
 */
export function forwardingDatabase(dialect: Database['dialect'], current: () => Database): Database {
  const parts = Object.fromEntries(PARTS.map((p) => [p, forwardPart(current, p)])) as Pick<Database, Part>;
  return {
    dialect,
    migrate: () => current().migrate(),
    close: () => current().close(),
    insertBatch: (table, rows, checkpoint) => current().insertBatch(table, rows, checkpoint),
    dimensionIds: (table) => current().dimensionIds(table),
    dataVersion: () => current().dataVersion(),
    ...parts,
  };
}

/**
 * A Database opened on first use: a request that never touches the database (the dashboard, an asset)
 * opens no connection. `release()` closes it if it was opened, and may be called once the answer is sent.
 */
export function lazyDatabase(
  dialect: Database['dialect'],
  open: () => Promise<Database>,
): { db: Database; release(): Promise<void>; failure(): unknown } {
  let opened: Promise<Database> | null = null;
  let failed: unknown;
  const get = () =>
    (opened ??= open().catch((err) => {
      failed = err;
      throw err;
    }));
  const later = (call: (db: Database) => Promise<unknown>) => get().then(call);
  const part = <K extends Part>(name: K): Database[K] =>
    new Proxy({} as Database[K], {
      get: (_target, method) => (...args: unknown[]) =>
        later((db) => (db[name] as unknown as Record<PropertyKey, (...a: unknown[]) => Promise<unknown>>)[method](...args)),
    });
  const db = {
    dialect,
    migrate: () => later((d) => d.migrate()),
    close: () => later((d) => d.close()),
    insertBatch: (table, rows, checkpoint) => get().then((d) => d.insertBatch(table, rows, checkpoint)),
    dimensionIds: (table) => get().then((d) => d.dimensionIds(table)),
    dataVersion: () => get().then((d) => d.dataVersion()),
    tasks: part('tasks'),
    reports: part('reports'),
    keys: part('keys'),
  } as Database;
  return {
    db,
    failure: () => failed,
    release: async () => {
      if (!opened) return;
      const handle = await opened.catch(() => null);
      await handle?.close();
    },
  };
}
