/**
 * The T-SQL the SQL Server adapter sends (createMssqlDatabase in mssql.database.ts runs it): the
 * statements of the insert path, the task queue, the reports and the migrations.
 */
import { COLUMNS, type TableName } from '../../domain/tables.ts';

/*
 * The insert path. PostgreSQL COPYs a batch straight into its table after one query for the ids already
 * there. Here the rows are bulk-loaded into the session's private #staging table and copied over with
 * INSERT ... WHERE NOT EXISTS (UPDLOCK, HOLDLOCK) instead, on purpose, because of SQL Server's locking:
 * - Exact counts need the look-up and the insert to be atomic against other writers. The look-up that
 *   direct loading would use (SELECT id FROM t WITH (UPDLOCK, HOLDLOCK) WHERE id BETWEEN @min AND @max)
 *   takes serializable key-range locks, which cover gaps, not only ids: two batches of one file with
 *   disjoint ids lock the same range (the one past the highest id, in an appending load), and a statement
 *   holding some 5000 locks on a table has them escalated to a lock on the whole table.
 * - A batch waits for its task's previous batch (TaskCheckpoint.after) before it commits. Had it locked
 *   anything in the table before that wait, the previous batch could be blocked on those locks while this
 *   one waits for it: a deadlock across the application that SQL Server cannot detect, stuck until the
 *   request timeout. (PostgreSQL takes no gap locks, so there COPY into the table before the wait is safe.)
 * So before the wait a batch only fills #staging (the network transfer, the heavy part), which no other
 * session can see or lock; what touches shared tables runs after it, as one server-side copy that also
 * counts what it inserted.
 */
/** The INSERT of the rows of #staging whose id is not in the table yet; `output` is an OUTPUT clause for their ids. */
const COPY_NEW = (table: TableName, output = '') => `INSERT INTO ${table} (${COLUMNS[table].join(', ')})${output}
SELECT ${COLUMNS[table].map((c) => `s.${c}`).join(', ')} FROM #staging s
WHERE NOT EXISTS (SELECT 1 FROM ${table} t WITH (UPDLOCK, HOLDLOCK) WHERE t.id = s.id)`;

/** Copies the rows of #staging whose id is not in the table yet; answers one row `{ inserted }`. */
export const INSERT_FROM_STAGING: Record<TableName, string> = {
  departments: `${COPY_NEW('departments')};
SELECT @@ROWCOUNT AS inserted;`,
  jobs: `${COPY_NEW('jobs')};
SELECT @@ROWCOUNT AS inserted;`,
  // The ids really inserted also go to hires_pending, as runs of consecutive ids (gaps and islands: id minus
  // its rank is constant along a run), for the reports' next fold.
  hired_employees: `DECLARE @fresh TABLE (id INT NOT NULL PRIMARY KEY);
${COPY_NEW('hired_employees', '\nOUTPUT inserted.id INTO @fresh')};
DECLARE @inserted INT = @@ROWCOUNT;
INSERT INTO hires_pending (id_from, id_to)
SELECT MIN(id), MAX(id) FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run FROM @fresh) f GROUP BY run;
SELECT @inserted AS inserted;`,
};

export const BUMP_VERSION = 'UPDATE data_version SET version = version + 1 WHERE id = 1;';

export const ADVANCE_TASK = `UPDATE tasks SET checkpoint_line = @line, bytes_read = @bytes,
  processed = processed + @inserted + @already_exists + @rejected,
  inserted = inserted + @inserted, already_exists = already_exists + @already_exists,
  rejected = rejected + @rejected, updated_at = @now
WHERE id = @id AND lease_owner = @owner AND status = N'running';
SELECT @@ROWCOUNT AS n;`;

/** Creates the task unless its dedupe key exists (queued, failed, or running under the caller's lease); answers it either way. */
export const ENQUEUE = `INSERT INTO tasks (dedupe_key, file_name, file_version, table_name, slice_start, slice_limit, status, error,
  bytes_total, lease_owner, lease_expires_at, attempts, created_at, updated_at, started_at, finished_at)
OUTPUT inserted.*, 1 AS created
SELECT @key, @file_name, @file_version, @table_name, @slice_start, @slice_limit, @status, @error,
  @bytes_total, @owner, @expires, CASE WHEN @status = N'running' THEN 1 ELSE 0 END, @now, @now,
  CASE WHEN @status = N'running' THEN @now END, CASE WHEN @status = N'failed' THEN @now END
WHERE NOT EXISTS (SELECT 1 FROM tasks WITH (UPDLOCK, HOLDLOCK) WHERE dedupe_key = @key);
IF @@ROWCOUNT = 0 SELECT *, 0 AS created FROM tasks WHERE dedupe_key = @key;`;

/**
 * The dedupe keys of @keys (a JSON array of strings) that name a task: the whole list is one NVARCHAR(MAX)
 * parameter, so no list runs into the 2,100 parameters of a statement (OPENJSON: compatibility level 130
 * or later). The key column's binary collation is named, since OPENJSON's columns take the database's.
 */
export const EXISTING_TASK_KEYS = `SELECT t.dedupe_key FROM OPENJSON(@keys) WITH (dedupe_key NVARCHAR(450) '$') k
JOIN tasks t ON t.dedupe_key = k.dedupe_key COLLATE Latin1_General_BIN2;`;

/**
 * Takes the next runnable task in one statement: READPAST skips rows another loader is claiming,
 * UPDLOCK keeps two loaders from taking the same one. Dimension files first, then by id.
 */
export const CLAIM = `WITH next_task AS (
  SELECT TOP (1) t.* FROM tasks t WITH (UPDLOCK, READPAST, ROWLOCK)
  WHERE (t.status = N'queued' OR (t.status = N'running' AND t.lease_expires_at < @now))
    AND (t.table_name <> N'hired_employees' OR NOT EXISTS (
      SELECT 1 FROM tasks d WHERE d.table_name IN (N'departments', N'jobs') AND d.status IN (N'queued', N'running')))
  ORDER BY CASE WHEN t.table_name = N'hired_employees' THEN 1 ELSE 0 END, t.id
)
UPDATE next_task SET status = N'running', lease_owner = @owner, lease_expires_at = @expires,
  attempts = attempts + 1, started_at = COALESCE(started_at, @now), updated_at = @now
OUTPUT inserted.*;`;

export const RENEW = `UPDATE tasks SET lease_expires_at = @expires, updated_at = @now
WHERE id = @id AND lease_owner = @owner AND status = N'running';
SELECT @@ROWCOUNT AS n;`;

export const FINISH = `UPDATE tasks SET status = @status, error = @error, finished_at = @now, updated_at = @now,
  lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND lease_owner = @owner AND status = N'running';
SELECT @@ROWCOUNT AS n;`;

export const RELEASE = `UPDATE tasks SET status = N'queued', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
WHERE id = @id AND lease_owner = @owner AND status = N'running';
SELECT @@ROWCOUNT AS n;`;

export const RESUME = `UPDATE tasks SET status = N'running', error = NULL, finished_at = NULL, lease_owner = @owner,
  lease_expires_at = @expires, attempts = attempts + 1, started_at = COALESCE(started_at, @now), updated_at = @now
OUTPUT inserted.*
WHERE id = @id AND table_name IS NOT NULL
  AND (status IN (N'failed', N'queued') OR (status = N'running' AND lease_expires_at < @now));`;

export const RETRY = `UPDATE tasks SET status = N'queued', error = NULL, finished_at = NULL, updated_at = @now
OUTPUT inserted.*
WHERE id = @id AND status = N'failed' AND table_name IS NOT NULL;`;

export const LIST_TASKS = 'SELECT * FROM tasks ORDER BY id DESC OFFSET @offset ROWS FETCH NEXT @limit ROWS ONLY;';
export const COUNT_TASKS = 'SELECT COUNT_BIG(*) AS n FROM tasks;';
export const LIST_REJECTS =
  'SELECT * FROM task_rejects WHERE task_id = @id ORDER BY line OFFSET @offset ROWS FETCH NEXT @limit ROWS ONLY;';
export const LIST_REJECTS_AFTER =
  'SELECT TOP (@limit) * FROM task_rejects WHERE task_id = @id AND line > @after ORDER BY line;';
export const COUNT_REJECTS = 'SELECT COUNT_BIG(*) AS n FROM task_rejects WHERE task_id = @id;';

export const HAS_PENDING = 'SELECT CASE WHEN EXISTS (SELECT 1 FROM hires_pending) THEN 1 ELSE 0 END AS pending;';

/**
 * Counts the pending runs into the rollup and deletes them, in one transaction under an application lock
 * (folders go one at a time), and bumps data_version when it folded any. READPAST skips runs of writes still
 * in flight: they are folded next time.
 * Each run is a clustered index range of hired_employees.
 */
export const FOLD_PENDING = `DECLARE @lock INT;
EXEC @lock = sp_getapplock @Resource = N'hiredb:fold', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000;
IF @lock < 0 THROW 51000, N'hiredb: timed out waiting for the report fold lock', 1;
DECLARE @runs TABLE (id_from INT NOT NULL, id_to INT NOT NULL);
DELETE FROM hires_pending WITH (READPAST) OUTPUT deleted.id_from, deleted.id_to INTO @runs;
MERGE hires_by_quarter WITH (HOLDLOCK) AS r
USING (
  SELECT DATEPART(year, h.datetime) AS year, h.department_id, h.job_id, DATEPART(quarter, h.datetime) AS quarter, COUNT_BIG(*) AS hires
  FROM @runs p JOIN hired_employees h ON h.id BETWEEN p.id_from AND p.id_to
  GROUP BY DATEPART(year, h.datetime), h.department_id, h.job_id, DATEPART(quarter, h.datetime)
) AS c
ON r.year = c.year AND r.department_id = c.department_id AND r.job_id = c.job_id AND r.quarter = c.quarter
WHEN MATCHED THEN UPDATE SET hires = r.hires + c.hires
WHEN NOT MATCHED THEN INSERT (year, department_id, job_id, quarter, hires) VALUES (c.year, c.department_id, c.job_id, c.quarter, c.hires);
IF EXISTS (SELECT 1 FROM @runs) UPDATE data_version SET version = version + 1 WHERE id = 1;`;

/**
 * The reports read the rollup (a few rows per department and job of a year). Names are grouped and
 * compared exactly (binary collation) as SQLite does: 'Sales' and 'sales' stay two rows even on a
 * case-insensitive database.
 */
export const HIRED_BY_QUARTER_FROM_ROLLUP = `SELECT d.department COLLATE Latin1_General_BIN2 AS department, j.job COLLATE Latin1_General_BIN2 AS job,
  SUM(CASE WHEN r.quarter = 1 THEN r.hires ELSE 0 END) AS Q1,
  SUM(CASE WHEN r.quarter = 2 THEN r.hires ELSE 0 END) AS Q2,
  SUM(CASE WHEN r.quarter = 3 THEN r.hires ELSE 0 END) AS Q3,
  SUM(CASE WHEN r.quarter = 4 THEN r.hires ELSE 0 END) AS Q4
FROM hires_by_quarter r
JOIN departments d ON d.id = r.department_id
JOIN jobs j ON j.id = r.job_id
WHERE r.year = @year
GROUP BY d.department COLLATE Latin1_General_BIN2, j.job COLLATE Latin1_General_BIN2;`;

/** Above the mean in exact integers, as HIRING_ABOVE_AVERAGE, from the year's rollup rows. */
export const HIRING_ABOVE_AVERAGE_FROM_ROLLUP = `WITH hires AS (
  SELECT department_id, SUM(hires) AS hired FROM hires_by_quarter
  WHERE year = @year
  GROUP BY department_id),
per_department AS (
  SELECT d.id AS id, d.department AS department, COALESCE(h.hired, 0) AS hired
  FROM departments d LEFT JOIN hires h ON h.department_id = d.id)
SELECT id, department, hired FROM per_department
WHERE hired * (SELECT COUNT_BIG(*) FROM per_department) > (SELECT SUM(hired) FROM per_department);`;

// The direct queries: the same reports computed from every row of the year (what the rollup replaces;
// the tests compare against them).
/** The year's hires: its bounds are DATETIME2 parameters (see yearRange), so the datetime index range applies. */
const IN_YEAR = 'datetime >= @year_start AND datetime <= @year_end';

/**
 * The same shape as the SQLite and PostgreSQL queries: counted per department and job id first, then
 * named. Names are grouped and compared exactly (binary collation) as SQLite does: 'Sales' and 'sales'
 * stay two rows even on a case-insensitive database. Quarters are those of the stored UTC datetime.
 */
export const HIRED_BY_QUARTER = `WITH counts AS (
  SELECT department_id, job_id,
    SUM(CASE WHEN DATEPART(quarter, datetime) = 1 THEN 1 ELSE 0 END) AS q1,
    SUM(CASE WHEN DATEPART(quarter, datetime) = 2 THEN 1 ELSE 0 END) AS q2,
    SUM(CASE WHEN DATEPART(quarter, datetime) = 3 THEN 1 ELSE 0 END) AS q3,
    SUM(CASE WHEN DATEPART(quarter, datetime) = 4 THEN 1 ELSE 0 END) AS q4
  FROM hired_employees
  WHERE ${IN_YEAR}
  GROUP BY department_id, job_id)
SELECT d.department COLLATE Latin1_General_BIN2 AS department, j.job COLLATE Latin1_General_BIN2 AS job,
  SUM(c.q1) AS Q1, SUM(c.q2) AS Q2, SUM(c.q3) AS Q3, SUM(c.q4) AS Q4
FROM counts c
JOIN departments d ON d.id = c.department_id
JOIN jobs j ON j.id = c.job_id
GROUP BY d.department COLLATE Latin1_General_BIN2, j.job COLLATE Latin1_General_BIN2;`;

/**
 * Above the mean, in exact integers: hired * departments > total hires (no AVG, so no rounding); hired
 * is BIGINT throughout, so the product cannot overflow. Departments without a hire count as 0.
 */
export const HIRING_ABOVE_AVERAGE = `WITH hires AS (
  SELECT department_id, COUNT_BIG(*) AS hired FROM hired_employees
  WHERE ${IN_YEAR}
  GROUP BY department_id),
per_department AS (
  SELECT d.id AS id, d.department AS department, COALESCE(h.hired, 0) AS hired
  FROM departments d LEFT JOIN hires h ON h.department_id = d.id)
SELECT id, department, hired FROM per_department
WHERE hired * (SELECT COUNT_BIG(*) FROM per_department) > (SELECT SUM(hired) FROM per_department);`;

/** Serialises migrators (the lock ends with the transaction) and creates the ledger of applied migrations. */
export const MIGRATION_LOCK = `DECLARE @lock INT;
EXEC @lock = sp_getapplock @Resource = N'hiredb:migrate', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 120000;
IF @lock < 0 THROW 51000, N'hiredb: timed out waiting for the migration lock', 1;
IF OBJECT_ID(N'dbo.schema_migrations', N'U') IS NULL
  CREATE TABLE schema_migrations (version NVARCHAR(100) NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL);`;

/** The batches of a migration file: the text between lines holding only `GO`; empty ones dropped. */
export function splitSqlBatches(sql: string): string[] {
  return sql
    .split(/^[ \t]*GO[ \t]*\r?$/im)
    .map((b) => b.trim())
    .filter((b) => b.replace(/^\s*--.*$/gm, '').trim() !== '');
}
