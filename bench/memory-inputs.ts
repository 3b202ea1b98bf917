/**
 * The inputs of bench/memory.ts, written to a folder as they are made: departments and jobs, 300 records
 * of a million characters, a million rejects, and a million ids scattered over 1..2^31-1 (and 1..1,000,000).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { prng } from './generate.ts';

export interface MemorySizes {
  longRecords: number;
  longChars: number;
  rejects: number;
  ids: number;
}


/** Writes lines to a file as they are made, waiting for the disk when its buffer is full. */
async function writeLines(file: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  for (let i = 0; i < count; i++) {
    if (!out.write(line(i) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const DATETIME = '2021-03-01T09:00:00Z';

export async function makeInputs(dir: string, sizes: MemorySizes) {
  const files = {
    departments: join(dir, 'departments.csv'),
    jobs: join(dir, 'jobs.csv'),
    long: join(dir, 'hired_employees_long.csv'),
    rejects: join(dir, 'hired_employees_rejects.csv'),
    sparse: join(dir, 'hired_employees_sparse.csv'),
    dense: join(dir, 'hired_employees_dense.csv'),
  };
  await writeLines(files.departments, 12, (i) => `${i + 1},Department ${i + 1}`);
  await writeLines(files.jobs, 183, (i) => `${i + 1},Job ${i + 1}`);
  // A record of exactly longChars characters: most of it one name.
  await writeLines(files.long, sizes.longRecords, (i) => {
    const head = `${i + 1},`;
    const tail = `,${DATETIME},1,1`;
    return head + 'x'.repeat(sizes.longChars - head.length - tail.length) + tail;
  });
  // Every row rejected (no name), each one a reject to export.
  await writeLines(files.rejects, sizes.rejects, (i) => `${i + 1},,${DATETIME},${1 + (i % 12)},${1 + (i % 183)}`);
  // Distinct random ids over the whole id range, in random order.
  const random = prng(7);
  const seen = new Set<number>();
  const sparse: number[] = [];
  while (sparse.length < sizes.ids) {
    const id = 1 + Math.floor(random() * 2_147_483_647);
    if (!seen.has(id)) {
      seen.add(id);
      sparse.push(id);
    }
  }
  seen.clear();
  const row = (id: number, i: number) => `${id},Person ${i},${DATETIME},${1 + (i % 12)},${1 + (i % 183)}`;
  await writeLines(files.sparse, sizes.ids, (i) => row(sparse[i], i));
  await writeLines(files.dense, sizes.ids, (i) => row(i + 1, i));
  return files;
}
