-- The reports read a rollup, not hired_employees: hires per year, department, job and quarter (UTC).
-- A write records the ids it really inserted in hires_pending (runs of consecutive ids: id_from[i] to
-- id_to[i]) in the same transaction as the rows, an insert that no other writer waits on; the first
-- report read after it folds the pending rows into the rollup and deletes them, in one statement under
-- an advisory lock. Rows are never updated or deleted, so a folded count never changes.
CREATE TABLE hires_by_quarter (
  year INTEGER NOT NULL,
  department_id INTEGER NOT NULL,
  job_id INTEGER NOT NULL,
  quarter SMALLINT NOT NULL CHECK (quarter BETWEEN 1 AND 4),
  hires BIGINT NOT NULL,
  PRIMARY KEY (year, department_id, job_id, quarter)
);

CREATE TABLE hires_pending (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id_from INTEGER[] NOT NULL,
  id_to INTEGER[] NOT NULL
);

-- The rows already loaded.
INSERT INTO hires_by_quarter (year, department_id, job_id, quarter, hires)
SELECT EXTRACT(YEAR FROM datetime AT TIME ZONE 'UTC')::int, department_id, job_id,
  EXTRACT(QUARTER FROM datetime AT TIME ZONE 'UTC')::smallint, COUNT(*)
FROM hired_employees
GROUP BY 1, 2, 3, 4;
