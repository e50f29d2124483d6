-- Up Migration
-- Every run, as its workflow records it through the central activity sluice.recordRun (and as the
-- API records it when it starts one): what GET /runs lists, newest first, and what GET /runs/{id}
-- answers once Temporal's retention has removed the run. Live state still comes from Temporal.
-- `seq` orders the workflow's writes: a write with a lower seq than the row's is ignored, so writes
-- that arrive out of order never move a run back.
CREATE TABLE sluice.runs (
  run_id        text PRIMARY KEY,
  pipeline      text NOT NULL,
  version       integer,
  status        text NOT NULL,
  -- Until the run has closed (a failed run waiting for a retry is failed and still open).
  open          boolean NOT NULL DEFAULT true,
  schedule_id   text,
  scheduled_at  timestamptz,
  -- The run's params as given (values, never secrets: secrets are { $secret } references in specs only).
  params        jsonb NOT NULL DEFAULT '{}',
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz,
  error         text,
  -- { nodes, byState, rowsIn, rowsOut, segments } and, for runs of up to 1,000 nodes, per node
  -- { state, attempt, rowsIn, rowsOut, error }: written as the run closes.
  summary       jsonb,
  nodes         jsonb,
  seq           bigint NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_newest ON sluice.runs (started_at DESC, run_id DESC);
CREATE INDEX runs_pipeline_newest ON sluice.runs (pipeline, started_at DESC, run_id DESC);
CREATE INDEX runs_schedule_newest ON sluice.runs (schedule_id, started_at DESC, run_id DESC) WHERE schedule_id IS NOT NULL;
CREATE INDEX runs_open ON sluice.runs (started_at) WHERE open;

-- Down Migration
DROP TABLE sluice.runs;
