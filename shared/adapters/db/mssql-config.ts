/**
 * SQL Server / Azure SQL connection settings: either form of connection string, read into the
 * configuration of an `mssql` ConnectionPool (tedious underneath), with HireDB's timeouts and pool size.
 */
import { MSSQL_SCHEMA, parse } from '@tediousjs/connection-string';
import type { config as MssqlPoolConfig } from 'mssql';
import { ConfigError } from '../../config/config.ts';
import { keepLoginErrorNumber } from './mssql-errors.ts';

/** A connection string that cannot be used; the message names what is wrong, never the password. */
export class MssqlConnectionError extends ConfigError {
  override name = 'MssqlConnectionError';
}

export interface MssqlOptions {
  /** Connections the pool keeps at most (default 10); each runs one request at a time. */
  poolSize?: number;
  /** Milliseconds one statement or bulk load may take (default 120000). */
  requestTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_POOL_SIZE = 10;
const DEFAULT_PORT = 1433;

/** What a connection string says. */
export interface MssqlTarget {
  server: string;
  /** Absent when an instance name is given instead. */
  port?: number;
  instanceName?: string;
  database: string;
  user: string;
  password: string;
  encrypt: boolean | 'strict';
  trustServerCertificate: boolean;
  connectTimeoutMs: number;
}

/**
 * The pool configuration for a connection string:
 * - connect timeout from the string (15 s by default), request timeout 120 s, SQL authentication;
 * - a pool of up to `poolSize` connections; a caller waits for one at most a connect timeout plus a
 *   request timeout (a busy connection is freed within a request timeout, a new one opens within a
 *   connect timeout), and idle ones close after 30 s;
 * - a borrowed connection is checked to be logged in with a live socket (no round trip);
 * - a failed login keeps the server's error number (see keepLoginErrorNumber);
 * - XACT_ABORT ON, so that a failed or cancelled statement (a request timeout) rolls its transaction
 *   back on the server: a connection never goes back to the pool inside a transaction.
 */
export function mssqlPoolConfig(connection: string, opts: MssqlOptions = {}, source?: string): MssqlPoolConfig {
  const t = parseMssqlConnection(connection, source);
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return {
    server: t.server,
    ...(t.port === undefined ? {} : { port: t.port }),
    database: t.database,
    user: t.user,
    password: t.password,
    connectionTimeout: t.connectTimeoutMs,
    requestTimeout,
    options: {
      encrypt: t.encrypt,
      trustServerCertificate: t.trustServerCertificate,
      ...(t.instanceName === undefined ? {} : { instanceName: t.instanceName }),
      appName: 'hiredb',
      useUTC: true,
      abortTransactionOnError: true,
    },
    pool: {
      max: Math.max(1, opts.poolSize ?? DEFAULT_POOL_SIZE),
      min: 0,
      acquireTimeoutMillis: t.connectTimeoutMs + requestTimeout,
      createTimeoutMillis: t.connectTimeoutMs + 5_000, // tedious's own connect timeout fires first
      idleTimeoutMillis: 30_000,
    },
    validateConnection: 'socket',
    beforeConnect: keepLoginErrorNumber,
  };
}

/**
 * Reads either form of a SQL Server / Azure SQL connection string:
 * - `mssql://user:password@host:port/database?encrypt=true&trustServerCertificate=false&connectTimeout=30000`
 *   (or `sqlserver://`; user and password percent-decoded; connectTimeout in milliseconds);
 * - the ADO.NET form Azure shows, `Server=tcp:host,1433;Database=db;User Id=u;Password=p;Encrypt=True;
 *   TrustServerCertificate=False;Connection Timeout=30`, split by @tediousjs/connection-string (keys
 *   case-insensitive with the synonyms SqlClient knows, values in {braces} or quotes may hold `;`;
 *   Connection Timeout in seconds; the last of repeated keys wins; keys of no use here are ignored).
 * Encryption is on and the server certificate is checked unless the string says otherwise.
 * `source` names the setting in error messages (default: DATABASE_URL for the URL form,
 * AZURE_SQL_CONNECTION_STRING for the ADO form).
 */
export function parseMssqlConnection(input: string, source?: string): MssqlTarget {
  const text = input.trim();
  if (/^(mssql|sqlserver):\/\//i.test(text)) return parseUrl(text, source ?? 'DATABASE_URL');
  const label = source ?? 'AZURE_SQL_CONNECTION_STRING';
  if (!text.includes('=')) {
    throw new MssqlConnectionError(`${label}: not a connection string (expected mssql://… or Server=…;Database=…)`);
  }
  return parseAdo(text, label);
}

type Fail = (message: string) => never;

interface Parts {
  server?: string;
  port?: number;
  instanceName?: string;
  database?: string;
  user?: string;
  password?: string;
  encrypt?: boolean | 'strict';
  trustServerCertificate?: boolean;
  connectTimeoutMs?: number;
}

function complete(parts: Parts, fail: Fail, names: Record<'server' | 'database' | 'user' | 'password', string>): MssqlTarget {
  if (!parts.server) fail(`missing ${names.server}`);
  if (!parts.database) fail(`missing ${names.database}`);
  if (!parts.user) fail(`missing ${names.user}`);
  if (parts.password === undefined || parts.password === '') fail(`missing ${names.password}`);
  if (parts.instanceName && parts.port !== undefined) fail('give either an instance name or a port, not both');
  const target: MssqlTarget = {
    server: parts.server!,
    database: parts.database!,
    user: parts.user!,
    password: parts.password!,
    encrypt: parts.encrypt ?? true,
    trustServerCertificate: parts.trustServerCertificate ?? false,
    connectTimeoutMs: parts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  if (parts.instanceName) target.instanceName = parts.instanceName;
  else target.port = parts.port ?? DEFAULT_PORT;
  return target;
}

// ---------------------------------------------------------------------------------------------- URL

function parseUrl(text: string, label: string): MssqlTarget {
  const fail: Fail = (message) => {
    throw new MssqlConnectionError(`${label}: ${message}`);
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // URL errors carry the input (and so the password): never pass them on.
    return fail('not a valid mssql:// URL (percent-encode special characters of the user name and password)');
  }
  const decode = (value: string, what: string): string => {
    try {
      return decodeURIComponent(value);
    } catch {
      return fail(`bad percent-encoding in the ${what}`);
    }
  };
  const parts: Parts = {};
  parts.server = url.hostname.replace(/^\[(.*)\]$/, '$1') || undefined;
  if (url.port !== '') parts.port = parseWhole(url.port, 'port', 1, fail, 65535);
  const path = decode(url.pathname.replace(/^\//, ''), 'database name');
  if (path.includes('/')) fail('the path must be just the database name');
  parts.database = path || undefined;
  parts.user = decode(url.username, 'user name') || undefined;
  parts.password = decode(url.password, 'password');
  for (const [rawKey, value] of url.searchParams) {
    const key = rawKey.toLowerCase();
    if (key === 'encrypt') parts.encrypt = parseEncrypt(value, 'encrypt', fail);
    else if (key === 'trustservercertificate') parts.trustServerCertificate = parseBool(value, 'trustServerCertificate', fail);
    else if (key === 'connecttimeout') parts.connectTimeoutMs = parseWhole(value, 'connectTimeout (milliseconds)', 1, fail);
    else if (key === 'instancename') parts.instanceName = value || undefined;
    else if (key === 'database') parts.database = value || parts.database;
    else fail(`unknown option "${rawKey}" (known: encrypt, trustServerCertificate, connectTimeout, instanceName)`);
  }
  return complete(parts, fail, { server: 'host', database: 'database', user: 'user', password: 'password' });
}

// ---------------------------------------------------------------------------------------------- ADO

/** Every key SqlClient knows (and its synonyms, e.g. `Server` for `Data Source`), as @tediousjs/connection-string lists them. */
const CANONICAL_KEY = new Map<string, string>(
  Object.entries(MSSQL_SCHEMA).flatMap(([key, item]) => [key, ...(item.aliases ?? [])].map((k) => [k.toLowerCase(), key] as [string, string])),
);

/** How each canonical key is displayed in messages. */
const DISPLAY: Record<string, string> = {
  'data source': 'Server',
  'initial catalog': 'Database',
  'user id': 'User Id',
  password: 'Password',
  encrypt: 'Encrypt',
  trustservercertificate: 'TrustServerCertificate',
  'connection timeout': 'Connection Timeout',
  authentication: 'Authentication',
  'integrated security': 'Integrated Security',
};

function splitAdo(text: string, fail: Fail): Array<[string, string]> {
  try {
    // A Map of lower-cased keys, in the order they first appear; a repeated key keeps its last value.
    return [...parse(text)];
  } catch (e) {
    // The parser's messages never quote the input; ours say where to look.
    const message = e instanceof Error ? e.message : '';
    if (/terminated unexpectedly/i.test(message)) return fail('a value opened with a quote or { has no closing quote or }');
    return fail('malformed: expected Key=Value pairs separated by ";" (text after a quoted or {braced} value?)');
  }
}

function parseAdo(text: string, label: string): MssqlTarget {
  const fail: Fail = (message) => {
    throw new MssqlConnectionError(`${label}: ${message}`);
  };
  const parts: Parts = {};
  for (const [rawKey, value] of splitAdo(text, fail)) {
    const key = CANONICAL_KEY.get(rawKey.replace(/\s+/g, ' ').trim());
    if (key === undefined) continue; // not a SqlClient key: nothing to do with it
    const name = DISPLAY[key] ?? key;
    switch (key) {
      case 'data source':
        Object.assign(parts, { server: undefined, port: undefined, instanceName: undefined }, parseServer(value, fail));
        break;
      case 'initial catalog':
        parts.database = value;
        break;
      case 'user id':
        parts.user = value;
        break;
      case 'password':
        parts.password = value;
        break;
      case 'encrypt':
        parts.encrypt = parseEncrypt(value, name, fail);
        break;
      case 'trustservercertificate':
        parts.trustServerCertificate = parseBool(value, name, fail);
        break;
      case 'connection timeout':
        parts.connectTimeoutMs = parseWhole(value, `${name} (seconds)`, 1, fail) * 1000;
        break;
      case 'authentication':
        if (!/^sql\s*password$/i.test(value.trim())) {
          fail(`Authentication "${value}" is not supported (use SQL authentication: User Id and Password)`);
        }
        break;
      case 'integrated security':
        if (!/^(false|no)$/i.test(value.trim())) fail(`${name} is not supported (use SQL authentication: User Id and Password)`);
        break;
      // Other SqlClient keys (Persist Security Info, MultipleActiveResultSets, Application Name, …) change nothing here.
    }
  }
  return complete(parts, fail, { server: 'Server', database: 'Database', user: 'User Id', password: 'Password' });
}

/** `tcp:host,1433`, `host,1433`, `host\instance`, `[::1],1433`. */
function parseServer(value: string, fail: Fail): Parts {
  let rest = value.trim();
  const protocol = /^(tcp|np|lpc|admin|via):/i.exec(rest);
  if (protocol) {
    if (protocol[1].toLowerCase() !== 'tcp') fail(`Server protocol "${protocol[1]}:" is not supported (only tcp:)`);
    rest = rest.slice(protocol[0].length);
  }
  const parts: Parts = {};
  const comma = rest.lastIndexOf(',');
  if (comma >= 0) {
    parts.port = parseWhole(rest.slice(comma + 1), 'port', 1, fail, 65535);
    rest = rest.slice(0, comma).trim();
  }
  const slash = rest.indexOf('\\');
  if (slash >= 0) {
    parts.instanceName = rest.slice(slash + 1).trim() || undefined;
    rest = rest.slice(0, slash).trim();
  }
  parts.server = rest.replace(/^\[(.*)\]$/, '$1') || undefined; // a bare `Server=` is reported as missing
  return parts;
}

// ----------------------------------------------------------------------------------------- values

function parseWhole(value: string, name: string, min: number, fail: Fail, max = 2_147_483_647): number {
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) fail(`${name} must be a whole number from ${min} to ${max}`);
  return Number(v);
}

function parseBool(value: string, name: string, fail: Fail): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  return fail(`${name} must be true or false`);
}

function parseEncrypt(value: string, name: string, fail: Fail): boolean | 'strict' {
  const v = value.trim().toLowerCase();
  if (v === 'strict') return 'strict';
  if (v === 'mandatory') return true;
  if (v === 'optional') return false;
  return parseBool(value, name, fail);
}
