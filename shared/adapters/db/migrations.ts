import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: string;
  sql: string;
}

/** The numbered `.sql` files of `sql/<dialect>/`, in order. */
export function readMigrations(dialect: 'sqlite' | 'postgres' | 'mssql'): Migration[] {
  const dir = fileURLToPath(new URL(`../../../sql/${dialect}/`, import.meta.url));
  return readdirSync(dir)
    .filter((f) => /^\d{3}_.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ''), sql: readFileSync(dir + f, 'utf8') }));
}

/** Key that makes enqueueing the same file version (and slice) twice a no-op. */
export function taskDedupeKey(t: { file_name: string; file_version: string; slice_start?: number | null; slice_limit?: number | null }): string {
  return [t.file_name, t.file_version, t.slice_start ?? '', t.slice_limit ?? ''].join('\u001f');
}
