-- API keys. Only the SHA-256 of a key is stored (64 hex digits); the key itself is shown once, when it
-- is made. Times are epoch milliseconds; a revoked key keeps its row, so its name is never reused.
CREATE TABLE api_keys (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('read', 'ingest', 'admin')),
  key_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);
