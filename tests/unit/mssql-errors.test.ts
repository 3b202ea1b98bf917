import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import mssql from 'mssql';
import { TimeoutError } from 'tarn';
import { RequestError as TdsRequestError, type Connection } from 'tedious';
import { afterAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../shared/domain/errors.ts';
import {
  isDeadlockVictim,
  isTransientMssqlError,
  keepLoginErrorNumber,
  redact,
  sqlErrorNumbers,
  translateMssqlError,
} from '../../shared/adapters/db/mssql-errors.ts';
import { openMssqlExecutor } from '../../shared/adapters/db/mssql-pool.ts';

/** A server error as mssql hands it over: a RequestError wrapping what tedious reported. */
const serverError = (number: number, message = `error ${number}`) =>
  new mssql.RequestError(Object.assign(new Error(message), { info: { number, message } }), 'EREQUEST');
/** A connection-level failure as mssql hands it over. */
const connectionError = (code: string, message = code) => new mssql.ConnectionError(message, code as 'ESOCKET');

describe('translateMssqlError', () => {
  it('makes lost connections, timeouts, and Azure SQL unavailability a TransientError, the driver error its cause', () => {
    const transient = [
      connectionError('ESOCKET', 'Failed to connect to db:1433 - connect ECONNREFUSED 10.0.0.1:1433'),
      connectionError('ETIMEOUT', 'Failed to connect to db:1433 in 15000ms'),
      connectionError('ECONNCLOSED', 'Connection is closed.'),
      new mssql.RequestError(new TdsRequestError('Timeout: Request failed to complete in 120000ms', 'ETIMEOUT'), 'EREQUEST'),
      new mssql.RequestError(new TdsRequestError('Connection lost - read ECONNRESET', 'ESOCKET'), 'EREQUEST'),
      new mssql.TransactionError(new TdsRequestError('Connection closed before request completed.', 'ECLOSE')),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      ...[1205, 4060, 4221, 40197, 40613, 40501, 10928, 10929, 49918, 49919, 49920].map((n) => serverError(n)),
      new TimeoutError('Failed to acquire a connection from the pool: operation timed out for an unknown reason'),
    ];
    for (const e of transient) {
      const t = translateMssqlError(e);
      expect(t, (e as Error).message).toBeInstanceOf(TransientError);
      expect((t as TransientError).code).toBe('TRANSIENT');
      expect((t as Error).message).toBe(`SQL Server: ${(e as Error).message}`);
      expect((t as Error).cause).toBe(e);
    }
  });

  it('finds the transient error among those one request produced, and under an aborted transaction', () => {
    // mssql throws the last server error of a request and keeps the earlier ones in precedingErrors.
    const last = serverError(3621, 'The statement has been terminated.');
    expect(isTransientMssqlError(Object.assign(last, { precedingErrors: [serverError(1205)] }))).toBe(true);
    expect(isTransientMssqlError(new AggregateError([serverError(3621), serverError(40613)]))).toBe(true);
    const aborted = Object.assign(new mssql.TransactionError('Transaction has been aborted.', 'EABORT'), { originalError: serverError(1205) });
    expect(isDeadlockVictim(aborted)).toBe(true);
    expect(sqlErrorNumbers(Object.assign(serverError(3621), { precedingErrors: [serverError(2627)] }))).toEqual([3621, 2627]);
  });

  it('passes real errors through as they are: constraint violations, truncation, bad logins, cancellation', () => {
    const permanent = [
      ...[2627, 2628, 547, 8152, 245, 18456, 3621].map((n) => serverError(n)),
      connectionError('ELOGIN', "Login failed for user 'hire'."),
      connectionError('ENOTOPEN', 'Connection not yet open.'),
      connectionError('EINSTLOOKUP'),
      new mssql.RequestError('Canceled.', 'ECANCEL'),
      new mssql.RequestError("Validation failed for parameter 'id'.", 'EPARAM' as 'EARGS'), // a code the typings do not list
      new AggregateError([serverError(2627), serverError(3621)]),
      new Error('plain'),
    ];
    for (const e of permanent) {
      expect(isTransientMssqlError(e), (e as Error).message).toBe(false);
      expect(translateMssqlError(e)).toBe(e);
    }
    for (const v of [null, undefined, 'text', 42]) expect(translateMssqlError(v)).toBe(v);
  });

  it('leaves an error already in the domain\'s terms alone', () => {
    const t = new TransientError('SQL Server: gone');
    expect(translateMssqlError(t)).toBe(t);
  });

  it('takes a failed login as transient when it carries an unavailability number or tedious\'s transient mark', () => {
    const failover = Object.assign(connectionError('ELOGIN', "Database 'hr' on server 'x' is not currently available."), {
      originalError: Object.assign(new Error('not currently available'), { number: 40613 }),
    });
    expect(translateMssqlError(failover)).toBeInstanceOf(TransientError);
    const marked = Object.assign(connectionError('ELOGIN', 'The service is currently busy.'), {
      originalError: Object.assign(new Error('busy'), { isTransient: true }),
    });
    expect(translateMssqlError(marked)).toBeInstanceOf(TransientError);
  });
});

describe('redact', () => {
  it('blanks the password out of the message and stack of the error and every error it carries', () => {
    const inner = new Error('Login failed: password "Tr0ub4dor&3" rejected');
    const outer = Object.assign(new mssql.ConnectionError(inner), {});
    const t = translateMssqlError(Object.assign(connectionError('ESOCKET', 'socket saw Tr0ub4dor&3'), { originalError: outer }), ['Tr0ub4dor&3']) as Error;
    expect(t).toBeInstanceOf(TransientError);
    for (const e of [t, t.cause as Error, (t.cause as { originalError: Error }).originalError, inner]) {
      expect(e.message).not.toContain('Tr0ub4dor&3');
      expect(String(e.stack)).not.toContain('Tr0ub4dor&3');
    }
    expect(t.message).toBe('SQL Server: socket saw ***');
    expect(inner.message).toBe('Login failed: password "***" rejected');
  });

  it('leaves messages alone for a password too short to be told from ordinary text', () => {
    const e = new Error('a bad day');
    redact(e, ['a', 'bad']);
    expect(e.message).toBe('a bad day');
  });
});

describe('keepLoginErrorNumber', () => {
  /** Stands in for a tedious Connection: the events are the ones tedious emits during a login, in its order. */
  const connection = () => new EventEmitter() as unknown as Connection & EventEmitter;

  it('puts the number of the last server error of a failed login on the error the connection fails with', () => {
    const conn = connection();
    keepLoginErrorNumber(conn);
    let seen: unknown;
    conn.once('connect', (err: unknown) => (seen = (err as { number?: number }).number)); // the pool's callback, registered later
    conn.emit('errorMessage', { number: 40613, message: "Database 'hr' is not currently available." });
    conn.emit('errorMessage', { number: 40613, message: 'again' });
    const err = new Error("Database 'hr' is not currently available.");
    conn.emit('connect', err);
    expect(seen).toBe(40613);
    expect(translateMssqlError(new mssql.ConnectionError(err))).toBeInstanceOf(TransientError);
    expect(conn.listenerCount('errorMessage')).toBe(0); // logged in or not, it listens no more
  });

  it('adds nothing to a login that succeeded or failed without a server error', () => {
    const ok = connection();
    keepLoginErrorNumber(ok);
    ok.emit('connect', undefined);
    expect(ok.listenerCount('errorMessage')).toBe(0);
    const refused = connection();
    keepLoginErrorNumber(refused);
    const err = Object.assign(new Error('Failed to connect'), { code: 'ESOCKET' });
    refused.emit('connect', err);
    expect(err).not.toHaveProperty('number');
  });
});

describe('opening a pool on a server that is not there', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const listen = (onConnection: (s: Socket) => void) =>
    new Promise<number>((resolve) => {
      const server = createServer((s) => {
        sockets.push(s);
        onConnection(s);
      });
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const open = async (url: string) => openMssqlExecutor(url).then(
    () => {
      throw new Error('expected the open to fail');
    },
    (e: unknown) => e as Error,
  );

  it('fails with a TransientError when the connection is refused or cut, never showing the password', async () => {
    const port = await listen((s) => s.destroy()); // accepts, then hangs up at once
    const cut = await open(`mssql://hire:S3cretPassw0rd@127.0.0.1:${port}/hr?encrypt=false&connectTimeout=5000`);
    expect(cut).toBeInstanceOf(TransientError);
    expect(cut.message).toMatch(/^SQL Server: /);
    expect(`${cut.message}\n${cut.stack}\n${(cut.cause as Error).stack}`).not.toContain('S3cretPassw0rd');
  });

  it('fails with a TransientError when the server accepts but never answers, within the connect timeout', async () => {
    const port = await listen(() => {}); // a black hole
    const started = Date.now();
    const silent = await open(`Server=127.0.0.1,${port};Database=hr;User Id=hire;Password=S3cretPassw0rd;Encrypt=false;Connect Timeout=1`);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(silent).toBeInstanceOf(TransientError);
    expect(silent.message).toMatch(/in 1000ms/);
    expect((silent.cause as { code?: string }).code).toBe('ETIMEOUT');
  });
});
