// Messages of the runPipeline workflow, declared once and imported by the workflow and by clients,
// so the two sides cannot drift. Only @temporalio/workflow and src/dag may be imported here.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { NodeState, RunStatus } from '../dag/vocabulary.js';
import type { NodeSpec, NotifySpec, PipelineSpec } from '../dag/spec.js';
import type { NotifyEvent } from '../dag/vocabulary.js';
import type { TemplateContext } from '../dag/template.js';

export type { NodeState, RunStatus };

export const WORKFLOW_TYPE = 'runPipeline';

/** Counters a node reports while it runs (heartbeats) and when it ends. */
export interface NodeStats {
  rowsIn: number;
  rowsOut: number;
  [key: string]: number;
}

export interface NodeProgress {
  state: NodeState;
  /** Attempt of the node's current or last activity execution (1-based), 0 before it starts. */
  attempt: number;
  startedAt: string | null;
  endedAt: string | null;
  stats: NodeStats;
  error: string | null;
  /** Where the node runs: its site, or CENTRAL (src/dag/vocabulary.ts). */
  site: string;
  /** Small JSON the node produced (dataset reference, counts); null until it succeeds. */
  outputs: Record<string, unknown> | null;
  /** Earlier tries of this node in this run, oldest first, when it was retried in place. */
  earlierTries?: NodeTry[];
  /** A mapped node (`forEach`): its items, and their states as of the chunks that have ended. */
  map?: MapProgress;
}

/** How far a mapped node has got: items by state over the chunks that have ended (a chunk reports as it ends). */
export interface MapProgress {
  items: number;
  chunks: number;
  chunksDone: number;
  byState: Partial<Record<NodeState, number>>;
  /** Workflow ids of the chunks running now: the API adds what their `chunkProgress` query says to byState. */
  running?: string[];
}

/** How one try of a node ended before the run was retried in place. */
export interface NodeTry {
  state: NodeState;
  attempt: number;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  stats: NodeStats;
}

export interface RunProgress {
  runId: string;
  pipeline: string;
  version: number;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
  error: string | null;
  /** While a failed run waits for a retry: when its recovery window ends and it closes as failed. */
  recoverableUntil?: string | null;
  /** While the run is queued: what it waits for (the API adds its place in the queue and the runs holding the slots). */
  waiting?: string;
  /** Node counts by state and row totals; present on every answer of this workflow version. */
  summary?: RunSummary;
  /**
   * Every node, or on a run of more than PROGRESS_NODE_LIMIT nodes only those running, paused or
   * failed (up to that limit; `nodesQuery` pages through the rest), so the answer stays small.
   */
  nodes: Record<string, NodeProgress>;
  /** `partial` when `nodes` holds only some of the run's nodes. */
  detail?: 'all' | 'partial';
}

/** A run at a glance: how many nodes are in each state, and the rows they read and wrote. */
export interface RunSummary {
  nodes: number;
  byState: Record<NodeState, number>;
  rowsIn: number;
  rowsOut: number;
  /** Executions this run has had so far: a long run continues as new to keep each history short. */
  segments: number;
}

/** Runs with more nodes than this answer `progress` with a summary and the active nodes only. */
export const PROGRESS_NODE_LIMIT = 1_000;

/** A page of node detail: nodes in spec order, optionally of one state, after the node `after`. */
export interface NodesRequest {
  state?: NodeState;
  after?: string;
  limit?: number;
}

export interface NodesPage {
  nodes: (NodeProgress & { id: string })[];
  /** The id to pass as `after` for the next page; null on the last. */
  next: string | null;
}

/** The largest page nodesQuery returns. */
export const MAX_NODES_PAGE = 1_000;


/** Input of one run: a validated spec (secrets still as { $secret } references) and resolved params. */
export interface RunInput {
  pipeline: string;
  version: number;
  spec: PipelineSpec;
  params: Record<string, unknown>;
  /** State the last successful run saved, by node id (incremental high-water marks); the API reads it at start. */
  state?: Record<string, unknown>;
  /**
   * Read the saved node states when the run starts instead of taking `state` (sluice.readState): a
   * schedule's runs, whose input is fixed when the schedule is made, must start from the marks of
   * the run before them.
   */
  readState?: boolean;
}

export type RunResult = RunProgress;

/** The central activity that saves node states after a successful run (registered by central workers). */
export const SAVE_STATE_ACTIVITY = 'sluice.saveState';

/** What sluice.saveState stores: the new state of each node that reported one, for the next run to start from. */
export interface SaveStateInput {
  pipeline: string;
  runId: string;
  states: Record<string, unknown>;
  /**
   * When the run started reading from the saved states (its start, or when it got its concurrency
   * slot): a save from a run that started before the one whose states are stored is refused.
   * Absent from runs of older code, whose saves always go through.
   */
  startedAt?: string;
}

/** The central activity a scheduled run calls first: the node states saved so far, for it to start from. */
export const READ_STATE_ACTIVITY = 'sluice.readState';

/** Central activities that take and give back a run's concurrency slot (registered by central workers). */
export const ACQUIRE_SLOT_ACTIVITY = 'sluice.acquireSlot';
export const RELEASE_SLOT_ACTIVITY = 'sluice.releaseSlot';

/** A run asking for (or giving back) one of its pipeline's `limit` concurrency slots. */
export interface SlotRequest {
  pipeline: string;
  runId: string;
  limit: number;
}

/** The slot is the run's: the node states saved by the runs before it, read as it was granted. */
export interface SlotGrant {
  states: Record<string, unknown>;
}

/**
 * Failure type of a sluice.acquireSlot attempt that found no free slot: a benign failure that
 * Temporal retries until a slot is free (retries add nothing to the run's history). Its message
 * says how many runs wait ahead and which hold the slots.
 */
export const SLOT_QUEUED = 'SlotQueued';

export const CHECK_WORKFLOW_TYPE = 'checkPipeline';
/** The check activity every worker (central and site) registers. */
export const CHECK_ACTIVITY = 'sluice.check';
/** How long a node's worker has to pick up its check, and then to finish it. */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/** Input of checkPipeline: what a run would get, plus the per-node timeout. */
export interface CheckInput extends RunInput {
  timeoutMs?: number;
}

/** One node's check, run by the worker of its site; secrets are still { $secret } references. */
export interface NodeCheckTask {
  pipeline: string;
  nodeId: string;
  type: string;
  site: string | null;
  /** Config with params and run templates resolved. */
  config: Record<string, unknown>;
  /** The check gives up (ok: false) after this long. */
  timeoutMs: number;
}

/** A node's check: passed (with its duration), not run (and why), or failed (message scrubbed of secrets). */
export type NodeCheckResult = { ok: true; ms: number } | { ok: true; skipped: string } | { ok: false; error: string };

export interface CheckResult {
  ok: boolean;
  nodes: Record<string, NodeCheckResult>;
}

/** Body of the retry update: the failed nodes to run again; absent or empty means every failed node. */
export interface RetryRequest {
  nodes?: string[];
}

/** The retry update's answer: the nodes that will run again (the failed ones asked for and what depends on them). */
export interface RetryResult {
  retried: string[];
  reopened: string[];
}

/** Failure types the retry update's validator rejects with; the API maps them to 409 and 422. */
export const RETRY_REJECTIONS = { notFailed: 'RunNotFailed', badNodes: 'RetryBadNodes' } as const;

/** The child workflow that runs one chunk of a mapped node's items (map-chunk.ts). */
export const MAP_CHUNK_WORKFLOW_TYPE = 'runMapChunk';
/** Items per chunk: each chunk is one child workflow, whose history stays far below 10,000 events. */
export const MAP_CHUNK_ITEMS = 1_000;
/** A mapped node runs ceil(maxParallel / this) chunks at once, each with an equal share of maxParallel. */
export const MAP_INSTANCES_PER_CHUNK = 16;
/** Central activities that write one chunk's instance outputs as a part of the node's dataset, and seal it. */
export const GATHER_MAPPED_ACTIVITY = 'sluice.gatherMapped';
export const SEAL_MAPPED_ACTIVITY = 'sluice.sealMapped';

/** One chunk of a mapped node's items, as its child workflow gets it. */
export interface MapChunkInput {
  runId: string;
  pipeline: string;
  node: NodeSpec;
  defaults: PipelineSpec['defaults'];
  /** Task queue of the run (central); site nodes' instances go to its site queue. */
  taskQueue: string;
  chunk: number;
  /** Index of the chunk's first item in the node's list. */
  first: number;
  items: unknown[];
  /** What the config's templates read besides the item: params, run, and the outputs of the nodes they name. */
  context: TemplateContext;
  /** Outputs of the node's direct upstream nodes, as every instance's task gets them. */
  inputs: Record<string, Record<string, unknown>>;
  /** Instances of this chunk running at once. */
  parallel: number;
  /** onFailure: stop: the first failed instance stops the chunk (its running siblings are cancelled). */
  stopOnFailure: boolean;
  /** Whether the run was paused as the chunk started. */
  paused: boolean;
}

/** How a chunk ended: small, whatever its size; instance outputs are in its part of the node's dataset. */
export interface MapChunkResult {
  chunk: number;
  items: number;
  byState: Partial<Record<NodeState, number>>;
  rowsIn: number;
  rowsOut: number;
  /** The first failed instances, by index in the node's list. */
  failures: { index: number; error: string }[];
  /** Bytes of the chunk's part of the dataset. */
  bytes: number;
}

/** What a mapped node keeps across chunks, retries and continue-as-new: its list's length and each chunk's result. */
export interface MapRecord {
  items: number;
  chunks: (MapChunkResult | null)[];
}

/** One chunk's instances, written by sluice.gatherMapped as part `chunk` of the node's dataset. */
export interface GatherInput {
  runId: string;
  nodeId: string;
  chunk: number;
  first: number;
  instances: GatheredInstance[];
}

export interface GatheredInstance {
  item: unknown;
  state: NodeState;
  attempt: number;
  outputs: Record<string, unknown> | null;
  error: string | null;
  stats: NodeStats;
}

/** Seals a mapped node's dataset once every chunk has written its part. */
export interface SealMappedInput {
  runId: string;
  nodeId: string;
  parts: number;
  rows: number;
  bytes: number;
}

/** The child workflow that delivers one event of a run to its `notify` targets (notify.ts), and the activity that sends to one. */
export const NOTIFY_WORKFLOW_TYPE = 'sendNotification';
export const NOTIFY_ACTIVITY = 'sluice.notify';

/** What a run tells its notify targets (the webhook body; Slack gets it as one line of text). */
export interface Notification {
  event: NotifyEvent;
  runId: string;
  pipeline: string;
  version: number;
  status: RunStatus;
  startedAt: string;
  at: string;
  error: string | null;
  /** The first failed nodes, with their errors. */
  failedNodes: { id: string; error: string | null }[];
  /** The pipeline's sla in ms, on slaMissed. */
  slaMs?: number;
}

/** One delivery: the event to the `notify` entry at `index` (secrets still as { $secret } references). */
export interface NotifyTask {
  notification: Notification;
  target: NotifySpec;
  index: number;
  /** Unique per event and target: the receiver can drop a repeated delivery (Sluice-Delivery header). */
  delivery: string;
}

/** The central activity with which a run records itself in the durable run history (src/worker/run-history.ts). */
export const RECORD_RUN_ACTIVITY = 'sluice.recordRun';

/** One write of a run's record: its status now; params with the first write, the summary and per-node counts with the last. */
export interface RunRecordInput {
  runId: string;
  pipeline: string;
  version: number;
  status: RunStatus;
  open: boolean;
  seq: number;
  startedAt: string;
  endedAt: string | null;
  error: string | null;
  scheduleId: string | null;
  scheduledAt: string | null;
  params?: Record<string, unknown>;
  summary?: RunSummary;
  /** Per node, for runs of up to PROGRESS_NODE_LIMIT nodes. */
  nodes?: Record<string, { state: NodeState; attempt: number; rowsIn: number; rowsOut: number; error: string | null }>;
}

/** A running chunk's instances so far (the same shape as its result; `bytes` 0 until it ends). */
export const chunkProgressQuery = defineQuery<MapChunkResult>('chunkProgress');

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<RunProgress>('progress');
export const nodesQuery = defineQuery<NodesPage, [NodesRequest]>('nodes');
export const retryUpdate = defineUpdate<RetryResult, [RetryRequest]>('retry');

export const SLUICE_PIPELINE = defineSearchAttributeKey('SluicePipeline', 'KEYWORD');
export const SLUICE_STATUS = defineSearchAttributeKey('SluiceStatus', 'KEYWORD');
/**
 * Set by Temporal on each run a schedule starts (also by a trigger or a backfill): the time the
 * schedule started it for, and the schedule's id. Predefined attributes: they are not registered.
 */
export const TEMPORAL_SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');
export const TEMPORAL_SCHEDULED_BY_ID = defineSearchAttributeKey('TemporalScheduledById', 'KEYWORD');
/** Every custom search attribute the workflow uses, registered on the namespace at start-up. */
export const SEARCH_ATTRIBUTES = [SLUICE_PIPELINE, SLUICE_STATUS] as const;

/** The short workflow with which the API reads a sample of a central node's rejected records (rejected.ts). */
export const REJECTED_SAMPLE_WORKFLOW_TYPE = 'sampleRejected';
/** The central activity that reads them from the central staging store. */
export const REJECTED_SAMPLE_ACTIVITY = 'sluice.sampleRejected';
/** How long the sample may take, start to answer; past it, no central worker read it (the API says 503). */
export const REJECTED_SAMPLE_TIMEOUT_MS = 20_000;

/**
 * Where a node's dead-letter dataset is: `ref`, the reference its outputs hold (a node that
 * succeeded); `parts`, the parts written so far, at most `upTo` records (a node running or failed:
 * its current try has written exactly that many); `seal`, whatever the store holds for the id (an
 * instance of a mapped node, whose outputs the run view does not carry): its seal, else its parts.
 */
export type RejectedSource =
  | { kind: 'ref'; ref: { uri: string; rows: number; parts: number; format?: 'avro' | 'pgcopy' } }
  | { kind: 'parts'; upTo: number }
  | { kind: 'seal' };

export interface RejectedSampleInput {
  runId: string;
  nodeId: string;
  limit: number;
  source: RejectedSource;
}

/** One bad record as the dead-letter dataset keeps it (scrubbed of secret values when written). */
export interface RejectedRecord {
  reason: string;
  position: string;
  record: unknown;
}

/**
 * The first records; `total` when the store tells it (a seal or a reference), else null; `more`
 * whether records follow these; `gone` when the dataset's parts were removed (staging retention).
 */
export interface RejectedSampleResult {
  records: RejectedRecord[];
  total: number | null;
  more: boolean;
  gone?: string;
}
