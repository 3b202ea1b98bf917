// The CLI behaves like a Unix tool: quiet on a closed pipe, clear on a port in use, help and version,
// per-command options, no silent defaults for read-only commands.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIREDB_BIN, runCli, tempHome, type TempHome } from '../helpers/processes.ts';
import { VERSION } from '../../shared/version.ts';

const COMMANDS = ['serve', 'loader', 'load', 'rejects', 'report', 'tasks', 'migrate'];

describe('the hiredb command line', () => {
  let home: TempHome;
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { env: { ...home.env, ...env }, cwd: home.dir });
  beforeAll(async () => {
    home = await tempHome();
  });
  afterAll(async () => {
    await home?.cleanup();
  });

  it('--version prints the version; help and --help print the usage and exit 0', async () => {
    const version = await cli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `hiredb ${VERSION}\n` });
    for (const args of [['help'], ['--help'], ['-h']]) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(0);
      for (const c of COMMANDS) expect(res.stdout).toContain(`  ${c} `);
    }
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^Usage: hiredb/);
  });

  it('every command answers --help with its own usage, touching no database', async () => {
    const results = await Promise.all(COMMANDS.map((c) => cli([c, '--help'])));
    results.forEach((res, i) => {
      expect(res.code, COMMANDS[i]).toBe(0);
      expect(res.stdout, COMMANDS[i]).toMatch(new RegExp(`^Usage: hiredb ${COMMANDS[i]}`));
      expect(res.stderr, COMMANDS[i]).toBe('');
    });
    expect((await cli(['help', 'load'])).stdout).toMatch(/^Usage: hiredb load <file\.\.\.>/);
    expect(existsSync(home.dbFile)).toBe(false);
  });

  it('an option a command does not take, a missing value, and extra arguments are errors that name them', async () => {
    const [unknown, noValue, extra, bogus, format] = await Promise.all([
      cli(['tasks', '--year', '2021']),
      cli(['report', 'hired-by-quarter', '--year']),
      cli(['migrate', 'extra']),
      cli(['report', 'bogus']),
      cli(['report', 'hired-by-quarter', '--format', 'xml']),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('tasks: unknown option --year');
    expect(noValue.code).toBe(1);
    expect(noValue.stderr).toContain('--year');
    expect(extra.code).toBe(1);
    expect(extra.stderr).toContain('unexpected argument "extra"');
    expect(bogus.stderr).toContain('unknown report "bogus"; expected hired-by-quarter or hiring-above-average');
    expect(format.stderr).toContain('unknown format "xml"');
    expect(existsSync(home.dbFile)).toBe(false);
  });

  it('read-only commands refuse a SQLite file that does not exist instead of creating one; sqlite: needs a path', async () => {
    const typo = join(home.dir, 'typo', 'dir', 'x.sqlite');
    for (const args of [['tasks'], ['rejects', '1'], ['report', 'hired-by-quarter']]) {
      const res = await cli(args, { DATABASE_URL: `sqlite:${typo}` });
      expect(res.code, args[0]).toBe(1);
      expect(res.stderr, args[0]).toContain(`no database at ${typo}`);
    }
    expect(existsSync(join(home.dir, 'typo'))).toBe(false);
    const empty = await cli(['tasks'], { DATABASE_URL: 'sqlite:' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('DATABASE_URL');
  });

  it('`hiredb … | head` exits 0 quietly when the reader closes the pipe', async () => {
    const file = join(home.dir, 'departments_bad.csv');
    writeFileSync(file, Array.from({ length: 30_000 }, (_, i) => `x${i},\n`).join(''));
    expect((await cli(['load', file, '--json'])).code).toBe(0);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [HIREDB_BIN, 'rejects', '1'], { cwd: home.dir, env: { ...process.env, ...home.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout.once('data', () => child.stdout.destroy()); // like `head -1`
      child.once('close', (code) => resolve({ code, stderr }));
    });
    expect(result).toEqual({ code: 0, stderr: '' });
  });

  it('serve on a port in use exits non-zero at once with a message naming it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = await runCli(['serve'], { env: { ...home.env, PORT: String(port) }, cwd: home.dir, timeoutMs: 15_000 });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the address is in use`);
    } finally {
      blocker.close();
    }
  });
});
