/**
 * Deterministic benchmark data: departments.csv and jobs.csv (the sample's 12 and 183 rows) and
 * hired_employees.csv with N rows, about 3.5% of them bad in the sample's ways (an empty name, datetime,
 * department_id or job_id) or with a department or job id that does not exist. hired_employees.clean.csv
 * holds only the valid rows: what the reference tools, which cannot validate, are given.
 *
 * Files are streamed to disk and cached by N under bench/out/data-<N>/ (a manifest written last marks a
 * complete set), so reruns reuse them. Also a script: node bin/run-ts.mjs bench/generate.ts --rows N
 */
import { createWriteStream, existsSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const REPO_DIR = fileURLToPath(new URL('../', import.meta.url));
export const OUT_DIR = join(REPO_DIR, 'bench', 'out');
const SAMPLE_DIR = join(REPO_DIR, 'data', 'sample');

/** Bump when the generated content changes, so cached files are rebuilt. */
const GENERATOR_VERSION = 1;
const SEED = 0x4_2021;
export const BAD_FRACTION = 0.035;

export type BadKind =
  | 'missing_name'
  | 'missing_datetime'
  | 'missing_department_id'
  | 'missing_job_id'
  | 'unknown_department'
  | 'unknown_job';

/** The kinds of bad rows and their shares among bad rows (the sample has only missing fields). */
const BAD_KINDS: [BadKind, number][] = [
  ['missing_name', 0.2],
  ['missing_datetime', 0.15],
  ['missing_department_id', 0.2],
  ['missing_job_id', 0.2],
  ['unknown_department', 0.125],
  ['unknown_job', 0.125],
];

export interface DataSet {
  dir: string;
  rows: number;
  cleanRows: number;
  badRows: number;
  badByKind: Record<BadKind, number>;
  departmentsFile: string;
  jobsFile: string;
  /** The raw file, with bad rows: what HireDB and pgloader get. */
  hiredFile: string;
  /** Only the valid rows: what sqlite3 .import and psql \copy get. */
  cleanFile: string;
  departments: number;
  jobs: number;
  bytes: number;
}

interface Manifest extends Omit<DataSet, 'dir' | 'departmentsFile' | 'jobsFile' | 'hiredFile' | 'cleanFile'> {
  version: number;
  seed: number;
  cleanBytes: number;
}

/** mulberry32: a small, fast, seeded 32-bit PRNG; the same seed gives the same files everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = (
  'Harold Ty Lyman Lotti Gretna Thia Ludvig Cirstoforo Beltran Jennine Kellia Carline Ahmad Theobald Bogey ' +
  'Tiertza Catha Bruno Dyanne Hetty Kaitlynn Letta Celeste Joaquin Shena Lionello Floria Lowell Colman Renee ' +
  'Merrily Phaidra Tildie Erv Berna Rozelle Jerrine Shell Sully Calhoun Paco Darelle Saxon Emmeline Niven ' +
  'Sigrid Bessy Mala Annabelle Theodore Marin Cesaro Cary Shaina Ana Wei Olu Priya Mateo Ingrid'
).split(' ');
const LAST = (
  'Vogt Hofer Hadye Crowthe Lording Morican Norwood Martinetto Natte Wapol Barribal Fryman Fader Tzarkov ' +
  'Hanwell Vanyashin Gowrie Pales Rainy Cawthery Rannald Paull Stops Kamenar Gore Andriesse Bineham Blaber ' +
  'Bleesing Bowe Dubbin Elby Fazan Grigorkin Hadleigh Hammerson Houdhury Huc Iacovolo Ivain Kenaway Lehmann ' +
  'MacGrath Mackrell Matysik Oakeby Reilly Sammut Slipper Solomon Tothe Wyldish Okafor Nakamura Silva Novak'
).split(' ');
const LAST_TWO_WORDS = ['Di Biaggi', 'van der Berg', 'de la Cruz', "O'Neill"];

const START_MS = Date.UTC(2020, 0, 1);
const SPAN_S = (Date.UTC(2023, 0, 1) - START_MS) / 1000;

function sampleLines(name: string): string[] {
  return readFileSync(join(SAMPLE_DIR, name), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
}

/** Buffered writes with back-pressure: memory stays at one chunk per stream whatever N is. */
class ChunkWriter {
  private buf = '';
  constructor(private readonly stream: WriteStream) {}
  async add(line: string) {
    this.buf += line;
    if (this.buf.length >= 1 << 20) await this.flush();
  }
  async flush() {
    if (this.buf === '') return;
    const ok = this.stream.write(this.buf);
    this.buf = '';
    if (!ok) await new Promise<void>((r) => this.stream.once('drain', () => r()));
  }
  async close() {
    await this.flush();
    await new Promise<void>((res, rej) => this.stream.end((err?: Error | null) => (err ? rej(err) : res())));
  }
}

function pickBadKind(u: number): BadKind {
  let acc = 0;
  for (const [kind, share] of BAD_KINDS) {
    acc += share;
    if (u < acc) return kind;
  }
  return BAD_KINDS[BAD_KINDS.length - 1][0];
}

/** Writes (or reuses) the data set of `rows` rows under `outDir`/data-<rows>/. */
export async function generate(rows: number, opts: { outDir?: string; log?: (msg: string) => void } = {}): Promise<DataSet> {
  if (!Number.isSafeInteger(rows) || rows < 1) throw new RangeError(`rows must be a positive integer, got ${rows}`);
  const dir = join(opts.outDir ?? OUT_DIR, `data-${rows}`);
  const files = {
    departmentsFile: join(dir, 'departments.csv'),
    jobsFile: join(dir, 'jobs.csv'),
    hiredFile: join(dir, 'hired_employees.csv'),
    cleanFile: join(dir, 'hired_employees.clean.csv'),
  };
  const manifestFile = join(dir, 'manifest.json');

  if (existsSync(manifestFile)) {
    const m = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    const intact =
      m.version === GENERATOR_VERSION &&
      m.rows === rows &&
      Object.values(files).every((f) => existsSync(f)) &&
      statSync(files.hiredFile).size === m.bytes &&
      statSync(files.cleanFile).size === m.cleanBytes;
    if (intact) return { dir, ...files, ...stripManifest(m) };
  }

  opts.log?.(`generating ${rows.toLocaleString('en-US')} rows into ${dir}`);
  await mkdir(dir, { recursive: true });
  const departments = sampleLines('departments.csv');
  const jobs = sampleLines('jobs.csv');
  await writeFile(files.departmentsFile, departments.join('\n') + '\n');
  await writeFile(files.jobsFile, jobs.join('\n') + '\n');

  const rand = prng(SEED);
  const int = (n: number) => Math.floor(rand() * n); // 0..n-1
  const raw = new ChunkWriter(createWriteStream(files.hiredFile + '.part'));
  const clean = new ChunkWriter(createWriteStream(files.cleanFile + '.part'));
  const badByKind = Object.fromEntries(BAD_KINDS.map(([k]) => [k, 0])) as Record<BadKind, number>;
  let badRows = 0;
  let bytes = 0;
  let cleanBytes = 0;

  for (let id = 1; id <= rows; id++) {
    const last = rand() < 0.02 ? LAST_TWO_WORDS[int(LAST_TWO_WORDS.length)] : LAST[int(LAST.length)];
    let name = `${FIRST[int(FIRST.length)]} ${last}`;
    let datetime = new Date(START_MS + int(SPAN_S) * 1000).toISOString().slice(0, 19) + 'Z';
    let department = String(1 + int(departments.length));
    let job = String(1 + int(jobs.length));
    const bad = rand() < BAD_FRACTION;
    if (bad) {
      const kind = pickBadKind(rand());
      badByKind[kind]++;
      badRows++;
      switch (kind) {
        case 'missing_name':
          name = '';
          break;
        case 'missing_datetime':
          datetime = '';
          break;
        case 'missing_department_id':
          department = '';
          break;
        case 'missing_job_id':
          job = '';
          break;
        case 'unknown_department':
          department = rand() < 0.5 ? String(departments.length + 1) : '999';
          break;
        case 'unknown_job':
          job = rand() < 0.5 ? String(jobs.length + 1) : '999';
          break;
      }
    }
    const line = `${id},${name},${datetime},${department},${job}\n`;
    bytes += Buffer.byteLength(line);
    await raw.add(line);
    if (!bad) {
      cleanBytes += Buffer.byteLength(line);
      await clean.add(line);
    }
  }
  await raw.close();
  await clean.close();
  await rename(files.hiredFile + '.part', files.hiredFile);
  await rename(files.cleanFile + '.part', files.cleanFile);

  const manifest: Manifest = {
    version: GENERATOR_VERSION,
    seed: SEED,
    rows,
    cleanRows: rows - badRows,
    badRows,
    badByKind,
    departments: departments.length,
    jobs: jobs.length,
    bytes,
    cleanBytes,
  };
  await writeFile(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  return { dir, ...files, ...stripManifest(manifest) };
}

function stripManifest(m: Manifest) {
  const { version: _v, seed: _s, cleanBytes: _c, ...rest } = m;
  return rest;
}

const isMain = process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' } } });
  const started = Date.now();
  const data = await generate(Number(values.rows), { log: (m) => process.stderr.write(m + '\n') });
  process.stdout.write(JSON.stringify({ ...data, seconds: (Date.now() - started) / 1000 }, null, 2) + '\n');
}
