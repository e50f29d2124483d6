// One node (or one instance of a mapped node) as activity executions: the options its activities
// get, and the loop that runs them until the node succeeds, fails for good or is cancelled, a pause
// ending one execution with a checkpoint the next resumes from. Shared by the run (run.ts) and the
// chunks of mapped nodes (map-chunk.ts). Deterministic code only.
import * as wf from '@temporalio/workflow';
import { ActivityCancellationType, ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import type { NodeSpec, PipelineSpec } from '../dag/spec.js';
import type { NodeStats } from './messages.js';
import { ERROR_TYPES, type NodeFailureDetails, type NodeLimits, type NodeTaskInput, type NodeTaskResult } from './node-task.js';

/** Defaults applied when neither the node nor the spec's `defaults` say otherwise. */
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30 * 1000;
const DEFAULT_RETRY: RetryPolicy = { maximumAttempts: 3, initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 60_000 };

type NodeActivity = (input: NodeTaskInput) => Promise<NodeTaskResult>;
export type SpecDefaults = PipelineSpec['defaults'];

export function emptyStats(): NodeStats {
  return { rowsIn: 0, rowsOut: 0 };
}

export function now(): string {
  return new Date().toISOString();
}

function retryPolicy(defaults: SpecDefaults, node: NodeSpec): RetryPolicy {
  const merged = { ...DEFAULT_RETRY, ...defaults?.retry, ...node.retry };
  return { ...merged, nonRetryableErrorTypes: [...new Set([...(merged.nonRetryableErrorTypes ?? []), ERROR_TYPES.config])] };
}

/** Node limits over defaults; with neither count nor ratio set, no bad record is tolerated. */
export function nodeLimits(defaults: SpecDefaults, node: NodeSpec): NodeLimits {
  const maxBadRecords = node.maxBadRecords ?? defaults?.maxBadRecords;
  const maxBadRatio = node.maxBadRatio ?? defaults?.maxBadRatio;
  if (maxBadRecords === undefined && maxBadRatio === undefined) return { maxBadRecords: 0, maxBadRatio: null };
  return { maxBadRecords: maxBadRecords ?? null, maxBadRatio: maxBadRatio ?? null };
}

export function errorMessage(err: unknown): string {
  // An activity's own message sits on the cause; ActivityFailure's message is a generic wrapper.
  if ((err instanceof wf.ActivityFailure || err instanceof wf.ChildWorkflowFailure) && err.cause) return err.cause.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

function failureDetails(err: unknown): NodeFailureDetails | undefined {
  const cause = err instanceof wf.ActivityFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.details && cause.details.length > 0) {
    return cause.details[0] as NodeFailureDetails;
  }
  return undefined;
}

/** The activity a node's execution number `execution` runs: on its site's task queue, with its timeouts and retry policy. */
function nodeActivities(defaults: SpecDefaults, node: NodeSpec, baseQueue: string, nodeId: string, execution: number): Record<string, NodeActivity> {
  return wf.proxyActivities<Record<string, NodeActivity>>({
    taskQueue: node.site ? `${baseQueue}-site-${node.site}` : baseQueue,
    activityId: `${nodeId}.${execution}`,
    summary: nodeId,
    startToCloseTimeout: node.timeout ?? defaults?.timeout ?? DEFAULT_TIMEOUT_MS,
    heartbeatTimeout: node.heartbeatTimeout ?? defaults?.heartbeatTimeout ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    retry: retryPolicy(defaults, node),
    // Pause cancels the execution; waiting lets it finish its batch and hand back a checkpoint.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

/**
 * A central activity of the run (on its own task queue): retried for a few minutes, backing off,
 * except a ConfigError (the worker lacks what it needs, e.g. its metadata database), which is final.
 */
export function centralActivity<I, O>(name: string, summary: string, startToCloseTimeout = 60_000): (input: I) => Promise<O> {
  return wf.proxyActivities<Record<string, (input: I) => Promise<O>>>({
    summary,
    startToCloseTimeout,
    retry: { maximumAttempts: 10, initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 30_000, nonRetryableErrorTypes: [ERROR_TYPES.config] },
  })[name]!;
}

/** What the loop asks of whoever keeps the node's record. */
export interface ExecutionHost {
  isPaused(): boolean;
  /** An execution starts (the node is running): returns its number, for the activity id `<node>.<n>`. */
  begin(): number;
  /** The scope of the execution in progress (null once it ended): pausing cancels it. */
  track(scope: wf.CancellationScope | null): void;
  /** The attempt and counts an execution reported, in a result or a failure. */
  report(attempt: number, stats: NodeStats): void;
  /** An execution ended with a checkpoint because the run paused. */
  pausedAt(): void;
}

export type ExecutionOutcome =
  | { state: 'succeeded'; outputs: Record<string, unknown> }
  | { state: 'cancelled' }
  | { state: 'failed'; error: string };

/**
 * Runs `task` as activity executions until it succeeds, fails for good or its node is cancelled
 * (`nodeScope`); a paused run waits before each execution, and a pause ends one with a checkpoint.
 */
export async function executeNode(
  task: Omit<NodeTaskInput, 'checkpoint'>,
  node: NodeSpec,
  defaults: SpecDefaults,
  baseQueue: string,
  host: ExecutionHost,
  nodeScope: wf.CancellationScope,
): Promise<ExecutionOutcome> {
  let checkpoint: unknown = undefined;
  for (;;) {
    try {
      // Not paused, a node starts at once (an awaited condition costs promises, and the sandbox takes a
      // stack trace for each); a paused one waits in its node scope, which stopping or cancelling cancels.
      if (host.isPaused() || nodeScope.consideredCancelled) await nodeScope.run(() => wf.condition(() => !host.isPaused()));
    } catch {
      // The run was cancelled while this node sat paused.
      return { state: 'cancelled' };
    }
    const n = host.begin();
    // A child of the node scope, whichever scope the caller runs in: cancelling the node cancels it.
    const execution = new wf.CancellationScope({ cancellable: true, parent: nodeScope });
    host.track(execution);
    try {
      const activity = nodeActivities(defaults, node, baseQueue, task.nodeId, n);
      const result = await execution.run(() => activity[node.type]!(checkpoint === undefined ? task : { ...task, checkpoint }));
      host.report(result.attempt, result.stats);
      if (result.status === 'paused') {
        checkpoint = result.checkpoint;
        if (nodeScope.consideredCancelled) return { state: 'cancelled' };
        host.pausedAt();
        continue;
      }
      return { state: 'succeeded', outputs: result.outputs };
    } catch (err) {
      if (nodeScope.consideredCancelled) return { state: 'cancelled' };
      if (wf.isCancellation(err) && host.isPaused()) {
        // Cancelled before it could report (e.g. waiting for a retry): keep the last checkpoint.
        host.pausedAt();
        continue;
      }
      const details = failureDetails(err);
      if (details) host.report(details.attempt, details.stats);
      return { state: 'failed', error: errorMessage(err) };
    } finally {
      host.track(null);
    }
  }
}
