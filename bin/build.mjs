#!/usr/bin/env node
/**
 * Compiles the TypeScript sources into dist/node/ with esbuild: `npm run build`, which npm also runs on
 * install (`prepare`). Two outputs:
 *   - hiredb.js, the CLI, with every command's modules in chunks of their own that load when the command
 *     runs (so `hiredb --help` reads none of them);
 *   - prepare-thread.js, the parse thread, one file, which `new Worker` starts as it is.
 * Packages stay external (node_modules resolve as usual); linked source maps keep stack traces readable.
 * build.json records the sources it read with their modification times, so bin/hiredb.mjs can tell when
 * one has changed since (or gone away).
 *
 * The output sits two folders below the repository, as the sources do (loader/cli/, shared/service/):
 * URLs made from import.meta.url (the sample data, the parse thread) resolve the same from either.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist', 'node');
const STAMP = join(DIST, 'build.json');
const STAMP_FORMAT = 2;

/** 'current', 'missing' (never built) or 'stale' (a source it was built from changed or went away). */
export function distState() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return 'missing';
  }
  if (stamp?.format !== STAMP_FORMAT || typeof stamp.inputs !== 'object' || stamp.inputs === null) return 'stale';
  for (const [input, mtimeMs] of Object.entries(stamp.inputs)) {
    if (statSync(join(ROOT, input), { throwIfNoEntry: false })?.mtimeMs !== mtimeMs) return 'stale';
  }
  return 'current';
}

/**
 * Each input's modification time as the build saw it. A file modified while the build ran may have been
 * read before the change: it is recorded as null, so the next run builds again. (Comparing times for
 * equality, not against the build's start, also keeps a file dated in the future from forcing a build
 * on every run.)
 */
function inputTimes(inputs, startedAt) {
  const now = Date.now();
  const times = {};
  for (const input of [...inputs].sort()) {
    const mtimeMs = statSync(join(ROOT, input), { throwIfNoEntry: false })?.mtimeMs ?? null;
    times[input] = mtimeMs === null || (mtimeMs > startedAt && mtimeMs <= now) ? null : mtimeMs;
  }
  return times;
}

const COMMON = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  write: false,
  logLevel: 'silent',
};

/**
 * Builds dist/node/. Each file is written under a temporary name and renamed, build.json last, so a
 * process starting meanwhile sees the old build or the new one, never half of one. `clean` removes the
 * files of earlier builds; a rebuild on the fly keeps them, since a running process may still load one
 * of its chunks.
 */
export async function buildDist({ clean = false } = {}) {
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const [cli, thread] = await Promise.all([
    build({ ...COMMON, entryPoints: { hiredb: 'loader/cli/main.ts' }, outdir: DIST, splitting: true, chunkNames: '[name]-[hash]' }),
    build({ ...COMMON, entryPoints: { 'prepare-thread': 'shared/service/prepare-thread.ts' }, outdir: DIST }),
  ]);
  const outputs = [...cli.outputFiles, ...thread.outputFiles];
  // Besides the sources: this script and tsconfig.json (esbuild reads its compiler options) shape the output.
  const inputs = new Set([relative(ROOT, fileURLToPath(import.meta.url))]);
  if (existsSync(join(ROOT, 'tsconfig.json'))) inputs.add('tsconfig.json');
  for (const result of [cli, thread]) for (const input of Object.keys(result.metafile.inputs)) inputs.add(input);

  mkdirSync(DIST, { recursive: true });
  const temp = (path) => `${path}.${process.pid}.tmp`;
  for (const file of outputs) {
    writeFileSync(temp(file.path), file.contents);
    renameSync(temp(file.path), file.path);
  }
  writeFileSync(temp(STAMP), JSON.stringify({ format: STAMP_FORMAT, startedAt, inputs: inputTimes(inputs, startedAt) }, null, 1));
  renameSync(temp(STAMP), STAMP);
  if (clean) {
    const keep = new Set([STAMP, ...outputs.map((f) => f.path)]);
    for (const name of readdirSync(DIST)) if (!keep.has(join(DIST, name))) rmSync(join(DIST, name), { force: true });
  }
  return { ms: Date.now() - startedAt, files: outputs.length };
}

/** An esbuild failure lists every error with its file and line; anything else is shown as it is. */
export function buildErrorText(e) {
  if (Array.isArray(e?.errors) && e.errors.length > 0) {
    return e.errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text)).join('\n');
  }
  return e instanceof Error ? e.message : String(e);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { ms, files } = await buildDist({ clean: true });
    process.stderr.write(`built ${relative(process.cwd(), DIST) || '.'}: ${files} files in ${ms} ms\n`);
  } catch (e) {
    process.stderr.write(`build failed:\n${buildErrorText(e)}\n`);
    process.exitCode = 1;
  }
}
