import type { Config, DatabaseTimeouts } from '../config/config.ts';
import type { BlobStore } from '../ports/blob-store.port.ts';
import type { Database } from '../ports/database.port.ts';

/**
 * Opens the database DATABASE_URL names (or an Azure SQL ADO connection string) and applies migrations.
 * `mustExist` (read-only commands) refuses a SQLite file that is not there instead of creating it.
 */
export async function openDatabase(
  url: string,
  opts: { migrate?: boolean; mustExist?: boolean; timeouts?: DatabaseTimeouts } = {},
): Promise<Database> {
  let db: Database;
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (opts.mustExist && file !== ':memory:' && !(await isFile(file))) {
      throw new DatabaseMissingError(`no database at ${file} (DATABASE_URL=sqlite:${file}); hiredb migrate or hiredb load creates it`);
    }
    const { openSqliteDatabase } = await import('./db/sqlite.database.ts');
    db = openSqliteDatabase(file);
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPostgresDatabase } = await import('./db/postgres.database.ts');
    db = await openPostgresDatabase(url, { timeouts: opts.timeouts });
  } else {
    const { openMssqlDatabase } = await import('./db/mssql.database.ts');
    db = await openMssqlDatabase(url);
  }
  if (opts.migrate !== false) await db.migrate();
  return db;
}

export class DatabaseMissingError extends Error {
  override name = 'DatabaseMissingError';
}

async function isFile(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then((s) => s.isFile(), () => false);
}

/** The Blob container: Azure when AZURE_STORAGE_CONNECTION_STRING is set, the local folder otherwise. */
export async function openBlobStore(config: Config): Promise<BlobStore> {
  if (config.azureStorageConnectionString) {
    const { openAzureBlobStore } = await import('./blob/azure-blob.store.ts');
    return openAzureBlobStore({ connectionString: config.azureStorageConnectionString, container: config.azureBlobContainer });
  }
  const { openLocalFolderStore } = await import('./blob/local-folder.store.ts');
  return openLocalFolderStore(config.blobDir);
}
