import { describe, expect, it } from 'vitest';
import { parseMssqlConnection, MssqlConnectionError } from '../../shared/adapters/db/mssql-connection.ts';

describe('parseMssqlConnection', () => {
  it('reads an mssql:// URL, percent-decoding user and password', () => {
    const c = parseMssqlConnection(
      'mssql://hire%20db:p%40ss%3Bw%2Fd%3A@db.example.com:14330/hr_data?encrypt=false&trustServerCertificate=true&connectTimeout=5000',
    );
    expect(c).toEqual({
      server: 'db.example.com',
      authentication: { type: 'default', options: { userName: 'hire db', password: 'p@ss;w/d:' } },
      options: { database: 'hr_data', port: 14330, encrypt: false, trustServerCertificate: true, connectTimeout: 5000 },
    });
  });

  it('defaults to port 1433, encryption on, certificate checked, 15 s to connect', () => {
    const c = parseMssqlConnection('mssql://sa:secret@localhost/hiredb');
    expect(c.options).toEqual({ database: 'hiredb', port: 1433, encrypt: true, trustServerCertificate: false, connectTimeout: 15000 });
  });

  it('reads the ADO.NET string the Azure portal shows', () => {
    const c = parseMssqlConnection(
      'Server=tcp:hr-sql.database.windows.net,1433;Initial Catalog=hrdb;Persist Security Info=False;User ID=hradmin;' +
        'Password=Sup3r$ecret;MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;',
    );
    expect(c).toEqual({
      server: 'hr-sql.database.windows.net',
      authentication: { type: 'default', options: { userName: 'hradmin', password: 'Sup3r$ecret' } },
      options: { database: 'hrdb', port: 1433, encrypt: true, trustServerCertificate: false, connectTimeout: 30000 },
    });
  });

  it('takes key synonyms in any case, with spaces around', () => {
    const a = parseMssqlConnection(' data source = tcp:10.0.0.5,14331 ; DATABASE=hr ; uid=u1 ; PWD=p1 ; trustservercertificate=yes ');
    expect(a.server).toBe('10.0.0.5');
    expect(a.options).toMatchObject({ database: 'hr', port: 14331, trustServerCertificate: true, encrypt: true });
    expect(a.authentication.options).toEqual({ userName: 'u1', password: 'p1' });
    const b = parseMssqlConnection('SERVER=h;Initial Catalog=db;User Id=u;Password=p;Connect Timeout=5;Encrypt=strict');
    expect(b.options).toMatchObject({ database: 'db', port: 1433, connectTimeout: 5000, encrypt: 'strict' });
  });

  it('keeps ; = and quotes inside {braces} or quoted values', () => {
    const braces = parseMssqlConnection('Server=h;Database={my;db};User Id={we}}ird};Password={a;b=c}}d}');
    expect(braces.options.database).toBe('my;db');
    expect(braces.authentication.options).toEqual({ userName: 'we}ird', password: 'a;b=c}d' });
    const quoted = parseMssqlConnection(`Server=h;Database=db;User Id='o''brien';Password="x;""y"`);
    expect(quoted.authentication.options).toEqual({ userName: "o'brien", password: 'x;"y' });
  });

  it('reads a named instance instead of a port', () => {
    const c = parseMssqlConnection('Server=host\\SQLEXPRESS;Database=db;User Id=u;Password=p');
    expect(c.server).toBe('host');
    expect(c.options.instanceName).toBe('SQLEXPRESS');
    expect(c.options.port).toBeUndefined();
  });

  const failure = (input: string, source?: string): string => {
    try {
      parseMssqlConnection(input, source);
    } catch (e) {
      expect(e).toBeInstanceOf(MssqlConnectionError);
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
      failure(`Server=h;Database=db;Authentication=Active Directory Default;Password=${secret}`),
      failure(`Server=h;Database=db;Integrated Security=SSPI;Password=${secret}`),
      failure(`Server=np:h;Database=db;User Id=u;Password=${secret}`),
      failure(`just-a-${secret}`),
    ];
    for (const m of messages) expect(m).not.toContain(secret);
    expect(messages[2]).toContain('unknown option "encrpyt"');
    expect(messages[3]).toBe('AZURE_SQL_CONNECTION_STRING: the value of Password has no closing }');
    expect(messages[6]).toBe('AZURE_SQL_CONNECTION_STRING: Encrypt must be true or false');
  });
});
