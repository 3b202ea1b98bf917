/** The bindings (vars and secrets) the edge worker reads, checked once per isolate. */
export interface Env {
  /** postgres://… of a migrated database. */
  DATABASE_URL?: string;
  /** A Hyperdrive binding: when present, its connection string is used instead of DATABASE_URL. */
  HYPERDRIVE?: { connectionString: string };
  AZURE_STORAGE_CONNECTION_STRING?: string;
  /** Default `hiredb`. */
  AZURE_BLOB_CONTAINER?: string;
  /** `true`: the two reports are readable without a key. Every other route always needs one here. */
  HIREDB_PUBLIC_REPORTS?: string;
}

export interface EdgeSettings {
  databaseUrl: string;
  azureConnectionString: string;
  container: string;
  publicReports: boolean;
}

const CONTAINER_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/** The settings, or an error naming the binding that is missing or wrong (never its value when secret). */
export function edgeSettings(env: Env): EdgeSettings {
  const databaseUrl = (env.HYPERDRIVE?.connectionString ?? env.DATABASE_URL)?.trim() ?? '';
  if (!databaseUrl) throw new Error('DATABASE_URL is not set (and there is no HYPERDRIVE binding): the edge worker needs a postgres:// URL');
  if (!/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL at the edge: SQLite and SQL Server are served by `hiredb serve`');
  }
  const azureConnectionString = env.AZURE_STORAGE_CONNECTION_STRING?.trim() ?? '';
  if (!azureConnectionString) throw new Error('AZURE_STORAGE_CONNECTION_STRING is not set: the edge worker keeps its files in Azure Blob Storage');
  const container = env.AZURE_BLOB_CONTAINER?.trim() || 'hiredb';
  if (!CONTAINER_NAME.test(container)) throw new Error(`AZURE_BLOB_CONTAINER="${container}" is not a valid container name (3 to 63 of a-z 0-9 -)`);
  const publicReports = env.HIREDB_PUBLIC_REPORTS?.trim() || 'false';
  if (publicReports !== 'true' && publicReports !== 'false') throw new Error(`HIREDB_PUBLIC_REPORTS="${publicReports}" must be true or false`);
  return { databaseUrl, azureConnectionString, container, publicReports: publicReports === 'true' };
}
