#!/usr/bin/env node
// Runs the TypeScript sources directly, so `npx hiredb` works right after `npm install`.
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

// A load holds only a few batches at a time, an export of rejects a few pages; a bounded heap makes V8
// collect early instead of growing towards its default limit, which keeps a ten-million-row load (or a
// million-reject export) in constant, small memory.
if (['load', 'loader', 'rejects'].includes(process.argv[2]) && !process.execArgv.some((a) => a.startsWith('--max-old-space-size'))) {
  v8.setFlagsFromString('--max-old-space-size=128');
}
register();
await import('../loader/cli/main.ts');
