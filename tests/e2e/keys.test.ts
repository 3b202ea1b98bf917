// API keys end to end with real processes on a temporary SQLite file: `hiredb keys`, the start-up
// access rules of `hiredb serve`, and a key created and revoked by one process taking effect in another.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, http, runCli, startServer, tempHome, waitFor, type RunningServer, type TempHome } from '../helpers/processes.ts';

const KEY_LINE = /^hdb_[A-Za-z0-9_-]{43}\n$/;

describe('hiredb keys', () => {
  let home: TempHome;
  const cli = (args: string[]) => runCli(args, { env: home.env, cwd: home.dir });
  const issued: string[] = [];
  beforeAll(async () => {
    home = await tempHome();
  });
  afterAll(async () => {
    await home?.cleanup();
  });

  it('create prints the new key alone on stdout', async () => {
    const res = await cli(['keys', 'create', '--role', 'admin', '--name', 'ops']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(KEY_LINE);
    issued.push(res.stdout.trim());
    expect(res.stderr).toMatch(/"msg":"API key created".*"key_name":"ops".*"role":"admin"/);
    expect(res.stderr).not.toContain(res.stdout.trim().slice(4));
    const again = await cli(['keys', 'create', '--role', 'read', '--name', 'bi']);
    expect(again.stdout).toMatch(KEY_LINE);
    issued.push(again.stdout.trim());
    expect(issued[0]).not.toBe(issued[1]);
  });

  it('create refuses a duplicate name, an unknown role and a missing option, with nothing on stdout', async () => {
    const cases: [string[], RegExp][] = [
      [['keys', 'create', '--role', 'read', '--name', 'ops'], /a key named "ops" exists already/],
      [['keys', 'create', '--role', 'owner', '--name', 'x'], /role must be read, ingest, admin, got "owner"/],
      [['keys', 'create', '--role', 'read'], /keys create needs --name/],
      [['keys', 'create', '--name', 'x'], /keys create needs --role/],
      [['keys', 'create', '--role', 'read', '--name', 'bad name'], /a key name is 1 to 64 of/],
      [['keys', 'revoke', 'nobody'], /no key named "nobody"/],
      [['keys', 'rotate'], /keys needs create, list or revoke/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { env: home.env, cwd: home.dir, timeoutMs: 50_000 })));
    for (const [i, [args, message]] of cases.entries()) {
      const res = results[i];
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr, args.join(' ')).toMatch(message);
      expect(res.stdout, args.join(' ')).toBe('');
    }
  });

  it('list shows name, role and times, never a key; revoke marks the key', async () => {
    const revoked = await cli(['keys', 'revoke', 'bi']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked bi at \d{4}-\d\d-\d\dT/);
    const table = await cli(['keys', 'list']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['name', 'role', 'created_at', 'last_used_at', 'revoked_at']);
    expect(lines.at(-1)).toBe('(2 rows)');
    expect(lines.slice(2, -1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([['bi', 'read'], ['ops', 'admin']]);
    expect(lines[2]).toMatch(/^bi\s+read\s+\S+Z\s+never\s+\S+Z$/);
    expect(lines[3]).toMatch(/^ops\s+admin\s+\S+Z\s+never$/);
    const json = await cli(['keys', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      { name: 'bi', role: 'read', created_at: expect.any(String), last_used_at: null, revoked_at: expect.any(String) },
      { name: 'ops', role: 'admin', created_at: expect.any(String), last_used_at: null, revoked_at: null },
    ]);
    for (const key of issued) {
      expect(table.stdout + json.stdout + table.stderr + json.stderr).not.toContain(key.slice(4));
    }
  });
});

describe('hiredb serve: access at start-up', () => {
  let home: TempHome;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    home = await tempHome();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(async () => {
    await home?.cleanup();
  });

  it('refuses to start on a non-loopback HOST while no key exists', async () => {
    const res = await runCli(['serve', '--no-loader'], { env: { ...home.env, HOST: '0.0.0.0', PORT: String(await freePort()) }, cwd: home.dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/HOST=0\.0\.0\.0 is not a loopback address and no API key exists: create one first \(hiredb keys create --role admin --name <name>\), or set HIREDB_AUTH=off/);
  });

  it('starts there with HIREDB_AUTH=off, with a warning, and serves without a key', async () => {
    server = await startServer(['serve', '--no-loader'], { env: { ...home.env, HIREDB_AUTH: 'off' }, cwd: home.dir, host: '0.0.0.0' });
    expect(server.output().stderr).toMatch(/WARNING: HIREDB_AUTH=off: HOST=0\.0\.0\.0 is not a loopback address/);
    expect((await http(`${server.url}/api/v1/tasks`)).status).toBe(200);
  });

  it('starts on a loopback HOST without a key, says so once, and is open until the first key', async () => {
    server = await startServer(['serve', '--no-loader'], { env: home.env, cwd: home.dir });
    const notice = /no API key exists and HOST=127\.0\.0\.1 is a loopback address: requests are served without a key/g;
    expect(server.output().stderr.match(notice)).toHaveLength(1);
    expect((await http(`${server.url}/api/v1/tasks`)).status).toBe(200);
  });

  it('starts on a non-loopback HOST once a key exists, and needs it', async () => {
    const made = await runCli(['keys', 'create', '--role', 'read', '--name', 'reader'], { env: home.env, cwd: home.dir });
    const key = made.stdout.trim();
    server = await startServer(['serve', '--no-loader'], { env: home.env, cwd: home.dir, host: '0.0.0.0' });
    const denied = await http(`${server.url}/api/v1/tasks`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="hiredb"');
    expect((await http(`${server.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect(server.output().stderr + server.output().stdout).not.toContain(key.slice(4));
  });
});

describe('keys made and revoked by the CLI, in a running server', () => {
  let home: TempHome;
  let server: RunningServer;
  beforeAll(async () => {
    home = await tempHome({ HIREDB_PUBLIC_REPORTS: 'true' });
    server = await startServer(['serve', '--no-loader'], { env: home.env, cwd: home.dir });
  });
  afterAll(async () => {
    await server?.stop();
    await home?.cleanup();
  });

  it('the first key closes the open server within seconds; its revocation refuses it within seconds', async () => {
    const tasks = `${server.url}/api/v1/tasks`;
    expect((await http(tasks)).status).toBe(200);
    const made = await runCli(['keys', 'create', '--role', 'ingest', '--name', 'loader-bot'], { env: home.env, cwd: home.dir });
    expect(made.code, made.stderr).toBe(0);
    const key = made.stdout.trim();
    const auth = { headers: { 'x-api-key': key } };

    const closedAfter = Date.now();
    await waitFor('the server to need a key', async () => ((await http(tasks)).status === 401 ? true : undefined), 15_000);
    expect(Date.now() - closedAfter).toBeLessThan(8_000);
    expect((await http(tasks, auth)).status).toBe(200);
    const batch = await http(`${server.url}/api/v1/departments/batch`, {
      method: 'POST',
      headers: { ...auth.headers, 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 1, department: 'Sales' }]),
    });
    expect(batch.status).toBe(200);
    // Public reports: readable without a key, everything else is not.
    expect((await http(`${server.url}/report/hired-by-quarter`)).status).toBe(200);
    expect((await http(`${server.url}/api/v1/reports/hiring-above-average`)).status).toBe(200);
    expect((await http(`${server.url}/task-list`)).status).toBe(401);

    const listed = await runCli(['keys', 'list', '--json'], { env: home.env, cwd: home.dir });
    expect(JSON.parse(listed.stdout)[0].last_used_at).toEqual(expect.any(String));

    const revoked = await runCli(['keys', 'revoke', 'loader-bot'], { env: home.env, cwd: home.dir });
    expect(revoked.code, revoked.stderr).toBe(0);
    const revokedAfter = Date.now();
    const refused = await waitFor('the revoked key to be refused', async () => {
      const res = await http(tasks, auth);
      return res.status === 401 ? res : undefined;
    });
    expect(Date.now() - revokedAfter).toBeLessThan(8_000);
    expect(refused.body.error.message).toBe('this API key is revoked');

    const { stdout, stderr } = server.output();
    expect(stdout + stderr).not.toContain(key.slice(4));
    const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'write', key: 'loader-bot', method: 'POST', route: '/api/v1/:table/batch' }));
  });
});
