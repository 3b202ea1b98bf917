-- The reports read a rollup, not hired_employees: hires per year, department, job and quarter (of the
-- stored UTC datetime). A write records the ids it really inserted in hires_pending (runs of
-- consecutive ids, one row each) in the same transaction as the rows; the first report read after it
-- folds the pending rows into the rollup and deletes them, in one transaction under an application
-- lock. Rows are never updated or deleted, so a folded count never changes.
CREATE TABLE hires_by_quarter (
  year INT NOT NULL,
  department_id INT NOT NULL,
  job_id INT NOT NULL,
  quarter TINYINT NOT NULL CHECK (quarter BETWEEN 1 AND 4),
  hires BIGINT NOT NULL,
  PRIMARY KEY (year, department_id, job_id, quarter)
);
GO
CREATE TABLE hires_pending (
  seq BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  id_from INT NOT NULL,
  id_to INT NOT NULL
);
GO
-- The rows already loaded.
INSERT INTO hires_by_quarter (year, department_id, job_id, quarter, hires)
SELECT DATEPART(year, datetime), department_id, job_id, DATEPART(quarter, datetime), COUNT_BIG(*)
FROM hired_employees
GROUP BY DATEPART(year, datetime), department_id, job_id, DATEPART(quarter, datetime);
GO
