// Hostile text loaded through the real task runner (worker thread included) on SQLite and PostgreSQL:
// a NUL, a lone surrogate, invalid UTF-8, a 2 MiB record, an unterminated quote mid-file, Latin-1,
// UTF-16 and gzip. Every database ends with the same tables and the same rejects.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFiles } from '../../loader/cli/load.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { TEST_DATABASES, openTestDatabase } from '../helpers/databases.ts';

const enc = new TextEncoder();
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(enc.encode(p)) : Buffer.from(p))));

/** One departments file with every kind of hostile text in it (a lone surrogate in UTF-8 is the bytes ED A0 80). */
const HOSTILE_FILE = bytes(
  'id,department\n1,Sales\n2,Nul\u0000Inside\n',
  '3,Lone ', [0xed, 0xa0, 0x80], ' surrogate\n',
  '4,Bad ', [0xc3, 0x28], ' bytes\n',
  `5,${'x'.repeat(2 * 1024 * 1024)}\n`,
  '6,"never closed\n7,Engineering\n8,Caf\u00e9\n',
);

const EXPECTED_ROWS = [
  { id: 1, department: 'Sales' },
  { id: 7, department: 'Engineering' },
  { id: 8, department: 'Café' },
];
const EXPECTED_REJECTS = [
  { line: 3, id: '2', raw: '2,Nul\\u0000Inside', reasons: ['invalid_character'] },
  { line: 4, id: '3', raw: '3,Lone \\xED\\xA0\\x80 surrogate', reasons: ['invalid_encoding'] },
  { line: 5, id: '4', raw: '4,Bad \\xC3( bytes', reasons: ['invalid_encoding'] },
  { line: 6, id: '5', raw: `5,${'x'.repeat(1022)}`, reasons: ['record_too_long'] },
  { line: 7, id: '6', raw: '6,"never closed', reasons: ['unterminated_quote'] },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hiredb-text-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(db: Database, name: string, content: Uint8Array, encoding?: 'latin1' | 'utf-16le') {
  const path = join(dir, name);
  await writeFile(path, content);
  const [result] = await loadFiles(db, [path], { batchSize: 1000, leaseMs: 30_000, progress: false, encoding });
  const { rejects } = await db.tasks.rejects(result.task_id, { limit: 100, offset: 0 });
  return { result, rejects: rejects.map((r) => ({ line: r.line, id: r.id, raw: r.raw, reasons: r.reasons })) };
}

const departments = async (t: { query(sql: string): Promise<Record<string, unknown>[]> }) =>
  (await t.query('SELECT id, department FROM departments ORDER BY id')).map((r) => ({ id: Number(r.id), department: r.department }));

describe.each(TEST_DATABASES)('hostile text on %s', (kind) => {
  it('rejects each bad record with its reason and lossless raw text, and loads the rest', async () => {
    const t = await openTestDatabase(kind);
    try {
      const { result, rejects } = await load(t.db, 'departments_hostile.csv', HOSTILE_FILE);
      expect(result).toMatchObject({ processed: 8, inserted: 3, already_exists: 0, rejected: 5 });
      expect(rejects).toEqual(EXPECTED_REJECTS);
      expect(await departments(t)).toEqual(EXPECTED_ROWS);
    } finally {
      await t.cleanup();
    }
  });

  it('a Latin-1 file with --encoding latin1, a UTF-16 file with a BOM and a .csv.gz file store the accented names', async () => {
    const t = await openTestDatabase(kind);
    try {
      const latin1 = Buffer.from('1,Caf\u00e9\n2,Ni\u00f1os\n', 'latin1');
      expect((await load(t.db, 'departments_l1.csv', latin1, 'latin1')).result).toMatchObject({ inserted: 2, rejected: 0 });
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('3,\u00c5rhus\r\n4,\u65e5\u672c\r\n', 'utf16le')]);
      expect((await load(t.db, 'departments_u16.csv', utf16)).result).toMatchObject({ inserted: 2, rejected: 0 });
      const gz = gzipSync(Buffer.from('5,Z\u00fcrich\n6,Legal\n'));
      expect((await load(t.db, 'departments_gz.csv.gz', gz)).result).toMatchObject({ inserted: 2, rejected: 0 });
      expect(await departments(t)).toEqual([
        { id: 1, department: 'Café' },
        { id: 2, department: 'Niños' },
        { id: 3, department: 'Århus' },
        { id: 4, department: '日本' },
        { id: 5, department: 'Zürich' },
        { id: 6, department: 'Legal' },
      ]);
    } finally {
      await t.cleanup();
    }
  });

  it('a Latin-1 file read as UTF-8 fails its task naming --encoding, and writes nothing', async () => {
    const t = await openTestDatabase(kind);
    try {
      const latin1 = Buffer.from(Array.from({ length: 20 }, (_, i) => `${i + 1},Caf\u00e9 ${i}\n`).join(''), 'latin1');
      const path = join(dir, 'departments_wrong.csv');
      await writeFile(path, latin1);
      await expect(loadFiles(t.db, [path], { batchSize: 5, leaseMs: 30_000, progress: false })).rejects.toThrow(
        /not in utf-8: 20 of its first 20 records.*--encoding.*LOAD_ENCODING/,
      );
      expect(await departments(t)).toEqual([]);
    } finally {
      await t.cleanup();
    }
  });
});
