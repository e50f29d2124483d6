// Turns a node runner into a Temporal activity: resolves secrets, parses config, heartbeats
// progress every second, hands back a checkpoint when asked to stop, fails an attempt whose
// progress stood still for its stall timeout, and maps errors to failures.
import { trace } from '@opentelemetry/api';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { NodeTypeDef } from '../dag/catalog.js';
import type { Logger } from '../log.js';
import type { NodeStats } from '../workflows/messages.js';
import { DEFAULT_LIMITS, DEFAULT_STALL_TIMEOUT_MS, type NodeHeartbeat, type NodeTaskInput, type NodeTaskResult } from '../workflows/node-task.js';
import type { NodeContext, NodeRunner } from './context.js';
import type { NodeMetrics } from './metrics.js';
import { accessFor, nodeTypeRefusal, type SitePolicy } from '../kit/access.js';
import { ConfigError, PolicyError } from '../kit/errors.js';
import { StallError, scrubbingLogger, scrubDeep, toFailure } from './errors.js';
import { parseNodeConfig } from './node-config.js';
import { isDatasetRef, type DatasetRef } from '../kit/dataset.js';
import { type StagingStore } from './staging.js';
import { placeOf, workerOf } from '../dag/vocabulary.js';
import { formatDuration } from '../dag/duration.js';

export interface ExecutorDeps {
  staging: StagingStore;
  /** What this worker's owner lets nodes touch (secrets, files, hosts, node types). */
  policy: SitePolicy;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Aborted when the worker is shutting down: nodes stop at a batch boundary and hand back a checkpoint. */
  drain?: AbortSignal;
  /** The worker's metrics (served with --metrics-port). */
  metrics?: NodeMetrics;
  /** Ships each attempt's lines (info and above, scrubbed) to the API; unset: they stay in the worker's log. */
  logs?: AttemptLogs;
}

/** A logger for one node attempt whose lines (info and above) are also shipped to the API, scrubbed of `secrets()`. */
export interface AttemptLogs {
  attemptLogger(parent: Logger, bindings: { runId: string; nodeId: string; attempt: number; site: string; type: string }, secrets: () => readonly string[]): Logger;
}

export type NodeActivity = (input: NodeTaskInput) => Promise<NodeTaskResult>;

function previousCheckpoint(details: unknown): unknown {
  if (details && typeof details === 'object' && 'checkpoint' in details) return (details as NodeHeartbeat).checkpoint;
  return undefined;
}

function pickInput(nodeId: string, inputs: Record<string, Record<string, unknown>>, input?: string): DatasetRef {
  if (input !== undefined) {
    const ref = inputs[input]?.dataset;
    if (!isDatasetRef(ref)) throw new ConfigError(`config.input: upstream node "${input}" has no dataset output`);
    return ref;
  }
  const found = Object.entries(inputs).filter(([, out]) => isDatasetRef(out.dataset));
  if (found.length !== 1) {
    throw new ConfigError(
      found.length === 0
        ? `node "${nodeId}" reads records but none of its upstream nodes produced a dataset`
        : `node "${nodeId}" has several upstream datasets (${found.map(([id]) => id).join(', ')}): set config.input`,
    );
  }
  return found[0]![1].dataset as DatasetRef;
}

/**
 * How often a running node reports its counts and checkpoint. The worker throttles heartbeats to
 * the same period (worker/create.ts), so a pause or crash loses at most this much progress.
 */
export const HEARTBEAT_MS = 1000;

/** Wraps a connector's runner as the activity for node type `def.type`. */
export function nodeActivity<S extends z.ZodType>(def: NodeTypeDef & { config: S }, run: NodeRunner<z.output<S>>, deps: ExecutorDeps): NodeActivity {
  const access = accessFor(deps.policy);
  return async (task) => {
    const actx = Context.current();
    const attempt = actx.info.attempt;
    const site = placeOf(task.site);
    let secrets: string[] = [];
    const bindings = { runId: task.runId, nodeId: task.nodeId, attempt, site, type: task.type };
    const log = deps.logs ? deps.logs.attemptLogger(deps.logger, bindings, () => secrets) : deps.logger.child(bindings);
    // With tracing on, the attempt's span (RunActivity:<type>) says which run, node and attempt it is.
    trace.getActiveSpan()?.setAttributes({ 'sluice.run_id': task.runId, 'sluice.pipeline': task.pipeline, 'sluice.node_id': task.nodeId, 'sluice.attempt': attempt, 'sluice.site': site });
    const began = performance.now();
    const ended = (outcome: 'succeeded' | 'paused' | 'failed') => deps.metrics?.attemptEnded(task.type, site, outcome, (performance.now() - began) / 1000);
    deps.metrics?.attemptStarted(task.type, site, attempt);
    const stats: NodeStats = { rowsIn: 0, rowsOut: 0 };
    let checkpoint = previousCheckpoint(actx.info.heartbeatDetails) ?? task.checkpoint;

    // Stall detection: the counts and the checkpoint commits are progress. Heartbeats go out
    // whether or not anything moves (the timer sends them), so Temporal's heartbeat timeout cannot
    // see a hung statement; this can.
    const stallMs = task.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const abandon = new AbortController();
    let commits = 0;
    let seen = '';
    let movedAt = Date.now();
    let stalled: (err: Error) => void = () => undefined;
    const stall = new Promise<never>((_, reject) => {
      stalled = reject;
    });
    stall.catch(() => undefined);
    const beat = () => {
      const now = Date.now();
      // Counters that appear at 0 (a runner setting up its stats) are not movement.
      const fingerprint = `${Object.entries(stats).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${v}`).join(',')}#${commits}`;
      if (fingerprint !== seen) {
        seen = fingerprint;
        movedAt = now;
      } else if (now - movedAt >= stallMs && !abandon.signal.aborted) {
        // Give up on this attempt: the connector drops its connections (ctx.abandon) and the
        // attempt fails now, retryably, instead of holding its slot until startToClose.
        abandon.abort();
        stalled(new StallError(`node ${task.nodeId} stalled: its rows and parts have not moved for ${formatDuration(Math.floor((now - movedAt) / 1000) * 1000)} (stallTimeout ${formatDuration(stallMs)}); the attempt was abandoned so it can be retried`));
      }
      const details: NodeHeartbeat = { rowsIn: stats.rowsIn, rowsOut: stats.rowsOut, checkpoint, stats: { ...stats }, movedAt: new Date(movedAt).toISOString() };
      actx.heartbeat(details);
    };
    // The first heartbeat waits a beat too: a node that finishes within it (a no-op, a small
    // transform) costs the server no heartbeat call, which on a DAG of thousands of small nodes is
    // one round trip in three.
    const timer = setInterval(beat, HEARTBEAT_MS);
    const stop = AbortSignal.any([actx.cancellationSignal, abandon.signal, ...(deps.drain ? [deps.drain] : [])]);
    try {
      const refused = nodeTypeRefusal(deps.policy, task.type);
      if (refused) throw new PolicyError(`forbidden by the policy of ${deps.policy.owner}: ${refused} (type)`);
      const { config } = parseNodeConfig(def.config, task.config, deps.env, workerOf(task.site), deps.policy, (values) => {
        secrets = values;
      });
      const ctx: NodeContext<z.output<S>> = {
        runId: task.runId,
        pipeline: task.pipeline,
        nodeId: task.nodeId,
        site: task.site,
        attempt,
        config,
        inputs: task.inputs,
        checkpoint,
        staging: deps.staging,
        access,
        // What the connector logs passes through the same scrubbing as its errors and outputs.
        log: scrubbingLogger(log, secrets),
        stats,
        commit: (cp) => {
          // An abandoned attempt's late commits must not reach the heartbeat the retry resumes from.
          if (abandon.signal.aborted) return;
          checkpoint = cp;
          commits++;
        },
        stopRequested: () => stop.aborted,
        signal: stop,
        abandon: abandon.signal,
        inputDataset: (input) => pickInput(task.nodeId, task.inputs, input),
        secrets,
        limits: task.limits ?? DEFAULT_LIMITS,
        state: task.state,
        count: (what, n) => deps.metrics?.count(task.type, site, what, n),
      };
      log.info({ resumedFrom: checkpoint ?? null }, 'node started');
      const running = run(ctx);
      // Once abandoned, whatever the run still does ends here, unheard (it must not become an unhandled rejection).
      running.catch(() => undefined);
      const outcome = await Promise.race([running, stall]);
      if ('paused' in outcome) {
        checkpoint = outcome.checkpoint;
        log.info({ stats, checkpoint }, 'node stopped at a checkpoint');
        ended('paused');
        return { status: 'paused', checkpoint: outcome.checkpoint, stats: { ...stats }, attempt };
      }
      log.info({ stats }, 'node succeeded');
      ended('succeeded');
      // Outputs reach history and the run view: no secret value may ride along (a path, a prefix, a reply).
      return { status: 'done', outputs: scrubDeep(outcome.outputs, secrets), stats: { ...stats }, attempt };
    } catch (err) {
      // The next attempt resumes from the last heartbeat: send the latest checkpoint now, not
      // up to a second old.
      beat();
      if (err instanceof CancelledFailure) {
        ended('paused');
        throw err;
      }
      ended('failed');
      const failure = toFailure(err, secrets, { attempt, stats: { ...stats } });
      log.warn({ error: failure.message, nonRetryable: failure.nonRetryable }, 'node attempt failed');
      throw failure;
    } finally {
      clearInterval(timer);
    }
  };
}
