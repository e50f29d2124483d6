// The interpreter workflow: runs a validated pipeline spec as a DAG of node activities.
// Deterministic code only: imports are limited to @temporalio/workflow and src/dag.
import * as wf from '@temporalio/workflow';
import { ActivityCancellationType, ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import { nextActions } from '../dag/plan.js';
import { placeOf } from '../dag/vocabulary.js';
import { evaluateWhen, resolveTemplates, TemplateError, type TemplateContext } from '../dag/template.js';
import type { NodeSpec, PipelineSpec } from '../dag/spec.js';
import {
  pauseSignal,
  progressQuery,
  resumeSignal,
  SAVE_STATE_ACTIVITY,
  SLUICE_PIPELINE,
  SLUICE_STATUS,
  type NodeProgress,
  type NodeState,
  type NodeStats,
  type RunInput,
  type RunProgress,
  type RunResult,
  type RunStatus,
  type SaveStateInput,
} from './messages.js';
import { ERROR_TYPES, type NodeFailureDetails, type NodeLimits, type NodeTaskInput, type NodeTaskResult } from './node-task.js';

/** Defaults applied when neither the node nor the spec's `defaults` say otherwise. */
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30 * 1000;
const DEFAULT_RETRY: RetryPolicy = { maximumAttempts: 3, initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 60_000 };

type NodeActivity = (input: NodeTaskInput) => Promise<NodeTaskResult>;
type SaveStateActivity = (input: SaveStateInput) => Promise<void>;

/** Guards the sluice.saveState call added after runs that were recorded without it. */
const SAVE_STATE_PATCH = 'save-node-state';

function emptyStats(): NodeStats {
  return { rowsIn: 0, rowsOut: 0 };
}

function now(): string {
  return new Date().toISOString();
}

function retryPolicy(spec: PipelineSpec, node: NodeSpec): RetryPolicy {
  const merged = { ...DEFAULT_RETRY, ...spec.defaults?.retry, ...node.retry };
  return { ...merged, nonRetryableErrorTypes: [...new Set([...(merged.nonRetryableErrorTypes ?? []), ERROR_TYPES.config])] };
}

/** Node limits over defaults; with neither count nor ratio set, no bad record is tolerated. */
function limits(spec: PipelineSpec, node: NodeSpec): NodeLimits {
  const maxBadRecords = node.maxBadRecords ?? spec.defaults?.maxBadRecords;
  const maxBadRatio = node.maxBadRatio ?? spec.defaults?.maxBadRatio;
  if (maxBadRecords === undefined && maxBadRatio === undefined) return { maxBadRecords: 0, maxBadRatio: null };
  return { maxBadRecords: maxBadRecords ?? null, maxBadRatio: maxBadRatio ?? null };
}

function errorMessage(err: unknown): string {
  // An activity's own message sits on the cause; ActivityFailure's message is a generic wrapper.
  if (err instanceof wf.ActivityFailure && err.cause) return err.cause.message;
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

/** The `state` output of each succeeded node (e.g. an incremental read's new high-water mark). */
function statesToSave(progress: RunProgress): Record<string, unknown> {
  return Object.fromEntries(Object.entries(progress.nodes).flatMap(([id, p]) => (p.outputs?.state === undefined ? [] : [[id, p.outputs.state]])));
}

/** Saves node states centrally; a worker without the metadata database fails it with a ConfigError. */
function saveStateActivity(): SaveStateActivity {
  return wf.proxyActivities<Record<string, SaveStateActivity>>({
    summary: 'save node state',
    startToCloseTimeout: 60_000,
    retry: { maximumAttempts: 10, initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 30_000, nonRetryableErrorTypes: [ERROR_TYPES.config] },
  })[SAVE_STATE_ACTIVITY]!;
}

/** Runs one pipeline: nodes in dependency order, up to maxParallel at once, pausable mid-node. */
export async function runPipeline(input: RunInput): Promise<RunResult> {
  const { spec } = input;
  const info = wf.workflowInfo();
  const byId = new Map(spec.nodes.map((n) => [n.id, n]));
  const progress: RunProgress = {
    runId: info.workflowId,
    pipeline: input.pipeline,
    version: input.version,
    status: 'running',
    startedAt: now(),
    endedAt: null,
    error: null,
    nodes: Object.fromEntries(
      spec.nodes.map((n): [string, NodeProgress] => [
        n.id,
        { state: 'pending', attempt: 0, startedAt: null, endedAt: null, stats: emptyStats(), error: null, site: placeOf(n.site), outputs: null },
      ]),
    ),
  };

  let paused = false;
  /** Bumped on every change the scheduler loop must react to. */
  let tick = 0;
  /** Scope of each running node's current activity execution; pause cancels these. */
  const executionScopes = new Map<string, wf.CancellationScope>();
  /** Scope of each running node as a whole; a sibling's failure cancels these. */
  const nodeScopes = new Map<string, wf.CancellationScope>();
  const inflight = new Map<string, Promise<void>>();
  let failedNode: string | null = null;

  const setStatus = (status: RunStatus): void => {
    progress.status = status;
    wf.upsertSearchAttributes([{ key: SLUICE_STATUS, value: status }]);
  };
  wf.upsertSearchAttributes([
    { key: SLUICE_PIPELINE, value: input.pipeline },
    { key: SLUICE_STATUS, value: 'running' },
  ]);

  wf.setHandler(progressQuery, () => progress);
  wf.setHandler(pauseSignal, () => {
    if (paused || progress.status !== 'running') return;
    paused = true;
    setStatus('paused');
    for (const scope of executionScopes.values()) scope.cancel();
    tick++;
  });
  wf.setHandler(resumeSignal, () => {
    if (!paused || progress.status !== 'paused') return;
    paused = false;
    setStatus('running');
    tick++;
  });

  const templateContext = (): TemplateContext => ({
    params: input.params,
    nodes: Object.fromEntries(Object.entries(progress.nodes).map(([id, p]) => [id, { outputs: p.outputs }])),
    run: { id: info.workflowId, pipeline: input.pipeline },
  });

  const finishNode = (id: string, state: NodeState, error: string | null = null): void => {
    const p = progress.nodes[id]!;
    p.state = state;
    p.endedAt = now();
    if (error) p.error = error;
    tick++;
  };

  async function runNode(node: NodeSpec, nodeScope: wf.CancellationScope): Promise<void> {
    const p = progress.nodes[node.id]!;
    const savedState = input.state?.[node.id];
    let config: Record<string, unknown>;
    try {
      config = resolveTemplates(node.config, templateContext(), 'config') as Record<string, unknown>;
    } catch (err) {
      failedNode ??= node.id;
      finishNode(node.id, 'failed', err instanceof TemplateError ? `${err.path}: ${err.message}` : errorMessage(err));
      return;
    }
    const inputs: Record<string, Record<string, unknown>> = {};
    for (const up of node.needs) inputs[up] = progress.nodes[up]!.outputs ?? {};
    const activities = (executions: number) =>
      wf.proxyActivities<Record<string, NodeActivity>>({
        taskQueue: node.site ? `${info.taskQueue}-site-${node.site}` : info.taskQueue,
        activityId: `${node.id}.${executions}`,
        summary: node.id,
        startToCloseTimeout: node.timeout ?? spec.defaults?.timeout ?? DEFAULT_TIMEOUT_MS,
        heartbeatTimeout: node.heartbeatTimeout ?? spec.defaults?.heartbeatTimeout ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
        retry: retryPolicy(spec, node),
        // Pause cancels the execution; waiting lets it finish its batch and hand back a checkpoint.
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      });

    let checkpoint: unknown = undefined;
    for (let executions = 1; ; executions++) {
      try {
        await wf.condition(() => !paused);
      } catch {
        // The run was cancelled while this node sat paused.
        finishNode(node.id, 'cancelled');
        return;
      }
      p.state = 'running';
      p.startedAt ??= now();
      tick++;
      const execution = new wf.CancellationScope();
      executionScopes.set(node.id, execution);
      try {
        const task: NodeTaskInput = {
          runId: info.workflowId,
          pipeline: input.pipeline,
          nodeId: node.id,
          type: node.type,
          site: node.site ?? null,
          config,
          inputs,
          limits: limits(spec, node),
          ...(savedState === undefined ? {} : { state: savedState }),
          ...(checkpoint === undefined ? {} : { checkpoint }),
        };
        const result = await execution.run(() => activities(executions)[node.type]!(task));
        p.attempt = result.attempt;
        p.stats = result.stats;
        if (result.status === 'paused') {
          checkpoint = result.checkpoint;
          if (nodeScope.consideredCancelled) {
            finishNode(node.id, 'cancelled');
            return;
          }
          p.state = 'paused';
          tick++;
          continue;
        }
        p.outputs = result.outputs;
        finishNode(node.id, 'succeeded');
        return;
      } catch (err) {
        if (nodeScope.consideredCancelled) {
          finishNode(node.id, 'cancelled');
          return;
        }
        if (wf.isCancellation(err) && paused) {
          // Cancelled before it could report (e.g. waiting for a retry): keep the last checkpoint.
          p.state = 'paused';
          tick++;
          continue;
        }
        const details = failureDetails(err);
        if (details) {
          p.attempt = details.attempt;
          p.stats = details.stats;
        }
        failedNode ??= node.id;
        finishNode(node.id, 'failed', errorMessage(err));
        return;
      } finally {
        executionScopes.delete(node.id);
      }
    }
  }

  const launch = (node: NodeSpec): void => {
    const scope = new wf.CancellationScope();
    nodeScopes.set(node.id, scope);
    const done = scope
      .run(() => runNode(node, scope))
      .finally(() => {
        inflight.delete(node.id);
        nodeScopes.delete(node.id);
        tick++;
      });
    inflight.set(node.id, done);
  };

  const states = (): Record<string, NodeState> =>
    Object.fromEntries(Object.entries(progress.nodes).map(([id, p]) => [id, p.state]));

  try {
    for (;;) {
      if (failedNode) break;
      const { start, skip } = nextActions(spec.nodes, states());
      if (skip.length > 0) {
        for (const id of skip) finishNode(id, 'skipped');
        continue;
      }
      let skippedByWhen = false;
      if (!paused) {
        for (const id of start) {
          if (inflight.size >= spec.maxParallel) break;
          const node = byId.get(id)!;
          let run = true;
          try {
            run = node.when === undefined || evaluateWhen(node.when, templateContext());
          } catch (err) {
            // A when that cannot be resolved is the node's failure, not a stuck workflow task.
            failedNode ??= id;
            finishNode(id, 'failed', `when: ${errorMessage(err)}`);
            break;
          }
          if (!run) {
            finishNode(id, 'skipped');
            skippedByWhen = true;
            continue;
          }
          launch(node);
        }
      }
      if (skippedByWhen) continue;
      if (inflight.size === 0 && start.length === 0) break;
      const seen = tick;
      await wf.condition(() => tick !== seen);
    }

    if (failedNode) {
      // Fail fast: the run's outcome is decided, so stop the siblings still running.
      for (const scope of nodeScopes.values()) scope.cancel();
      await Promise.all(inflight.values());
      // Downstream of a failure can never run (skipped); the rest was not started (cancelled).
      for (let { skip } = nextActions(spec.nodes, states()); skip.length > 0; { skip } = nextActions(spec.nodes, states())) {
        for (const id of skip) finishNode(id, 'skipped');
      }
      for (const [id, p] of Object.entries(progress.nodes)) if (p.state === 'pending') finishNode(id, 'cancelled');
      const error = `node "${failedNode}" failed: ${progress.nodes[failedNode]!.error ?? 'unknown error'}`;
      progress.error = error;
      progress.endedAt = now();
      setStatus('failed');
      throw ApplicationFailure.nonRetryable(error, 'NodeFailed');
    }
    const newStates = statesToSave(progress);
    // Marks advance only once the whole run succeeded: a failed run leaves them, so its rows are read again.
    if (Object.keys(newStates).length > 0 && wf.patched(SAVE_STATE_PATCH)) {
      try {
        await saveStateActivity()({ pipeline: input.pipeline, runId: info.workflowId, states: newStates });
      } catch (err) {
        if (wf.isCancellation(err)) throw err;
        const error = `node state not saved: ${errorMessage(err)}`;
        progress.error = error;
        progress.endedAt = now();
        setStatus('failed');
        throw ApplicationFailure.nonRetryable(error, 'StateNotSaved');
      }
    }
    progress.endedAt = now();
    setStatus('completed');
    return progress;
  } catch (err) {
    if (wf.isCancellation(err)) {
      // Let running nodes finish their current batch before the run reports cancelled.
      await wf.CancellationScope.nonCancellable(async () => {
        await Promise.all(inflight.values());
        for (const [id, p] of Object.entries(progress.nodes)) {
          if (p.state === 'pending' || p.state === 'paused' || p.state === 'running') finishNode(id, 'cancelled');
        }
        progress.endedAt = now();
        setStatus('cancelled');
      });
    }
    throw err;
  }
}
