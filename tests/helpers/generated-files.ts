/** Generated CSV files for the file-version and stopping tests: dimensions, and hires of any length. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEPARTMENTS = 12;
export const JOBS = 200;

export function departmentsCsv(): string {
  let out = '';
  for (let i = 1; i <= DEPARTMENTS; i++) out += `${i},Department ${i}\n`;
  return out;
}

export function jobsCsv(): string {
  let out = '';
  for (let i = 1; i <= JOBS; i++) out += `${i},Job ${i}\n`;
  return out;
}

/** One hire line; every tenth has job 130 so a cut inside "130" leaves a valid-looking "13". A few lines are rejects. */
export function hireLine(i: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const job = i % 10 === 0 ? 130 : 1 + ((i * 7) % JOBS);
  if (i % 997 === 0) return `${i},,2021-${pad(1 + (i % 12))}-01T10:00:00Z,1,${job}`; // missing_name
  return `${i},Person ${i},2021-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}T${pad(i % 24)}:00:00Z,${1 + (i % DEPARTMENTS)},${job}`;
}

export function hiresCsv(from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i <= to; i++) lines.push(hireLine(i));
  return lines.join('\n') + '\n';
}

/** Writes departments.csv and jobs.csv into `dir`; returns their paths. */
export async function writeDimensions(dir: string): Promise<{ departments: string; jobs: string }> {
  const departments = join(dir, 'departments.csv');
  const jobs = join(dir, 'jobs.csv');
  await writeFile(departments, departmentsCsv());
  await writeFile(jobs, jobsCsv());
  return { departments, jobs };
}
