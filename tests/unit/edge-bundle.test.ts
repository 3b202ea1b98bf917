import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { renderBundle } from '../../sql/build-bundle.ts';
import { buildEdge } from '../../worker/entry/build-edge.ts';
import { startWorkerd } from '../../worker/entry/serve-workerd.ts';
import { startAzurite } from '../helpers/azurite.ts';
import { freePort, waitFor } from '../helpers/processes.ts';

/** Modules the edge entry must never reach: they need a file system, native code or threads. */
const FORBIDDEN_OWN_IMPORTS = /^(node:)?(fs|fs\/promises|worker_threads|child_process)$/;

describe('the edge bundle (npm run edge:build)', () => {
  it('holds no better-sqlite3, local folder, threads or file system of ours, and imports builtins only as node:* (or cloudflare:*)', async () => {
    const { metafile } = await buildEdge({ write: false });
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('worker/app.ts');
    expect(inputs.filter((p) => /better-sqlite3|sqlite\.database|local-folder|run-task|prepare-|loader\//.test(p))).toEqual([]);

    const ownImports = Object.entries(metafile.inputs)
      .filter(([path]) => !path.includes('node_modules/'))
      .flatMap(([path, input]) => input.imports.map((i) => ({ from: path, path: i.path })))
      .filter((i) => FORBIDDEN_OWN_IMPORTS.test(i.path));
    expect(ownImports).toEqual([]);

    const external = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    expect(external.filter((p) => !/^(node|cloudflare):/.test(p) && p !== 'pg-native')).toEqual([]);
  });

  it('starts in workerd and serves the dashboard, opening no database connection for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hiredb-edge-'));
    const azurite = await startAzurite();
    let child: Awaited<ReturnType<typeof startWorkerd>> | undefined;
    try {
      await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('hiredb').create();
      const module = join(dir, 'worker.mjs');
      await buildEdge({ outfile: module });
      const port = await freePort();
      child = await startWorkerd({
        // Nothing listens on port 1: a request that touched the database would fail.
        env: { DATABASE_URL: 'postgres://hiredb@127.0.0.1:1/hiredb', AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
        host: '127.0.0.1',
        port,
        configFile: join(dir, 'workerd.capnp'),
        module,
        stdio: 'pipe',
      });
      let output = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
      const page = await waitFor(
        'workerd to answer GET /',
        async () => {
          if (child!.exitCode !== null) throw new Error(`workerd exited: ${output}`);
          const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(2_000) });
          return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
        },
        20_000,
        50,
      );
      expect(page.status, page.text).toBe(200);
      expect(page.type).toMatch(/^text\/html/);
      expect(page.text).toMatch(/\/assets\/dashboard\.[0-9a-f]+\.js/);
      expect(output).not.toMatch(/error/i);
    } finally {
      child?.kill('SIGKILL');
      await azurite.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the bundled migrations', () => {
  it('are the sql/<dialect>/*.sql files as they are now (run `npm run sql:bundle` after editing one)', () => {
    expect(readFileSync('sql/bundle.generated.ts', 'utf8')).toBe(renderBundle());
  });
});
