/**
 * `npm run serve:deno [-- --no-loader] [-- --sample]`: runs the Deno binary of the `deno` npm package on
 * worker/entry/deno.ts with HireDB's permissions, in this environment (the settings of `hiredb serve`),
 * passing SIGINT and SIGTERM on so that it stops as `hiredb serve` does.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DENO_ENTRY = fileURLToPath(new URL('./deno.ts', import.meta.url));
const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What HireDB needs from Deno (also the `deno.json` tasks): the network (HTTP, PostgreSQL, Azure), the
 * environment (its settings), reading its sources and files, writing the SQLite file and the Blob folder,
 * the OS release (the Azure SDK's user agent) and the host name (a loader's owner name). No subprocesses.
 */
export const DENO_PERMISSIONS = ['--allow-net', '--allow-env', '--allow-read', '--allow-write', '--allow-sys=osRelease,hostname'];

/** The Deno executable that the `deno` devDependency installed for this platform (`@deno/<os>-<arch>[-glibc]`). */
export function denoBinary(): string {
  const require = createRequire(import.meta.url);
  const libc = process.platform === 'linux' ? '-glibc' : '';
  const pkg = `@deno/${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}${libc}`;
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`no Deno binary for ${process.platform}-${process.arch} (${pkg}): run npm install with dev dependencies`);
  }
  const exe = join(dir, process.platform === 'win32' ? 'deno.exe' : 'deno');
  if (!existsSync(exe)) throw new Error(`${pkg} holds no ${exe}: run npm install with dev dependencies`);
  return exe;
}

/** The arguments that run HireDB on Deno: `deno run --node-modules-dir=manual <permissions> worker/entry/deno.ts …args`. */
export function denoServeArgs(args: string[] = []): string[] {
  return ['run', '--node-modules-dir=manual', `--config=${join(REPO_DIR, 'deno.json')}`, ...DENO_PERMISSIONS, DENO_ENTRY, ...args];
}

/** Starts HireDB on Deno with `env` as its whole environment (plus PATH and HOME), in `cwd`. */
export function startDeno(opts: { env: Record<string, string | undefined>; args?: string[]; cwd?: string; stdio?: StdioOptions }): ChildProcess {
  return spawn(denoBinary(), denoServeArgs(opts.args), {
    cwd: opts.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...opts.env },
    stdio: opts.stdio ?? 'inherit',
  });
}

async function main(): Promise<void> {
  const child = startDeno({ env: process.env, args: process.argv.slice(2) });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
