-- HireDB schema, PostgreSQL dialect (same tables and meaning as sql/sqlite/001_init.sql).
-- Referential integrity of hired_employees.department_id and job_id is checked by the
-- validate-and-insert service against the dimension tables (rows are never deleted), so the insert
-- path carries no per-row foreign-key check: there are deliberately no foreign keys.
-- Tables are created unqualified: the adapter's search_path chooses the schema.
CREATE TABLE departments (
  id INTEGER PRIMARY KEY,
  department VARCHAR(100) NOT NULL
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  job VARCHAR(100) NOT NULL
);

CREATE TABLE hired_employees (
  id INTEGER PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  datetime TIMESTAMPTZ NOT NULL,  -- an instant; years and quarters are taken in UTC
  department_id INTEGER NOT NULL,
  job_id INTEGER NOT NULL
);

CREATE TABLE data_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);

-- The status table: one row per load of one file version (or slice of it). Times are epoch milliseconds.
CREATE TABLE tasks (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dedupe_key TEXT NOT NULL UNIQUE,
  file_name TEXT NOT NULL,
  file_version TEXT NOT NULL,
  table_name TEXT,
  slice_start BIGINT,
  slice_limit BIGINT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  checkpoint_line BIGINT NOT NULL DEFAULT 0,
  bytes_read BIGINT NOT NULL DEFAULT 0,
  bytes_total BIGINT NOT NULL DEFAULT 0,
  processed BIGINT NOT NULL DEFAULT 0,
  inserted BIGINT NOT NULL DEFAULT 0,
  already_exists BIGINT NOT NULL DEFAULT 0,
  rejected BIGINT NOT NULL DEFAULT 0,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_runnable ON tasks (status, id);

CREATE TABLE task_rejects (
  task_id BIGINT NOT NULL,
  line BIGINT NOT NULL,
  record_id TEXT,
  raw TEXT NOT NULL,
  reasons TEXT NOT NULL,          -- reason codes joined by ','
  PRIMARY KEY (task_id, line)
);
