-- HireDB schema, SQL Server / Azure SQL dialect (T-SQL). The same tables as sql/sqlite/001_init.sql.
-- Batches are separated by lines holding only GO; the migrator splits on them and runs them all in one
-- transaction under an application lock, so several processes may migrate at once.
--
-- No foreign keys: hired_employees.department_id and job_id are checked by the validate-and-insert
-- service against the dimension tables (whose rows are never deleted), so the insert path carries no
-- per-row foreign-key check.
--
-- The three data tables keep the types of the original Azure SQL tables (INT keys, NVARCHAR(100)
-- names, DATETIME2 in UTC); where a database already has them, they are kept as they are. The
-- reports read the rollup that 003_hires_rollup.sql adds, as on SQLite and PostgreSQL.
IF OBJECT_ID(N'dbo.departments', N'U') IS NULL
CREATE TABLE departments (
  id INT NOT NULL PRIMARY KEY,
  department NVARCHAR(100) NOT NULL
);
GO
IF OBJECT_ID(N'dbo.jobs', N'U') IS NULL
CREATE TABLE jobs (
  id INT NOT NULL PRIMARY KEY,
  job NVARCHAR(100) NOT NULL
);
GO
IF OBJECT_ID(N'dbo.hired_employees', N'U') IS NULL
CREATE TABLE hired_employees (
  id INT NOT NULL PRIMARY KEY,
  name NVARCHAR(100) NOT NULL,
  datetime DATETIME2 NOT NULL,   -- UTC
  department_id INT NOT NULL,
  job_id INT NOT NULL
);
GO
CREATE TABLE data_version (
  id INT NOT NULL PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
GO
INSERT INTO data_version (id, version) VALUES (1, 0);
GO
-- The status table: one row per load of one file version (or slice of it). Times are epoch
-- milliseconds. dedupe_key and lease_owner compare exactly (binary collation), as on SQLite.
CREATE TABLE tasks (
  id INT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  dedupe_key NVARCHAR(450) COLLATE Latin1_General_BIN2 NOT NULL UNIQUE,
  file_name NVARCHAR(1024) NOT NULL,
  file_version NVARCHAR(256) NOT NULL,
  table_name NVARCHAR(32) NULL,
  slice_start BIGINT NULL,
  slice_limit BIGINT NULL,
  status NVARCHAR(16) NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  checkpoint_line BIGINT NOT NULL DEFAULT 0,
  bytes_read BIGINT NOT NULL DEFAULT 0,
  bytes_total BIGINT NOT NULL DEFAULT 0,
  processed BIGINT NOT NULL DEFAULT 0,
  inserted BIGINT NOT NULL DEFAULT 0,
  already_exists BIGINT NOT NULL DEFAULT 0,
  rejected BIGINT NOT NULL DEFAULT 0,
  error NVARCHAR(MAX) NULL,
  attempts INT NOT NULL DEFAULT 0,
  lease_owner NVARCHAR(200) COLLATE Latin1_General_BIN2 NULL,
  lease_expires_at BIGINT NULL,
  created_at BIGINT NOT NULL,
  started_at BIGINT NULL,
  finished_at BIGINT NULL,
  updated_at BIGINT NOT NULL
);
GO
CREATE INDEX tasks_runnable ON tasks (status, id);
GO
CREATE TABLE task_rejects (
  task_id INT NOT NULL,
  line BIGINT NOT NULL,
  record_id NVARCHAR(MAX) NULL,
  raw NVARCHAR(MAX) NOT NULL,
  reasons NVARCHAR(1000) NOT NULL, -- reason codes joined by ','
  PRIMARY KEY (task_id, line)
);
GO
