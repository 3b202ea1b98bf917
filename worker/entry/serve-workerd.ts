/**
 * `npm run serve:workerd`: builds the edge bundle, writes a workerd config for it next to it
 * (dist/edge/workerd.capnp) and runs the workerd binary of the `workerd` npm package on it, with the
 * bindings taken from this environment: DATABASE_URL (postgres://), AZURE_STORAGE_CONNECTION_STRING,
 * AZURE_BLOB_CONTAINER, HIREDB_PUBLIC_REPORTS; it listens on HOST:PORT (default 127.0.0.1:8787).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildEdge, EDGE_OUTFILE } from './build-edge.ts';
import { edgeSettings } from './edge-settings.ts';
import { EDGE_BINDINGS, workerdConfig } from './workerd-config.ts';

/** The workerd executable that the `workerd` devDependency installed for this platform. */
export function workerdBinary(): string {
  const found = (createRequire(import.meta.url)('workerd') as { default?: string }).default;
  if (!found) throw new Error('the workerd package has no binary for this platform: run npm install (with dev dependencies)');
  return found;
}

export interface WorkerdOptions {
  /** The worker's bindings (at least DATABASE_URL and AZURE_STORAGE_CONNECTION_STRING). */
  env: Record<string, string | undefined>;
  host: string;
  port: number;
  /** Where the config is written; its folder must be where `module` can be reached from. */
  configFile: string;
  /** The bundle (default dist/edge/worker.mjs, which must have been built). */
  module?: string;
  schedulerPort?: number;
  stdio?: 'inherit' | 'pipe' | 'ignore';
}

/**
 * Writes the config and starts workerd on it. Throws, before starting anything, when the settings
 * cannot work (the same checks the worker makes on its first request).
 */
export async function startWorkerd(opts: WorkerdOptions): Promise<ChildProcess> {
  edgeSettings(opts.env);
  const module = opts.module ?? EDGE_OUTFILE;
  const config = workerdConfig({
    module: relative(dirname(opts.configFile), module),
    host: opts.host,
    port: opts.port,
    schedulerPort: opts.schedulerPort,
  });
  await writeFile(opts.configFile, config);
  const bindings: Record<string, string> = {};
  for (const name of EDGE_BINDINGS) {
    const value = opts.env[name];
    if (value !== undefined) bindings[name] = value;
  }
  // workerd sees only what the worker is bound to (and PATH): nothing else of this environment.
  // The scheduler sends real scheduled events over its service binding, which workerd gates behind --experimental.
  const flags = opts.schedulerPort === undefined ? [] : ['--experimental'];
  return spawn(workerdBinary(), ['serve', ...flags, opts.configFile], {
    env: { PATH: process.env.PATH ?? '', ...bindings },
    stdio: opts.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : (opts.stdio ?? 'inherit'),
  });
}

/** PORT and HOST as `hiredb serve` reads them. */
export function listenAddress(env: Record<string, string | undefined>): { host: string; port: number } {
  const host = env.HOST?.trim() || '127.0.0.1';
  const portText = env.PORT?.trim() || '8787';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`PORT="${portText}" must be an integer from 0 to 65535`);
  return { host, port };
}

async function main(): Promise<void> {
  let address: { host: string; port: number };
  try {
    address = listenAddress(process.env);
    edgeSettings(process.env);
  } catch (err) {
    process.stderr.write(`serve:workerd: ${(err as Error).message}\n`);
    process.exit(2);
  }
  await buildEdge();
  const child = await startWorkerd({ env: process.env, ...address, configFile: join(dirname(EDGE_OUTFILE), 'workerd.capnp') });
  process.stderr.write(`HireDB on workerd: http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
