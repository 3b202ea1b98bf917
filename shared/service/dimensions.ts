import type { TableName } from '../domain/tables.ts';
import type { Database } from '../ports/database.port.ts';

/** The dimension ids a load of `table` validates against (only hired_employees references others). */
export async function dimensionsFor(db: Database, table: TableName) {
  if (table !== 'hired_employees') return {};
  const [departmentIds, jobIds] = await Promise.all([db.dimensionIds('departments'), db.dimensionIds('jobs')]);
  return { departmentIds, jobIds };
}
