/** The tedious driver behind the SqlExecutor port: a small pool of SQL Server connections. */
import { Connection, ConnectionError, Request, TYPES } from 'tedious';
import { parseMssqlConnection, type MssqlConfig } from './mssql-connection.ts';
import type { BulkColumn, SqlExecutor, SqlParam, SqlParams, SqlRow } from './mssql-executor.ts';

export interface MssqlOptions {
  /** Connections kept open (default 4); each runs one request at a time. */
  poolSize?: number;
  /** Milliseconds one statement or bulk load may take (default 120000). */
  requestTimeoutMs?: number;
}

/** A pooled tedious executor; fails here when the server cannot be reached or refuses the login. */
export async function openMssqlExecutor(connection: string, opts: MssqlOptions = {}): Promise<SqlExecutor> {
  const exec = createTediousExecutor(parseMssqlConnection(connection), opts);
  try {
    await exec.query('SELECT 1 AS ok;');
  } catch (e) {
    await exec.close();
    throw e;
  }
  return exec;
}

const TEDIOUS_TYPE = {
  Int: TYPES.Int,
  BigInt: TYPES.BigInt,
  NVarChar: TYPES.NVarChar,
  DateTime2: TYPES.DateTime2,
} as const;

interface Session {
  conn: Connection;
  broken: boolean;
  /** The last request queued on this connection: the next one starts after it settles. */
  tail: Promise<unknown>;
}

interface ColumnValue {
  value: unknown;
  metadata: { colName: string };
}

/** Runs `op` after every earlier operation on the session, so a connection never has two requests at once. */
function serial<T>(s: Session, op: () => Promise<T>): Promise<T> {
  const run = s.tail.then(op, op);
  s.tail = run.catch(() => undefined);
  return run;
}

function paramOptions(p: SqlParam) {
  if (p.type === 'NVarChar') return { length: typeof p.value === 'string' && p.value.length > 4000 ? Infinity : 4000 };
  if (p.type === 'DateTime2') return { scale: 7 };
  return undefined;
}

function runQuery(s: Session, sql: string, params: SqlParams): Promise<SqlRow[]> {
  return new Promise((resolve, reject) => {
    const rows: SqlRow[] = [];
    const request = new Request(sql, (err) => {
      if (err) {
        if (err instanceof ConnectionError) s.broken = true;
        reject(err);
      } else resolve(rows);
    });
    const entries = Object.entries(params);
    for (const [name, p] of entries) request.addParameter(name, TEDIOUS_TYPE[p.type], p.value, paramOptions(p));
    request.on('row', (columns: ColumnValue[]) => {
      const row: SqlRow = {};
      for (const c of columns) row[c.metadata.colName] = c.value;
      rows.push(row);
    });
    // Without parameters: a plain batch, whose #temp tables outlive it (sp_executesql would drop them).
    if (entries.length === 0) s.conn.execSqlBatch(request);
    else s.conn.execSql(request);
  });
}

function runBulkLoad(s: Session, table: string, columns: BulkColumn[], rows: unknown[][]): Promise<void> {
  return new Promise((resolve, reject) => {
    const bulk = s.conn.newBulkLoad(table, { keepNulls: true }, (err) => {
      if (err) {
        if (err instanceof ConnectionError) s.broken = true;
        reject(err);
      } else resolve();
    });
    for (const c of columns) {
      bulk.addColumn(c.name, TEDIOUS_TYPE[c.type], { nullable: c.nullable, length: c.length, scale: c.scale });
    }
    s.conn.execBulkLoad(bulk, rows);
  });
}

function txStep(s: Session, step: 'begin' | 'commit' | 'rollback'): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null | undefined) => (err ? reject(err) : resolve());
    if (step === 'begin') s.conn.beginTransaction(done);
    else if (step === 'commit') s.conn.commitTransaction(done);
    else s.conn.rollbackTransaction(done);
  });
}

function openSession(config: MssqlConfig, requestTimeout: number): Promise<Session> {
  return new Promise((resolve, reject) => {
    const conn = new Connection({ ...config, options: { ...config.options, appName: 'hiredb', requestTimeout } });
    const session: Session = { conn, broken: false, tail: Promise.resolve() };
    conn.on('error', () => (session.broken = true));
    conn.on('end', () => (session.broken = true));
    conn.connect((err) => (err ? reject(err) : resolve(session)));
  });
}

function closeSession(s: Session): Promise<void> {
  if (s.conn.closed) return Promise.resolve();
  return new Promise((resolve) => {
    s.conn.once('end', () => resolve());
    s.conn.close();
  });
}

/** A small pool of tedious connections behind the SqlExecutor port. */
export function createTediousExecutor(config: MssqlConfig, opts: MssqlOptions = {}): SqlExecutor {
  const size = Math.max(1, opts.poolSize ?? 4);
  const requestTimeout = opts.requestTimeoutMs ?? 120_000;
  const idle: Session[] = [];
  const waiting: Array<() => void> = [];
  let permits = size;
  let closed = false;

  async function acquire(): Promise<Session> {
    if (closed) throw new Error('the SQL Server connection pool is closed');
    if (permits > 0) permits--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      if (closed) throw new Error('the SQL Server connection pool is closed');
      for (let s = idle.pop(); s; s = idle.pop()) {
        if (!s.broken) return s;
        void closeSession(s);
      }
      return await openSession(config, requestTimeout);
    } catch (e) {
      handBack();
      throw e;
    }
  }
  function handBack() {
    const next = waiting.shift();
    if (next) next();
    else permits++;
  }
  function release(s: Session) {
    if (s.broken || closed) void closeSession(s);
    else idle.push(s);
    handBack();
  }
  async function withSession<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const s = await acquire();
    try {
      return await fn(s);
    } finally {
      release(s);
    }
  }

  function onSession(s: Session, isOpen: () => boolean): SqlExecutor {
    const check = () => {
      if (!isOpen()) throw new Error('transaction already ended');
    };
    const tx: SqlExecutor = {
      query: (sql, params = {}) => (check(), serial(s, () => runQuery(s, sql, params))),
      bulkLoad: (table, columns, rows) => (check(), serial(s, () => runBulkLoad(s, table, columns, rows))),
      transaction: (fn) => fn(tx), // nested: part of the enclosing transaction
      close: async () => {
        throw new Error('close the executor, not a transaction');
      },
    };
    return tx;
  }

  return {
    query: (sql, params = {}) => withSession((s) => serial(s, () => runQuery(s, sql, params))),
    bulkLoad: (table, columns, rows) => withSession((s) => serial(s, () => runBulkLoad(s, table, columns, rows))),
    transaction: (fn) =>
      withSession(async (s) => {
        await serial(s, () => txStep(s, 'begin'));
        let open = true;
        try {
          const result = await fn(onSession(s, () => open));
          await serial(s, () => txStep(s, 'commit'));
          return result;
        } catch (e) {
          // The server may have ended the transaction already (deadlock victim, severe error): a
          // session whose rollback fails is not reused.
          await serial(s, () => txStep(s, 'rollback')).catch(() => (s.broken = true));
          throw e;
        } finally {
          open = false;
        }
      }),
    async close() {
      closed = true;
      await Promise.all(idle.splice(0).map(closeSession));
    },
  };
}
