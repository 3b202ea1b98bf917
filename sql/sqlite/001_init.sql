-- HireDB schema, SQLite dialect. Referential integrity of hired_employees.department_id and job_id is
-- checked by the validate-and-insert service against the dimension tables (rows are never deleted),
-- so the insert path carries no per-row foreign-key check.
CREATE TABLE departments (
  id INTEGER PRIMARY KEY,
  department TEXT NOT NULL
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  job TEXT NOT NULL
);

CREATE TABLE hired_employees (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  datetime TEXT NOT NULL,        -- UTC, ISO 8601 with Z: text order is time order
  department_id INTEGER NOT NULL,
  job_id INTEGER NOT NULL
);

CREATE TABLE data_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);

-- The status table: one row per load of one file version (or slice of it).
CREATE TABLE tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dedupe_key TEXT NOT NULL UNIQUE,
  file_name TEXT NOT NULL,
  file_version TEXT NOT NULL,
  table_name TEXT,
  slice_start INTEGER,
  slice_limit INTEGER,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  checkpoint_line INTEGER NOT NULL DEFAULT 0,
  bytes_read INTEGER NOT NULL DEFAULT 0,
  bytes_total INTEGER NOT NULL DEFAULT 0,
  processed INTEGER NOT NULL DEFAULT 0,
  inserted INTEGER NOT NULL DEFAULT 0,
  already_exists INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at INTEGER,      -- epoch milliseconds
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_runnable ON tasks (status, id);

CREATE TABLE task_rejects (
  task_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  record_id TEXT,
  raw TEXT NOT NULL,
  reasons TEXT NOT NULL,         -- reason codes joined by ','
  PRIMARY KEY (task_id, line)
) WITHOUT ROWID;
