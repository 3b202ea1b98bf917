// `bin/hiredb.mjs` runs the compiled dist/node/: built when missing, rebuilt once when a source is newer,
// left alone when current, and a source that does not compile is a clear error. Each case works on a
// copy of the sources, so the build the other tests use is never touched.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR } from '../helpers/processes.ts';

function run(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: tmpdir(), env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('bin/hiredb.mjs and dist/node/', () => {
  let copy: string;
  let bin: string;
  const stamp = () => JSON.parse(readFileSync(join(copy, 'dist', 'node', 'build.json'), 'utf8')) as { startedAt: number; inputs: Record<string, number | null> };
  const versionFile = () => join(copy, 'shared', 'version.ts');

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'hiredb-build-'));
    for (const dir of ['bin', 'loader', 'shared', 'worker', 'sql', 'data']) cpSync(join(REPO_DIR, dir), join(copy, dir), { recursive: true });
    cpSync(join(REPO_DIR, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(REPO_DIR, 'node_modules'), join(copy, 'node_modules'));
    bin = join(copy, 'bin', 'hiredb.mjs');
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('builds dist/node/ on the first run when it is missing, then runs it', async () => {
    expect(existsSync(join(copy, 'dist'))).toBe(false);
    const res = await run(bin, ['--version']);
    expect(res, res.stderr).toMatchObject({ code: 0, stdout: `hiredb ${JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')).version}\n` });
    expect(existsSync(join(copy, 'dist', 'node', 'hiredb.js'))).toBe(true);
    expect(existsSync(join(copy, 'dist', 'node', 'prepare-thread.js'))).toBe(true);
    expect(Object.keys(stamp().inputs)).toContain('shared/version.ts');
  });

  it('runs the current build as it is, compiling nothing', async () => {
    const before = stamp().startedAt;
    const res = await run(bin, ['--help']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('Usage: hiredb <command>');
    expect(stamp().startedAt).toBe(before);
  });

  it('rebuilds once when a source has changed since the build, and runs the new code', async () => {
    const before = stamp().startedAt;
    writeFileSync(versionFile(), "export const VERSION = '9.9.9-edited';\n");
    const later = new Date(before + 2_000);
    utimesSync(versionFile(), later, later); // unlike the build's record whatever the clock's resolution, and in the future
    const res = await run(bin, ['--version']);
    expect(res, res.stderr).toMatchObject({ code: 0, stdout: 'hiredb 9.9.9-edited\n' });
    expect(stamp().startedAt).toBeGreaterThan(before);
    const again = stamp().startedAt;
    expect((await run(bin, ['--version'])).stdout).toBe('hiredb 9.9.9-edited\n');
    expect(stamp().startedAt).toBe(again);
  });

  it('a source that does not compile stops with the error and names npm run build', async () => {
    writeFileSync(versionFile(), "export const VERSION = '1.0.0'\nexport const = ;\n");
    const later = new Date(stamp().startedAt + 2_000);
    utimesSync(versionFile(), later, later);
    const res = await run(bin, ['--version']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('dist/node/ is older than the sources, and building it failed');
    expect(res.stderr).toContain('npm run build');
    expect(res.stderr).toMatch(/shared\/version\.ts:2:\d+: /);
  });
});
