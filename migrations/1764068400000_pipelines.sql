-- Up Migration
-- Runs with search_path = sluice (see src/store/migrate.ts); names are qualified anyway so the
-- file reads the same outside the runner.

-- One row per pipeline name: the registry key, and the lock that serialises new versions.
CREATE TABLE sluice.pipelines (
  name            text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]*$'),
  latest_version  integer NOT NULL DEFAULT 0,
  description     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Versions are immutable: a run records (name, version) and can always get its spec back.
CREATE TABLE sluice.pipeline_versions (
  name        text NOT NULL REFERENCES sluice.pipelines (name) ON DELETE CASCADE,
  version     integer NOT NULL CHECK (version > 0),
  spec        jsonb NOT NULL,
  spec_hash   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

-- Down Migration
DROP TABLE sluice.pipeline_versions;
DROP TABLE sluice.pipelines;
