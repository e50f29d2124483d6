// The checkPipeline workflow: runs every node's connection check on the worker of that node's site,
// because a node's secrets exist only there. Deterministic code only, like workflow.ts.
import * as wf from '@temporalio/workflow';
import { TimeoutFailure } from '@temporalio/common';
import type { NodeSpec } from '../dag/spec.js';
import { resolveTemplates, templateRefs, TemplateError } from '../dag/template.js';
import {
  CHECK_ACTIVITY,
  DEFAULT_CHECK_TIMEOUT_MS,
  type CheckInput,
  type CheckResult,
  type NodeCheckResult,
  type NodeCheckTask,
} from './messages.js';

/** What to do for one node: a task for its worker, or a result known without one. */
export type PlannedCheck = { nodeId: string; site: string | null; task: NodeCheckTask } | { nodeId: string; site: string | null; result: NodeCheckResult };

/** `30s` for whole seconds, else `1500ms`. */
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function planOne(node: NodeSpec, input: CheckInput, checkId: string, scheduledAt: string, timeoutMs: number): PlannedCheck {
  const site = node.site ?? null;
  // Upstream outputs exist only during a run; checking with a guess could pass or fail wrongly.
  const upstream = templateRefs(node.config, 'config').filter((r) => r.ref[0] === 'nodes');
  if (upstream.length > 0) {
    const paths = [...new Set(upstream.map((r) => r.path))].join(', ');
    return { nodeId: node.id, site, result: { ok: true, skipped: `not checked: depends on upstream outputs (${paths})` } };
  }
  try {
    const context = { params: input.params, nodes: {}, run: { id: checkId, pipeline: input.pipeline, scheduledAt } };
    const config = resolveTemplates(node.config, context, 'config') as Record<string, unknown>;
    return { nodeId: node.id, site, task: { pipeline: input.pipeline, nodeId: node.id, type: node.type, site, config, timeoutMs } };
  } catch (err) {
    const error = err instanceof TemplateError ? `${err.path}: ${err.message}` : String(err);
    return { nodeId: node.id, site, result: { ok: false, error } };
  }
}

/**
 * Each node's check task (params and run templates resolved), or its result when no worker is
 * needed. A check is not scheduled: `run.scheduledAt` is when it started, as for a run started by hand.
 */
export function planChecks(input: CheckInput, checkId: string, startedAt: Date = new Date()): PlannedCheck[] {
  const timeoutMs = input.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  return input.spec.nodes.map((node) => planOne(node, input, checkId, startedAt.toISOString(), timeoutMs));
}

type CheckActivity = (task: NodeCheckTask) => Promise<NodeCheckResult>;

async function runCheck(task: NodeCheckTask, baseQueue: string): Promise<NodeCheckResult> {
  const where = task.site ? `site ${task.site}` : 'the central worker';
  const activity = wf.proxyActivities<Record<string, CheckActivity>>({
    taskQueue: task.site ? `${baseQueue}-site-${task.site}` : baseQueue,
    summary: `check ${task.nodeId}`,
    // Schedule-to-start tells "no worker there" apart from "the check hung"; the activity gives up
    // by itself after timeoutMs, and the extra 5s let its answer arrive.
    scheduleToStartTimeout: task.timeoutMs,
    startToCloseTimeout: task.timeoutMs + 5_000,
    // A wrong password stays wrong: one attempt, and a failed check is a result, not an error.
    retry: { maximumAttempts: 1 },
  })[CHECK_ACTIVITY]!;
  try {
    return await activity(task);
  } catch (err) {
    const cause = err instanceof wf.ActivityFailure ? err.cause : err;
    if (cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_START') {
      const who = task.site ? `no worker for site ${task.site}` : 'no central worker';
      return { ok: false, error: `${who} answered within ${formatMs(task.timeoutMs)}` };
    }
    if (cause instanceof TimeoutFailure) {
      return { ok: false, error: `the check on ${where} did not finish within ${formatMs(task.timeoutMs)}` };
    }
    // E.g. an older worker without the check activity; the message comes from Temporal, not a config.
    return { ok: false, error: cause instanceof Error ? cause.message : String(cause) };
  }
}

/** Checks every node of a pipeline in parallel, each on its own site's task queue. */
export async function checkPipeline(input: CheckInput): Promise<CheckResult> {
  const info = wf.workflowInfo();
  const planned = planChecks(input, info.workflowId, info.startTime);
  const results = await Promise.all(
    planned.map(async (p): Promise<[string, NodeCheckResult]> => [p.nodeId, 'result' in p ? p.result : await runCheck(p.task, info.taskQueue)]),
  );
  const nodes = Object.fromEntries(results);
  return { ok: results.every(([, r]) => r.ok), nodes };
}
