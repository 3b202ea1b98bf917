#!/usr/bin/env node
// Runs the compiled CLI in dist/node/ (`npm run build`, also run by npm install). When a source has changed
// since that build, or there is none, it is built first (esbuild, a fraction of a second), so what runs is
// always what is in the tree.
import { buildDist, buildErrorText, distState } from './build.mjs';

// A load holds only a few batches at a time, an export of rejects a few pages; a bounded heap makes V8
// collect early instead of growing towards its default limit, which keeps a ten-million-row load (or a
// million-reject export) in constant, small memory.
if (['load', 'loader', 'rejects'].includes(process.argv[2]) && !process.execArgv.some((a) => a.startsWith('--max-old-space-size'))) {
  (await import('node:v8')).setFlagsFromString('--max-old-space-size=128');
}

const state = distState();
if (state !== 'current') {
  try {
    await buildDist();
  } catch (e) {
    const why = state === 'missing' ? 'dist/node/ has not been built' : 'dist/node/ is older than the sources';
    process.stderr.write(`hiredb: ${why}, and building it failed; fix the sources and run npm run build:\n${buildErrorText(e)}\n`);
    process.exit(1);
  }
}
// Stack traces through the source maps: in the long-running commands, whose logs carry the stack of an
// unexpected error, and with HIREDB_DEBUG. Elsewhere they would cost every start ~15 ms (Node indexes
// each module's lines as it loads) for a trace that is not printed.
if (['serve', 'loader'].includes(process.argv[2]) || process.env.HIREDB_DEBUG) process.setSourceMapsEnabled(true);
await import('../dist/node/hiredb.js');
