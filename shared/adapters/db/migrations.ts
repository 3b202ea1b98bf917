import { MIGRATIONS } from '../../../sql/bundle.generated.ts';
import { fileVersionKey, type FileVersion } from '../../domain/task.ts';

export interface Migration {
  version: string;
  sql: string;
}

/** The numbered migrations of `sql/<dialect>/`, in order (bundled, so no file system is needed). */
export function readMigrations(dialect: 'sqlite' | 'postgres' | 'mssql'): readonly Migration[] {
  return MIGRATIONS[dialect];
}

/** Key that makes enqueueing the same file version (and slice) twice a no-op. */
export function taskDedupeKey(t: { file_name: string; file_version: string; slice_start?: number | null; slice_limit?: number | null }): string {
  return [t.file_name, t.file_version, t.slice_start ?? '', t.slice_limit ?? ''].join('\u001f');
}

/** The dedupe key of each version's whole-file task (by `keyOf`, the dialect's form of it) → its fileVersionKey. */
export function wholeFileKeys(files: readonly FileVersion[], keyOf: (f: FileVersion) => string = taskDedupeKey): Map<string, string> {
  return new Map(files.map((f) => [keyOf(f), fileVersionKey(f)]));
}
