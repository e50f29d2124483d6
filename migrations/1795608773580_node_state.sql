-- Up Migration
-- State a node saves for the next run of its pipeline (an incremental read's high-water mark).
-- Written once per successful run by the central activity sluice.saveState; a failed run never
-- writes here, so its rows are read again by the next run.
CREATE TABLE sluice.node_state (
  pipeline    text NOT NULL,
  node_id     text NOT NULL,
  state       jsonb NOT NULL,
  -- The run that saved it: where to look when a mark needs explaining.
  run_id      text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, node_id)
);

-- Down Migration
DROP TABLE sluice.node_state;
