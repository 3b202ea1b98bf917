/**
 * The report SQL of the SQLite adapter (openSqliteDatabase in sqlite.database.ts runs it): the rollup the
 * reports read (sql/sqlite/003_hires_rollup.sql), how a write records what it inserted, how a read folds
 * that in, and the direct queries over hired_employees that the rollup must always equal.
 */

/** The ids of a batch already present (the batch's id range: one index range scan). */
export const EXISTING_IN_RANGE = 'SELECT id FROM hired_employees WHERE id BETWEEN ? AND ?';
/** The same for a batch of scattered ids (a JSON array), one look-up each. */
export const EXISTING_OF = 'SELECT id FROM hired_employees WHERE id IN (SELECT value FROM json_each(?))';

/** The runs of ids one write inserted (JSON `[[from, to], ...]`), committed with the rows. */
export const RECORD_PENDING = 'INSERT INTO hires_pending (runs) VALUES (?)';

export const HAS_PENDING = 'SELECT EXISTS (SELECT 1 FROM hires_pending) AS pending';

/** The last of the next FOLD_CHUNK pending rows, or null when none is pending. */
export const PENDING_CHUNK_END = 'SELECT MAX(seq) FROM (SELECT seq FROM hires_pending ORDER BY seq LIMIT ?)';

/**
 * Counts the pending rows up to a seq into the rollup (each run is a range of the rowid: the rows are read
 * where they lie); run with DELETE_PENDING in one write transaction, so no run is counted twice.
 */
export const FOLD_PENDING = `
INSERT INTO hires_by_quarter (year, department_id, job_id, quarter, hires)
SELECT CAST(substr(h.datetime, 1, 4) AS INTEGER), h.department_id, h.job_id,
  (CAST(substr(h.datetime, 6, 2) AS INTEGER) + 2) / 3, COUNT(*)
FROM hires_pending p
JOIN json_each(p.runs) r
JOIN hired_employees h ON h.id BETWEEN json_extract(r.value, '$[0]') AND json_extract(r.value, '$[1]')
WHERE p.seq <= ?
GROUP BY 1, 2, 3, 4
ON CONFLICT (year, department_id, job_id, quarter) DO UPDATE SET hires = hires + excluded.hires`;

export const DELETE_PENDING = 'DELETE FROM hires_pending WHERE seq <= ?';

// The rollup holds a few rows per department and job of a year, so both reports read a few thousand rows.
export const HIRED_BY_QUARTER_FROM_ROLLUP = `
SELECT d.department AS department, j.job AS job,
  SUM(CASE WHEN r.quarter = 1 THEN r.hires ELSE 0 END) AS Q1,
  SUM(CASE WHEN r.quarter = 2 THEN r.hires ELSE 0 END) AS Q2,
  SUM(CASE WHEN r.quarter = 3 THEN r.hires ELSE 0 END) AS Q3,
  SUM(CASE WHEN r.quarter = 4 THEN r.hires ELSE 0 END) AS Q4
FROM hires_by_quarter r
JOIN departments d ON d.id = r.department_id
JOIN jobs j ON j.id = r.job_id
WHERE r.year = ?
GROUP BY d.department, j.job`;

export const HIRING_ABOVE_AVERAGE_FROM_ROLLUP = `
WITH hires AS (
  SELECT department_id, SUM(hires) AS hired FROM hires_by_quarter
  WHERE year = ?
  GROUP BY department_id),
per_department AS (
  SELECT d.id AS id, d.department AS department, COALESCE(h.hired, 0) AS hired
  FROM departments d LEFT JOIN hires h ON h.department_id = d.id)
SELECT id, department, hired FROM per_department
WHERE hired * (SELECT COUNT(*) FROM per_department) > (SELECT SUM(hired) FROM per_department)`;

// The direct queries: the same reports computed from every row of the year (what the rollup replaces;
// the tests and the benchmark compare against them). Counted per department and job id first, then named.
export const HIRED_BY_QUARTER = `
WITH counts AS (
  SELECT department_id, job_id,
    SUM(CASE WHEN substr(datetime, 6, 2) <= '03' THEN 1 ELSE 0 END) AS q1,
    SUM(CASE WHEN substr(datetime, 6, 2) BETWEEN '04' AND '06' THEN 1 ELSE 0 END) AS q2,
    SUM(CASE WHEN substr(datetime, 6, 2) BETWEEN '07' AND '09' THEN 1 ELSE 0 END) AS q3,
    SUM(CASE WHEN substr(datetime, 6, 2) >= '10' THEN 1 ELSE 0 END) AS q4
  FROM hired_employees
  WHERE datetime >= ? AND datetime < ?
  GROUP BY department_id, job_id)
SELECT d.department AS department, j.job AS job,
  SUM(c.q1) AS Q1, SUM(c.q2) AS Q2, SUM(c.q3) AS Q3, SUM(c.q4) AS Q4
FROM counts c
JOIN departments d ON d.id = c.department_id
JOIN jobs j ON j.id = c.job_id
GROUP BY d.department, j.job`;

export const HIRING_ABOVE_AVERAGE = `
WITH hires AS (
  SELECT department_id, COUNT(*) AS hired FROM hired_employees
  WHERE datetime >= ? AND datetime < ?
  GROUP BY department_id),
per_department AS (
  SELECT d.id AS id, d.department AS department, COALESCE(h.hired, 0) AS hired
  FROM departments d LEFT JOIN hires h ON h.department_id = d.id)
SELECT id, department, hired FROM per_department
WHERE hired * (SELECT COUNT(*) FROM per_department) > (SELECT SUM(hired) FROM per_department)`;
