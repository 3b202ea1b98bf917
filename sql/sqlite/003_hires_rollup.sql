-- The reports read a rollup, not hired_employees: hires per year, department, job and quarter.
-- A write records the ids it really inserted in hires_pending (runs of consecutive ids, as JSON
-- [[from, to], ...]) in the same transaction as the rows; the first report read after it folds the
-- pending rows into the rollup and deletes them, in one write transaction. Rows are never updated or
-- deleted, so a folded count never changes.
CREATE TABLE hires_by_quarter (
  year INTEGER NOT NULL,
  department_id INTEGER NOT NULL,
  job_id INTEGER NOT NULL,
  quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
  hires INTEGER NOT NULL,
  PRIMARY KEY (year, department_id, job_id, quarter)
) WITHOUT ROWID;

CREATE TABLE hires_pending (
  seq INTEGER PRIMARY KEY,
  runs TEXT NOT NULL
);

-- The rows already loaded (datetime is UTC ISO 8601 text: year and month are its first fields).
INSERT INTO hires_by_quarter (year, department_id, job_id, quarter, hires)
SELECT CAST(substr(datetime, 1, 4) AS INTEGER), department_id, job_id, (CAST(substr(datetime, 6, 2) AS INTEGER) + 2) / 3, COUNT(*)
FROM hired_employees
GROUP BY 1, 2, 3, 4;
