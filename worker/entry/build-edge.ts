/**
 * The edge build: `npm run edge:build` bundles worker/entry/workers.ts into dist/edge/worker.mjs, the
 * one module wrangler deploys and the workerd tests run. It targets workerd with `nodejs_compat`:
 * - Node's builtins stay imports, always as `node:<name>` (the form workerd resolves);
 * - CommonJS packages (pg) call `require('events')`: a module-level `require` answers them with
 *   `process.getBuiltinModule`, which workerd provides under nodejs_compat;
 * - the Azure SDK's Node build is used (its browser build needs `document` and refuses account keys);
 *   it imports `node:tty` for terminal colours in its logger, which workerd lacks, so that import gets an
 *   inert stand-in, and it reads `import.meta.url`, which a bundled module has no use for.
 */
import { builtinModules } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EDGE_ENTRY = resolve(ROOT, 'worker/entry/workers.ts');
export const EDGE_OUTFILE = resolve(ROOT, 'dist/edge/worker.mjs');

/** Builtins workerd does not offer under nodejs_compat, with what stands in for them. */
const STUBS: Record<string, string> = {
  tty: 'export const isatty = () => false; export default { isatty };',
};

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/** `events`, `node:events` and `events/…` subpaths become external `node:` imports; stubs are inlined. */
const nodeBuiltins: Plugin = {
  name: 'node-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!BUILTINS.has(name)) return undefined;
      if (name in STUBS) return { path: name, namespace: 'node-stub' };
      return { path: `node:${name}`, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({ contents: STUBS[args.path], loader: 'js' }));
  },
};

const REQUIRE_SHIM = `var require = (id) => {
  const found = globalThis.process?.getBuiltinModule?.(String(id));
  if (found === undefined) throw new Error(\`Cannot find module '\${id}'\`);
  return found;
};`;

/** Bundles the workers entry; writes `outfile` unless `write: false`. Resolves with the metafile. */
export async function buildEdge(opts: { outfile?: string; write?: boolean } = {}): Promise<{ metafile: Metafile; code?: string }> {
  const outfile = opts.outfile ?? EDGE_OUTFILE;
  const write = opts.write ?? true;
  if (write) await mkdir(dirname(outfile), { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [EDGE_ENTRY],
    outfile,
    bundle: true,
    write,
    metafile: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'node'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*', 'pg-native'],
    plugins: [nodeBuiltins],
    banner: { js: REQUIRE_SHIM },
    define: { 'import.meta.url': '"file:///worker.mjs"' },
    legalComments: 'none',
    logLevel: 'warning',
  });
  return { metafile: result.metafile, code: result.outputFiles?.[0]?.text };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { metafile } = await buildEdge();
  const bytes = Object.values(metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stderr.write(`built ${EDGE_OUTFILE} (${Math.round(bytes / 1024)} KiB)\n`);
}
