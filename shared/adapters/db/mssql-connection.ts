import type { ConnectionConfiguration } from 'tedious';

/** A tedious connection configuration with SQL authentication, as HireDB builds it. */
export interface MssqlConfig extends ConnectionConfiguration {
  server: string;
  authentication: { type: 'default'; options: { userName: string; password: string } };
  options: {
    database: string;
    port?: number;
    instanceName?: string;
    encrypt: boolean | 'strict';
    trustServerCertificate: boolean;
    connectTimeout: number;
  };
}

/** A connection string that cannot be used; the message names what is wrong, never the password. */
export class MssqlConnectionError extends Error {
  override name = 'MssqlConnectionError';
}

const DEFAULT_PORT = 1433;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * Parses either form of a SQL Server / Azure SQL connection string into a tedious configuration:
 * - `mssql://user:password@host:port/database?encrypt=true&trustServerCertificate=false&connectTimeout=30000`
 *   (user and password percent-decoded; connectTimeout in milliseconds, as tedious names it);
 * - the ADO.NET form Azure shows, `Server=tcp:host,1433;Database=db;User Id=u;Password=p;Encrypt=True;
 *   TrustServerCertificate=False;Connection Timeout=30` (keys case-insensitive, with their usual synonyms;
 *   values may be wrapped in {braces} or quotes to hold `;`; Connection Timeout in seconds).
 * Encryption is on and the server certificate is checked unless the string says otherwise.
 * `source` names the setting in error messages (default: DATABASE_URL for the URL form,
 * AZURE_SQL_CONNECTION_STRING for the ADO form).
 */
export function parseMssqlConnection(input: string, source?: string): MssqlConfig {
  const text = input.trim();
  if (/^(mssql|sqlserver):\/\//i.test(text)) return parseUrl(text, source ?? 'DATABASE_URL');
  const label = source ?? 'AZURE_SQL_CONNECTION_STRING';
  if (!text.includes('=')) {
    throw new MssqlConnectionError(`${label}: not a connection string (expected mssql://… or Server=…;Database=…)`);
  }
  return parseAdo(text, label);
}

interface Parts {
  server?: string;
  port?: number;
  instanceName?: string;
  database?: string;
  user?: string;
  password?: string;
  encrypt?: boolean | 'strict';
  trustServerCertificate?: boolean;
  connectTimeout?: number;
}

function build(parts: Parts, fail: (message: string) => never, names: Record<'server' | 'database' | 'user' | 'password', string>): MssqlConfig {
  if (!parts.server) fail(`missing ${names.server}`);
  if (!parts.database) fail(`missing ${names.database}`);
  if (!parts.user) fail(`missing ${names.user}`);
  if (parts.password === undefined || parts.password === '') fail(`missing ${names.password}`);
  if (parts.instanceName && parts.port !== undefined) fail('give either an instance name or a port, not both');
  const options: MssqlConfig['options'] = {
    database: parts.database!,
    encrypt: parts.encrypt ?? true,
    trustServerCertificate: parts.trustServerCertificate ?? false,
    connectTimeout: parts.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  if (parts.instanceName) options.instanceName = parts.instanceName;
  else options.port = parts.port ?? DEFAULT_PORT;
  return {
    server: parts.server!,
    authentication: { type: 'default', options: { userName: parts.user!, password: parts.password! } },
    options,
  };
}

// ---------------------------------------------------------------------------------------------- URL

function parseUrl(text: string, label: string): MssqlConfig {
  const fail = (message: string): never => {
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
  if (url.port !== '') parts.port = parsePort(url.port, fail);
  const path = decode(url.pathname.replace(/^\//, ''), 'database name');
  if (path.includes('/')) fail('the path must be just the database name');
  parts.database = path || undefined;
  parts.user = decode(url.username, 'user name') || undefined;
  parts.password = decode(url.password, 'password');
  for (const [rawKey, value] of url.searchParams) {
    const key = rawKey.toLowerCase();
    if (key === 'encrypt') parts.encrypt = parseEncrypt(value, 'encrypt', fail);
    else if (key === 'trustservercertificate') parts.trustServerCertificate = parseBool(value, 'trustServerCertificate', fail);
    else if (key === 'connecttimeout') parts.connectTimeout = parseWhole(value, 'connectTimeout (milliseconds)', 1, fail);
    else if (key === 'instancename') parts.instanceName = value || undefined;
    else if (key === 'database') parts.database = value || parts.database;
    else fail(`unknown option "${rawKey}" (known: encrypt, trustServerCertificate, connectTimeout, instanceName)`);
  }
  return build(parts, fail, { server: 'host', database: 'database', user: 'user', password: 'password' });
}

// ---------------------------------------------------------------------------------------------- ADO

const ADO_KEYS: Record<string, keyof Parts | 'authentication' | 'integrated'> = {
  server: 'server',
  'data source': 'server',
  address: 'server',
  addr: 'server',
  'network address': 'server',
  database: 'database',
  'initial catalog': 'database',
  'user id': 'user',
  userid: 'user',
  uid: 'user',
  user: 'user',
  username: 'user',
  'user name': 'user',
  password: 'password',
  pwd: 'password',
  encrypt: 'encrypt',
  trustservercertificate: 'trustServerCertificate',
  'trust server certificate': 'trustServerCertificate',
  'connection timeout': 'connectTimeout',
  'connect timeout': 'connectTimeout',
  connecttimeout: 'connectTimeout',
  timeout: 'connectTimeout',
  authentication: 'authentication',
  'integrated security': 'integrated',
  trusted_connection: 'integrated',
};

function parseAdo(text: string, label: string): MssqlConfig {
  const fail = (message: string): never => {
    throw new MssqlConnectionError(`${label}: ${message}`);
  };
  const parts: Parts = {};
  for (const [key, value] of tokenizeAdo(text, fail)) {
    const field = ADO_KEYS[key];
    if (field === undefined) continue; // e.g. Persist Security Info, MultipleActiveResultSets: nothing to do
    const name = displayKey(key);
    switch (field) {
      case 'server':
        Object.assign(parts, parseServer(value, fail));
        break;
      case 'database':
      case 'user':
      case 'password':
        parts[field] = value;
        break;
      case 'encrypt':
        parts.encrypt = parseEncrypt(value, name, fail);
        break;
      case 'trustServerCertificate':
        parts.trustServerCertificate = parseBool(value, name, fail);
        break;
      case 'connectTimeout':
        parts.connectTimeout = parseWhole(value, `${name} (seconds)`, 1, fail) * 1000;
        break;
      case 'authentication':
        if (!/^sql\s*password$/i.test(value)) fail(`Authentication "${value}" is not supported (use SQL authentication: User Id and Password)`);
        break;
      case 'integrated':
        if (!/^(false|no)$/i.test(value)) fail(`${name} is not supported (use SQL authentication: User Id and Password)`);
        break;
    }
  }
  return build(parts, fail, { server: 'Server', database: 'Database', user: 'User Id', password: 'Password' });
}

/** `Key=Value` pairs separated by `;`; a value may be `{...}` (`}}` is a `}`) or quoted (doubled quote escapes). */
function tokenizeAdo(text: string, fail: (message: string) => never): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && (text[i] === ';' || /\s/.test(text[i]))) i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    const semi = text.indexOf(';', i);
    if (eq < 0 || (semi >= 0 && semi < eq)) fail('malformed: expected Key=Value pairs separated by ";"');
    const key = text.slice(i, eq).trim().toLowerCase().replace(/\s+/g, ' ');
    if (!key) fail('malformed: a value has no key');
    i = eq + 1;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    let value = '';
    const open = text[i];
    if (open === '{' || open === '"' || open === "'") {
      const close = open === '{' ? '}' : open;
      let j = i + 1;
      for (;;) {
        if (j >= n) fail(`the value of ${displayKey(key)} has no closing ${close}`);
        if (text[j] === close) {
          if (text[j + 1] === close) {
            value += close;
            j += 2;
            continue;
          }
          j++;
          break;
        }
        value += text[j++];
      }
      i = j;
      while (i < n && /\s/.test(text[i])) i++;
      if (i < n && text[i] !== ';') fail(`unexpected text after the quoted value of ${displayKey(key)}`);
    } else {
      const end = semi < 0 ? n : semi;
      value = text.slice(i, end).trim();
      i = end;
    }
    pairs.push([key, value]);
  }
  return pairs;
}

/** `tcp:host,1433`, `host,1433`, `host\instance`, `[::1],1433`. */
function parseServer(value: string, fail: (message: string) => never): Parts {
  let rest = value.trim();
  const protocol = /^(tcp|np|lpc|admin|via):/i.exec(rest);
  if (protocol) {
    if (protocol[1].toLowerCase() !== 'tcp') fail(`Server protocol "${protocol[1]}:" is not supported (only tcp:)`);
    rest = rest.slice(protocol[0].length);
  }
  const parts: Parts = {};
  const comma = rest.lastIndexOf(',');
  if (comma >= 0) {
    parts.port = parsePort(rest.slice(comma + 1).trim(), fail);
    rest = rest.slice(0, comma).trim();
  }
  const slash = rest.indexOf('\\');
  if (slash >= 0) {
    parts.instanceName = rest.slice(slash + 1).trim() || undefined;
    rest = rest.slice(0, slash).trim();
  }
  rest = rest.replace(/^\[(.*)\]$/, '$1');
  parts.server = rest || undefined;
  // A bare `Server=` is reported as missing by build().
  return parts;
}

// ----------------------------------------------------------------------------------------- values

function parsePort(value: string, fail: (message: string) => never): number {
  return parseWhole(value, 'port', 1, fail, 65535);
}

function parseWhole(value: string, name: string, min: number, fail: (message: string) => never, max = 2_147_483_647): number {
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) fail(`${name} must be a whole number from ${min} to ${max}`);
  return Number(v);
}

function parseBool(value: string, name: string, fail: (message: string) => never): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  return fail(`${name} must be true or false`);
}

function parseEncrypt(value: string, name: string, fail: (message: string) => never): boolean | 'strict' {
  const v = value.trim().toLowerCase();
  if (v === 'strict') return 'strict';
  if (v === 'mandatory') return true;
  if (v === 'optional') return false;
  return parseBool(value, name, fail);
}

function displayKey(key: string): string {
  return key.replace(/(^|\s)\S/g, (c) => c.toUpperCase());
}
