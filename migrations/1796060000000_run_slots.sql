-- Up Migration
-- Concurrency slots of pipelines whose spec sets `concurrency: { limit }`: one row per run that
-- holds a slot or waits for one. Taken and given up under a transaction-scoped advisory lock on
-- the pipeline, so API processes and central workers that share only this database agree on who
-- holds what. A run removes its row when it closes; a row whose run closed without doing so
-- (terminated from outside) is dropped by the next start or wait that finds the pipeline full.
CREATE TABLE sluice.run_slots (
  run_id      text PRIMARY KEY,
  pipeline    text NOT NULL,
  state       text NOT NULL CHECK (state IN ('queued', 'holding')),
  -- Queue order (FIFO): the order in which runs asked for a slot.
  seq         bigserial NOT NULL,
  -- When the run asked for a slot, and when it got one.
  queued_at   timestamptz NOT NULL DEFAULT now(),
  granted_at  timestamptz,
  -- When Temporal was last asked whether the run is still open (leaked slots), to ask at most every few seconds.
  checked_at  timestamptz
);
CREATE INDEX run_slots_pipeline ON sluice.run_slots (pipeline, seq);

-- The incremental mark only moves forward: each saved state records when the run that saved it
-- started reading (its start, or the moment it got its concurrency slot), and a save from a run
-- that started before the one whose state is stored is refused. NULL: saved before this column.
ALTER TABLE sluice.node_state ADD COLUMN run_started_at timestamptz;

-- Down Migration
ALTER TABLE sluice.node_state DROP COLUMN run_started_at;
DROP TABLE sluice.run_slots;
