-- Up Migration
-- Log lines of node attempts, shipped by the workers that ran them (central or site). Partitioned
-- by the day (UTC) the API received them, so retention drops whole partitions instead of deleting
-- rows; the API creates the partitions ahead of time (and on demand) and drops the old ones.
CREATE SEQUENCE sluice.run_logs_id_seq;
CREATE TABLE sluice.run_logs (
  -- Arrival order across every worker: the page cursor and the SSE event id.
  id           bigint NOT NULL DEFAULT nextval('sluice.run_logs_id_seq'),
  received_at  timestamptz NOT NULL DEFAULT now(),
  -- When the worker wrote the line (its clock).
  at           timestamptz NOT NULL,
  run_id       text NOT NULL,
  node_id      text NOT NULL,
  attempt      integer NOT NULL,
  -- `central` or the site's name: where the line was written.
  site         text NOT NULL,
  -- pino's numbers: 30 info, 40 warn, 50 error, 60 fatal.
  level        smallint NOT NULL,
  msg          text NOT NULL,
  -- The line's other fields (stats, error, counts), scrubbed by the worker.
  fields       jsonb
) PARTITION BY RANGE (received_at);
CREATE INDEX run_logs_run ON sluice.run_logs (run_id, id);

-- Each worker's spool (its buffer directory) numbers its lines; a batch sent again after a lost
-- answer is recognised by its numbers and not stored twice.
CREATE TABLE sluice.log_sources (
  source     text PRIMARY KEY,
  site       text NOT NULL,
  last_seq   bigint NOT NULL DEFAULT 0,
  -- false: the site's policy keeps its logs on its own workers (the worker said so once at start).
  shipping   boolean NOT NULL DEFAULT true,
  seen_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX log_sources_site ON sluice.log_sources (site, seen_at DESC);

-- A site key (`sluice keys create --site NAME`) may only send log lines of its own site.
ALTER TABLE sluice.api_keys ADD COLUMN site text;

-- Down Migration
ALTER TABLE sluice.api_keys DROP COLUMN site;
DROP TABLE sluice.log_sources;
DROP TABLE sluice.run_logs;
DROP SEQUENCE sluice.run_logs_id_seq;
