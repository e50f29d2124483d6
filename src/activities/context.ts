// What a node executor gets to work with, and what it returns.
import type { NodeCount } from './metrics.js';
import type { Logger } from '../log.js';
import type { NodeStats } from '../workflows/messages.js';
import type { NodeLimits } from '../workflows/node-task.js';
import type { DatasetRef } from '../kit/dataset.js';
import type { StagingStore } from './staging.js';
import type { Access } from '../kit/access.js';

export interface NodeContext<C> {
  runId: string;
  pipeline: string;
  nodeId: string;
  site: string | null;
  attempt: number;
  /** Config parsed by the node type's schema, secrets resolved. */
  config: C;
  /** Outputs of the direct upstream nodes. */
  inputs: Record<string, Record<string, unknown>>;
  /** Where an earlier execution or attempt of this node stopped, if it did. */
  checkpoint: unknown;
  staging: StagingStore;
  /** The site policy's checks for files and hosts, handed to connectors. */
  access: Access;
  log: Logger;
  /** Counters of this execution; the executor mutates them and they go out with each heartbeat. */
  stats: NodeStats;
  /** Records the latest committed position; sent with the next heartbeat (at least every second). */
  commit(checkpoint: unknown): void;
  /** True once the workflow asked this execution to stop (pause or cancel): stop at a batch boundary. */
  stopRequested(): boolean;
  /** Aborted together with stopRequested, for waits that should end early. */
  signal: AbortSignal;
  /** Aborted when the executor gave up on this attempt as stalled: connections should be dropped at once. */
  abandon: AbortSignal;
  /** The record dataset this node reads (config.input, or its one upstream with a dataset). */
  inputDataset(input?: string): DatasetRef;
  /** The secret values this node's config resolved: scrubbed from whatever it hands out. */
  secrets: readonly string[];
  /** Bad-record thresholds of this node. */
  limits: NodeLimits;
  /** Adds what this attempt just committed to the worker's metrics (rows, bytes, bad records). */
  count(what: NodeCount, n: number): void;
  /** State saved by the previous successful run of this node, if any. */
  state: unknown;
}

export type NodeOutcome = { outputs: Record<string, unknown> } | { paused: true; checkpoint: unknown };

export type NodeRunner<C> = (ctx: NodeContext<C>) => Promise<NodeOutcome>;
