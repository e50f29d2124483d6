// The words every part of Sluice shares, declared once: run statuses, node states, where a node
// runs, and the failure types that mean "retrying cannot fix this". Pure, so the workflow bundle,
// the API, the engine and the connector kit all import it.

// `queued`: the pipeline's concurrency limit is reached and the run waits for a slot before any node runs.
export const RUN_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const NODE_STATES = ['pending', 'running', 'paused', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** Node states that never change again within a run. */
export const FINAL_NODE_STATES: ReadonlySet<NodeState> = new Set<NodeState>(['succeeded', 'failed', 'skipped', 'cancelled']);

/**
 * Where a node without `site` runs: the central workers. Spelled this one way wherever a place is
 * shown (progress, logs, worker identities); `site` itself stays unset (null in messages).
 */
export const CENTRAL = 'central';

/** The place a node runs, as shown: its site, or `central`. */
export function placeOf(site: string | null | undefined): string {
  return site ?? CENTRAL;
}

/** The worker that runs a node, in a sentence: `the worker of site acme` or `the central worker`. */
export function workerOf(site: string | null | undefined): string {
  return site ? `the worker of site ${site}` : `the ${CENTRAL} worker`;
}

/** Failure types of errors that retrying cannot fix (the connector kit's ConfigError and DataError). */
export const ERROR_TYPES = { config: 'ConfigError', data: 'DataError', policy: 'PolicyError' } as const;

/** What a pipeline's `notify` entries can be told of: the run completed, failed, paused or was cancelled, or is still open past its `sla`. */
export const NOTIFY_EVENTS = ['succeeded', 'failed', 'paused', 'cancelled', 'slaMissed'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
