import mssql from 'mssql';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config/config.ts';
import { MssqlConnectionError, mssqlPoolConfig, parseMssqlConnection } from '../../shared/adapters/db/mssql-config.ts';
import { keepLoginErrorNumber } from '../../shared/adapters/db/mssql-errors.ts';

describe('parseMssqlConnection', () => {
  it('reads an mssql:// or sqlserver:// URL, percent-decoding user and password', () => {
    const url = 'hire%20db:p%40ss%3Bw%2Fd%3A@db.example.com:14330/hr_data?encrypt=false&trustServerCertificate=true&connectTimeout=5000';
    const expected = {
      server: 'db.example.com',
      port: 14330,
      database: 'hr_data',
      user: 'hire db',
      password: 'p@ss;w/d:',
      encrypt: false,
      trustServerCertificate: true,
      connectTimeoutMs: 5000,
    };
    expect(parseMssqlConnection(`mssql://${url}`)).toEqual(expected);
    expect(parseMssqlConnection(`sqlserver://${url}`)).toEqual(expected);
  });

  it('defaults to port 1433, encryption on, certificate checked, 15 s to connect', () => {
    expect(parseMssqlConnection('mssql://sa:secret@localhost/hiredb')).toEqual({
      server: 'localhost',
      port: 1433,
      database: 'hiredb',
      user: 'sa',
      password: 'secret',
      encrypt: true,
      trustServerCertificate: false,
      connectTimeoutMs: 15000,
    });
  });

  it('reads the ADO.NET string the Azure portal shows', () => {
    const c = parseMssqlConnection(
      'Server=tcp:hr-sql.database.windows.net,1433;Initial Catalog=hrdb;Persist Security Info=False;User ID=hradmin;' +
        'Password=Sup3r$ecret;MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;',
    );
    expect(c).toEqual({
      server: 'hr-sql.database.windows.net',
      port: 1433,
      database: 'hrdb',
      user: 'hradmin',
      password: 'Sup3r$ecret',
      encrypt: true,
      trustServerCertificate: false,
      connectTimeoutMs: 30000,
    });
  });

  it('takes the SqlClient key synonyms in any case, with spaces around; the last of a repeated key wins', () => {
    const a = parseMssqlConnection(' data source = tcp:10.0.0.5,14331 ; DATABASE=hr ; uid=u1 ; PWD=p1 ; trustservercertificate=yes ');
    expect(a).toMatchObject({ server: '10.0.0.5', port: 14331, database: 'hr', user: 'u1', password: 'p1', trustServerCertificate: true, encrypt: true });
    const b = parseMssqlConnection('Address=h;Initial Catalog=db;User Id=u;Password=p;Connect Timeout=5;Encrypt=strict');
    expect(b).toMatchObject({ server: 'h', database: 'db', port: 1433, connectTimeoutMs: 5000, encrypt: 'strict' });
    const c = parseMssqlConnection('Server=old,1;Initial Catalog=first;User Id=u;Password=p;Server=new;Database=second;Timeout=7');
    expect(c).toMatchObject({ server: 'new', port: 1433, database: 'second', connectTimeoutMs: 7000 });
  });

  it('keeps ; = and quotes inside {braces} or quoted values', () => {
    const braces = parseMssqlConnection('Server=h;Database={my;db};User Id={we}}ird};Password={a;b=c}}d}');
    expect(braces).toMatchObject({ database: 'my;db', user: 'we}ird', password: 'a;b=c}d' });
    const quoted = parseMssqlConnection(`Server=h;Database=db;User Id='o''brien';Password="x;""y"`);
    expect(quoted).toMatchObject({ user: "o'brien", password: 'x;"y' });
  });

  it('reads a named instance instead of a port', () => {
    const c = parseMssqlConnection('Server=host\\SQLEXPRESS;Database=db;User Id=u;Password=p');
    expect(c.server).toBe('host');
    expect(c.instanceName).toBe('SQLEXPRESS');
    expect(c.port).toBeUndefined();
    expect(parseMssqlConnection('mssql://u:p@host/db?instanceName=SQLEXPRESS')).toMatchObject({ server: 'host', instanceName: 'SQLEXPRESS' });
  });

  const failure = (input: string, source?: string): string => {
    try {
      parseMssqlConnection(input, source);
    } catch (e) {
      expect(e).toBeInstanceOf(MssqlConnectionError);
      expect(e).toBeInstanceOf(ConfigError); // the CLI shows it as a setting to fix, without a stack trace
      return (e as Error).message;
    }
    throw new Error('expected a failure');
  };

  it('names what is missing, never the password', () => {
    const secret = 'Tr0ub4dor&3';
    const cases: Array<[string, string]> = [
      [`Database=db;User Id=u;Password=${secret}`, 'AZURE_SQL_CONNECTION_STRING: missing Server'],
      [`Server=tcp:h,1433;User Id=u;Password=${secret}`, 'AZURE_SQL_CONNECTION_STRING: missing Database'],
      [`Server=h;Database=db;Password=${secret}`, 'AZURE_SQL_CONNECTION_STRING: missing User Id'],
      ['Server=h;Database=db;User Id=u', 'AZURE_SQL_CONNECTION_STRING: missing Password'],
      ['Server=h;Database=db;User Id=u;Password=', 'AZURE_SQL_CONNECTION_STRING: missing Password'],
      [`Server=h;Database=db;User Name=u;Password=${secret}`, 'AZURE_SQL_CONNECTION_STRING: missing User Id'], // not a SqlClient key
      [`mssql://u:${secret}@h:1433`, 'DATABASE_URL: missing database'],
      ['mssql://u@h/db', 'DATABASE_URL: missing password'],
      [`mssql://:${secret}@h/db`, 'DATABASE_URL: missing user'],
    ];
    for (const [input, message] of cases) {
      const got = failure(input);
      expect(got).toBe(message);
      expect(got).not.toContain(secret);
    }
    expect(failure(`Server=h;User Id=u;Password=${secret}`, 'MSSQL_URL')).toBe('MSSQL_URL: missing Database');
  });

  it('rejects malformed strings without echoing them', () => {
    const secret = 'hunter2-XYZ';
    const messages = [
      failure(`mssql://u:${secret}@h:99999/db`), // port out of range: URL parser error, input withheld
      failure(`mssql://u:${secret}%zz@h/db`), // bad percent-encoding
      failure(`mssql://u:${secret}@h/db?encrpyt=true`),
      failure(`Server=h;Database=db;User Id=u;Password={${secret};Encrypt=True`), // brace never closed
      failure(`Server=h;Database=db;User Id=u;Password="${secret}"x`),
      failure(`Server=h,notaport;Database=db;User Id=u;Password=${secret}`),
      failure(`Server=h;Database=db;User Id=u;Password=${secret};Encrypt=perhaps`),
      failure(`Server=h;Database=db;User Id=u;Password=${secret};Connection Timeout=-1`),
      failure(`Server=h;Database=db;User Id=u;Password=${secret};Connection Timeout=0`),
      failure(`Server=h;Database=db;Authentication=Active Directory Default;Password=${secret}`),
      failure(`Server=h;Database=db;Integrated Security=SSPI;Password=${secret}`),
      failure(`Server=np:h;Database=db;User Id=u;Password=${secret}`),
      failure(`just-a-${secret}`),
    ];
    for (const m of messages) expect(m).not.toContain(secret);
    expect(messages[2]).toContain('unknown option "encrpyt"');
    expect(messages[3]).toBe('AZURE_SQL_CONNECTION_STRING: a value opened with a quote or { has no closing quote or }');
    expect(messages[4]).toMatch(/^AZURE_SQL_CONNECTION_STRING: malformed/);
    expect(messages[6]).toBe('AZURE_SQL_CONNECTION_STRING: Encrypt must be true or false');
    expect(messages[8]).toBe('AZURE_SQL_CONNECTION_STRING: Connection Timeout (seconds) must be a whole number from 1 to 2147483647');
    expect(messages[11]).toBe('AZURE_SQL_CONNECTION_STRING: Server protocol "np:" is not supported (only tcp:)');
  });
});

describe('mssqlPoolConfig', () => {
  it('builds the mssql pool configuration: SQL authentication, the timeouts, the pool and its checks', () => {
    const config = mssqlPoolConfig('Server=tcp:hr.database.windows.net,1433;Database=hrdb;Uid=hradmin;Pwd=Sup3r$ecret;Connection Timeout=30');
    expect(config).toEqual({
      server: 'hr.database.windows.net',
      port: 1433,
      database: 'hrdb',
      user: 'hradmin',
      password: 'Sup3r$ecret',
      connectionTimeout: 30_000,
      requestTimeout: 120_000,
      options: { encrypt: true, trustServerCertificate: false, appName: 'hiredb', useUTC: true, abortTransactionOnError: true },
      pool: { max: 10, min: 0, acquireTimeoutMillis: 150_000, createTimeoutMillis: 35_000, idleTimeoutMillis: 30_000 },
      validateConnection: 'socket',
      beforeConnect: keepLoginErrorNumber,
    });
  });

  it('takes the pool size and request timeout from the options, and a named instance without a port', () => {
    const config = mssqlPoolConfig('mssql://u:p@host/db?instanceName=SQLEXPRESS&connectTimeout=2000', { poolSize: 2, requestTimeoutMs: 5000 });
    expect(config).toMatchObject({ server: 'host', connectionTimeout: 2000, requestTimeout: 5000, options: { instanceName: 'SQLEXPRESS' } });
    expect(config.pool).toMatchObject({ max: 2, acquireTimeoutMillis: 7000, createTimeoutMillis: 7000 });
    expect(config).not.toHaveProperty('port');
  });

  it('is what tedious is given: its connection options carry the timeouts, the encryption and XACT_ABORT', () => {
    // The same translation the mssql pool applies before it opens each tedious connection.
    class Probe extends mssql.ConnectionPool {
      tedious() {
        return (this as unknown as { _config(): { options: Record<string, unknown>; authentication: unknown } })._config();
      }
    }
    const probe = new Probe(mssqlPoolConfig('mssql://hire:pw@db.example.com:14330/hr?encrypt=strict&connectTimeout=4000', { requestTimeoutMs: 9000 }));
    const tds = probe.tedious();
    expect(tds.authentication).toEqual({ type: 'default', options: { userName: 'hire', password: 'pw' } });
    expect(tds.options).toMatchObject({
      database: 'hr',
      port: 14330,
      encrypt: 'strict',
      trustServerCertificate: false,
      connectTimeout: 4000,
      requestTimeout: 9000,
      appName: 'hiredb',
      useUTC: true,
      abortTransactionOnError: true,
    });
  });
});

describe('connection strings in configuration errors', () => {
  it('never shows the password of a connection string put in DATABASE_URL', () => {
    for (const value of [
      'Server=h;Database=d;User Id=u;Password=Sup3r$ecret;Encrypt=True',
      'Server=h;Pwd={Sup3r;$ecret};Uid=u',
      "Server=h; password = 'Sup3r;$ecret' ;Uid=u",
      'Server=h;Password={Sup3r;$ecret',
      'mysql://u:Sup3r$ecret@h/db',
    ]) {
      let message = '';
      try {
        loadConfig({ DATABASE_URL: value });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^DATABASE_URL=".*" must start with/);
      expect(message).not.toContain('Sup3r');
      expect(message).not.toContain('$ecret');
    }
  });

  it('accepts sqlserver:// as DATABASE_URL, as the adapter does', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlserver://u:p@h/db' }).databaseUrl).toBe('sqlserver://u:p@h/db');
  });
});
