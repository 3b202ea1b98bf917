import { randomBytes } from 'node:crypto';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * Disk space kept beside the database file, given back when a write finds the disk full: whatever stopped
 * a task, its end (`failed` with the error) can still be written. SQLite in WAL mode appends every change,
 * even a one-row UPDATE, to the -wal file, so on a full disk nothing at all could be recorded otherwise.
 */
export const DISK_RESERVE_BYTES = 256 * 1024;

export interface DiskReserve {
  /** Frees the space (once; later calls do nothing). */
  release(): void;
}

/**
 * `<file>-reserve`, created when the database is opened and missing (random bytes, so that a compressing
 * file system stores all of them). When the disk has no room even for it, there is none: best effort.
 */
export function diskReserve(file: string): DiskReserve {
  const path = `${file}-reserve`;
  let held = existsSync(path);
  if (!held) {
    try {
      writeFileSync(path, randomBytes(DISK_RESERVE_BYTES));
      held = true;
    } catch {
      try {
        unlinkSync(path); // a partly written reserve would hold what little room there is
      } catch {}
    }
  }
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        unlinkSync(path);
      } catch {}
    },
  };
}
