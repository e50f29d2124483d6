// Builds the Temporal visibility query behind GET /runs. Values are validated before they get
// here (pipeline names, status enum); quoting still escapes so no value can change the query.
import { SLUICE_PIPELINE, SLUICE_STATUS, TEMPORAL_SCHEDULED_BY_ID, WORKFLOW_TYPE } from '../../workflows/messages.js';
import type { RunStatus } from '../../dag/vocabulary.js';

/** A visibility-query string literal. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// Closed executions are matched by their execution status too: a terminated or timed-out run
// never upserted its final SluiceStatus.
const STATUS_CLAUSE: Record<RunStatus, string> = {
  queued: `${SLUICE_STATUS.name} = ${quote('queued')} AND ExecutionStatus = 'Running'`,
  running: `${SLUICE_STATUS.name} = ${quote('running')} AND ExecutionStatus = 'Running'`,
  paused: `${SLUICE_STATUS.name} = ${quote('paused')} AND ExecutionStatus = 'Running'`,
  completed: `ExecutionStatus = 'Completed'`,
  // Open and failed: waiting in its recovery window for a retry.
  failed: `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut' OR (${SLUICE_STATUS.name} = ${quote('failed')} AND ExecutionStatus = 'Running'))`,
  cancelled: `ExecutionStatus = 'Canceled'`,
};

export interface RunFilter {
  pipeline?: string | undefined;
  status?: RunStatus | undefined;
  /** Only runs this schedule started. */
  schedule?: string | undefined;
  /** Only runs of these pipelines (a scoped key's); an empty list matches nothing. */
  within?: readonly string[] | undefined;
}

export function visibilityQuery(filter: RunFilter): string {
  const clauses = [`WorkflowType = ${quote(WORKFLOW_TYPE)}`];
  if (filter.pipeline !== undefined) clauses.push(`${SLUICE_PIPELINE.name} = ${quote(filter.pipeline)}`);
  if (filter.within !== undefined) clauses.push(`${SLUICE_PIPELINE.name} IN (${filter.within.map(quote).join(', ')})`);
  if (filter.schedule !== undefined) clauses.push(`${TEMPORAL_SCHEDULED_BY_ID.name} = ${quote(filter.schedule)}`);
  if (filter.status !== undefined) clauses.push(STATUS_CLAUSE[filter.status]);
  return clauses.join(' AND ');
}
