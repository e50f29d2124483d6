-- Up Migration
-- Answers to requests sent with an Idempotency-Key, kept 24 hours: the same key from the same
-- caller for the same request gets the same answer (the same run), so a client that retries after
-- a timeout never starts a second run. A row without a status is a request still in progress.
CREATE TABLE sluice.idempotency (
  -- Who sent it (key id, OIDC subject, or `anonymous`) and the key they chose.
  scope        text NOT NULL,
  key          text NOT NULL,
  -- sha256 of method, path and body: the same key for a different request is refused.
  fingerprint  text NOT NULL,
  status       integer,
  headers      jsonb,
  body         jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_created_at ON sluice.idempotency (created_at);

-- Down Migration
DROP TABLE sluice.idempotency;
