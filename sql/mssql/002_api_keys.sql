-- API keys. Only the SHA-256 of a key is stored (64 hex digits); the key itself is shown once, when it
-- is made. Times are epoch milliseconds; a revoked key keeps its row, so its name is never reused.
-- Names and hashes compare exactly (binary collation), as on SQLite and PostgreSQL.
CREATE TABLE api_keys (
  id INT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  name NVARCHAR(64) COLLATE Latin1_General_BIN2 NOT NULL UNIQUE,
  role NVARCHAR(16) NOT NULL CHECK (role IN ('read', 'ingest', 'admin')),
  key_hash NVARCHAR(64) COLLATE Latin1_General_BIN2 NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NULL,
  revoked_at BIGINT NULL
);
GO
