// The contract between the runPipeline workflow and a node activity: what one activity
// execution receives and returns. Small JSON only: rows travel through datasets, never here.
import type { NodeStats } from './messages.js';

export interface NodeTaskInput {
  runId: string;
  pipeline: string;
  nodeId: string;
  type: string;
  /** Site the node runs on, or null for the central workers. */
  site: string | null;
  /** Node config with templates resolved; `{ $secret }` references are still unresolved. */
  config: Record<string, unknown>;
  /** Outputs of the node's direct upstream nodes, by node id. */
  inputs: Record<string, Record<string, unknown>>;
  /** Where a paused execution stopped; absent on a first start. */
  checkpoint?: unknown;
  /** Bad-record thresholds; absent means the default (no bad record allowed). */
  limits?: NodeLimits;
  /** State a previous successful run of this node saved (e.g. an incremental high-water mark). */
  state?: unknown;
  /**
   * The node's `stallTimeout` (or the spec's default) in ms: an attempt whose rows and parts have
   * not moved for this long is failed, retryably. Absent means DEFAULT_STALL_TIMEOUT_MS.
   */
  stallTimeoutMs?: number;
}

/** How long a node's rows and parts may stand still before its attempt is failed as stalled (5 minutes). */
export const DEFAULT_STALL_TIMEOUT_MS = 5 * 60 * 1000;

/** How many bad records a node tolerates before it fails; null = no such limit. */
export interface NodeLimits {
  maxBadRecords: number | null;
  maxBadRatio: number | null;
}

export const DEFAULT_LIMITS: NodeLimits = { maxBadRecords: 0, maxBadRatio: null };

export type NodeTaskResult =
  | { status: 'done'; outputs: Record<string, unknown>; stats: NodeStats; attempt: number }
  | { status: 'paused'; checkpoint: unknown; stats: NodeStats; attempt: number };

/** Details attached to a node's failure, so the workflow can report the attempt and counts. */
export interface NodeFailureDetails {
  attempt: number;
  stats: NodeStats;
}

/** Heartbeat payload of a running node: the API reads it to show moving row counts. */
export interface NodeHeartbeat {
  rowsIn: number;
  rowsOut: number;
  checkpoint: unknown;
  stats: NodeStats;
  /** When the node's counts or checkpoint last moved (ISO time); absent in heartbeats of older workers. */
  movedAt?: string;
}

/** Error type of failures that retrying cannot fix (bad config, missing secret or table). */
export { ERROR_TYPES } from '../dag/vocabulary.js';
