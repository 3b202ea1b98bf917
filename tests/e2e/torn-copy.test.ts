// A large file copied into the local Blob folder while `hiredb serve` polls it: written in chunks, each cut
// inside a value ("130" cut after "13"), with the next chunk written only once the loader has polled and
// seen the file at its current size. The file is queued only once complete, so the end state equals
// loading the complete file once: no partial version is queued and no truncated value is stored.
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { runCli, startServer, tempHome, waitFor, type TempHome } from '../helpers/processes.ts';
import { hiresCsv, writeDimensions } from '../helpers/generated-files.ts';

const ROWS = 60_000;
const homes: TempHome[] = [];
afterAll(async () => {
  for (const h of homes) await h.cleanup();
});

function rowsOf(dbFile: string, sql: string): Record<string, unknown>[] {
  const db = new BetterSqlite3(dbFile, { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

interface TaskRow {
  id: number;
  file_name: string;
  file_version: string;
  status: string;
  inserted: number;
  processed: number;
  already_exists: number;
  rejected: number;
}
const tasksOf = (h: TempHome) => {
  try {
    return rowsOf(h.dbFile, 'SELECT * FROM tasks ORDER BY id') as unknown as TaskRow[];
  } catch {
    return [];
  }
};

it('a file copied into the Blob folder in chunks is loaded once, complete, with no torn record', async () => {
  const full = Buffer.from(hiresCsv(1, ROWS));
  // Cut points just after the "13" of a job_id 130, spread over the file.
  const cuts: number[] = [];
  for (const at of [0.01, 0.3, 0.6, 0.9]) {
    const i = full.indexOf(',130\n', Math.floor(full.length * at));
    cuts.push(i + 3);
  }
  expect(cuts.every((c) => full.subarray(c - 3, c + 2).toString() === ',130\n')).toBe(true);

  // The reference: the complete file loaded once.
  const ref = await tempHome();
  homes.push(ref);
  const refDir = await mkdtemp(join(tmpdir(), 'hiredb-torn-ref-'));
  const dims = await writeDimensions(refDir);
  await writeFile(join(refDir, 'hired_employees.csv'), full);
  const loaded = await runCli(['load', dims.departments, dims.jobs, join(refDir, 'hired_employees.csv'), '--json'], { env: ref.env, cwd: ref.dir, timeoutMs: 60_000 });
  await rm(refDir, { recursive: true, force: true });
  expect(loaded.code, loaded.stderr).toBe(0);
  const expected = JSON.parse(loaded.stdout.trim().split('\n')[2]);

  const h = await tempHome();
  homes.push(h);
  await mkdir(h.blobDir, { recursive: true });
  await writeDimensions(h.blobDir);
  const server = await startServer(['serve'], { env: h.env, cwd: h.dir });
  try {
    await waitFor('departments and jobs to load', async () => (tasksOf(h).filter((t) => t.status === 'done').length === 2 ? true : undefined), 30_000);

    const target = join(h.blobDir, 'hired_employees.csv');
    let written = 0;
    for (const end of [...cuts, full.length]) {
      const chunk = full.subarray(written, end);
      if (written === 0) await writeFile(target, chunk);
      else await appendFile(target, chunk);
      written = end;
      if (end === full.length) break;
      // The pause: until the loader has polled and seen the file at this size (or, without the stability
      // rule, queued this partial version).
      const seen = `"file":"hired_employees.csv","size":${written}`;
      await waitFor(`the loader to poll the file at ${written} bytes`, async () =>
        server.output().stderr.includes(seen) || tasksOf(h).some((t) => t.file_version.startsWith(`${written}-`)) ? true : undefined,
      20_000, 10);
    }

    const done = await waitFor('the complete file to load', async () =>
      tasksOf(h).find((t) => t.file_name === 'hired_employees.csv' && t.file_version.startsWith(`${full.length}-`) && t.status === 'done'),
    60_000);
    const hires = tasksOf(h).filter((t) => t.file_name === 'hired_employees.csv');
    // No partial version was ever queued.
    expect(hires.map((t) => t.file_version)).toEqual([done.file_version]);
    expect({ processed: done.processed, inserted: done.inserted, already_exists: done.already_exists, rejected: done.rejected }).toEqual({
      processed: expected.processed,
      inserted: expected.inserted,
      already_exists: expected.already_exists,
      rejected: expected.rejected,
    });
    // Every row as in the reference: in particular no job_id 130 stored as 13 at a cut.
    const sql = 'SELECT id, name, datetime, department_id, job_id FROM hired_employees ORDER BY id';
    expect(rowsOf(h.dbFile, sql)).toEqual(rowsOf(ref.dbFile, sql));
    const cutIds = cuts.map((c) => Number(full.subarray(full.lastIndexOf('\n', c) + 1, c).toString().split(',')[0]));
    const cutRows = rowsOf(h.dbFile, `SELECT id, job_id FROM hired_employees WHERE id IN (${cutIds.join(',')}) ORDER BY id`);
    expect(cutRows).toEqual(cutIds.map((id) => ({ id, job_id: 130 })));
  } finally {
    await server.stop();
  }
}, 180_000);
