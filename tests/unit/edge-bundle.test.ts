import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { renderBundle } from '../../sql/build-bundle.ts';

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
/** Modules the edge entry must never reach: they need a file system, native code or threads. */
const FORBIDDEN_OWN_IMPORTS = /^(node:)?(fs|fs\/promises|worker_threads|child_process)$/;

describe('the edge entry point', () => {
  it('bundles for Cloudflare Workers without better-sqlite3, the local folder, threads or a file system of ours', async () => {
    const result = await build({
      entryPoints: ['worker/entry/workers.ts'],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['browser', 'module', 'main'],
      external: [...NODE_BUILTINS, 'cloudflare:*', 'pg-native'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('worker/app.ts');
    expect(inputs.filter((p) => /better-sqlite3|sqlite\.database|local-folder|run-task|prepare-|loader\//.test(p))).toEqual([]);

    const ownImports = Object.entries(result.metafile.inputs)
      .filter(([path]) => !path.startsWith('node_modules/'))
      .flatMap(([path, input]) => input.imports.map((i) => ({ from: path, path: i.path })))
      .filter((i) => FORBIDDEN_OWN_IMPORTS.test(i.path));
    expect(ownImports).toEqual([]);
  });
});

describe('the bundled migrations', () => {
  it('are the sql/<dialect>/*.sql files as they are now (run `npm run sql:bundle` after editing one)', () => {
    expect(readFileSync('sql/bundle.generated.ts', 'utf8')).toBe(renderBundle());
  });
});
