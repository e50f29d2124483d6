-- Up Migration
-- API keys: only a scrypt hash of each key's secret part is kept; the key itself is shown once,
-- when it is made. Revoked and expired keys stay, so audit rows keep naming who acted.
CREATE TABLE sluice.api_keys (
  -- The public part of the key (sk_<id>_<secret>): how a request finds its row, and what lists and audit rows show.
  id            text PRIMARY KEY,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'author', 'admin')),
  -- Pipeline-name globs the key is limited to; NULL: every pipeline.
  pipelines     text[],
  hash          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Who made it: a key id, an OIDC subject, or `cli` for `sluice keys create`.
  created_by    text NOT NULL,
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);

-- Every mutating request and every denied request, newest first by id.
CREATE TABLE sluice.audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    text,
  actor_name  text,
  role        text,
  action      text NOT NULL,
  target      text,
  status      integer NOT NULL,
  request_id  text NOT NULL,
  remote      text
);
CREATE INDEX audit_log_actor ON sluice.audit_log (actor_id, id DESC);
CREATE INDEX audit_log_action ON sluice.audit_log (action, id DESC);
CREATE INDEX audit_log_at ON sluice.audit_log (at);

-- Down Migration
DROP TABLE sluice.audit_log;
DROP TABLE sluice.api_keys;
