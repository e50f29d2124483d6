// A run's view built from what the Temporal server itself knows, for when no worker answers the
// workflow's progress query: the spec from the start input, each node's state, attempt, times,
// stats, outputs and error from its activity events, and the run's end from the close event. The
// caller overlays pending activities (live attempts, heartbeat row counts) and marks it stale.
import { z } from 'zod';
import { ActivityFailure, ApplicationFailure, type Payload } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { evaluateWhen, type TemplateContext } from '../../dag/template.js';
import { CENTRAL, type NodeState, type RunStatus } from '../../dag/vocabulary.js';
import type { NodeView, RunView } from '../schemas.js';
import { decodeAt, decodeFailure, decodeFirst, nodeFailureMessage } from './decode.js';
import { unpackNode, type PackedNode } from '../../workflows/carry.js';
import type { ActivityRecord, RunHistory } from './history.js';

/** What the view needs of the described execution. */
export interface RunFacts {
  runId: string;
  status: RunStatus;
  open: boolean;
  /** The run's base task queue (site nodes run on `<base>-site-<site>`). */
  taskQueue: string;
  startedAt: Date;
  endedAt: Date | null;
  /** From the memo the API records at start, or the SluicePipeline search attribute. */
  pipeline: string | null;
  version: number | null;
  /** The time a schedule started the run for (TemporalScheduledStartTime); null for a run started by hand. */
  scheduledAt?: Date | null;
}

// The parts of RunInput the view reads, checked rather than trusted: a history may come from
// another version of the workflow, or hold something else in its input.
const nodeShape = z.object({
  id: z.string(),
  site: z.string().nullish(),
  needs: z.array(z.string()).default([]),
  when: z.string().optional(),
});
const inputShape = z.object({
  pipeline: z.string().optional(),
  version: z.number().int().optional(),
  spec: z.object({ nodes: z.array(nodeShape) }),
  params: z.record(z.string(), z.unknown()).default({}),
});
// A run that continued as new starts each execution with where the last one left off (its second argument).
const carryShape = z.object({ nodes: z.array(z.array(z.unknown()).min(1)) });
type SpecNode = z.infer<typeof nodeShape>;

/** A node id as the spec allows it: activity ids are `<nodeId>.<execution>`, other activities' ids are not. */
const NODE_ACTIVITY_ID = /^([A-Za-z_][A-Za-z0-9_-]*)\.\d+/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The numeric counters of a stats object (anything else in it is dropped). */
function numbers(v: unknown): Record<string, number> | null {
  if (!isRecord(v)) return null;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
  return out;
}

function emptyNode(site: string): NodeView {
  return { state: 'pending', attempt: 0, startedAt: null, endedAt: null, stats: { rowsIn: 0, rowsOut: 0 }, error: null, site, outputs: null };
}

/** The site a node's activity ran for, from its task queue (`<base>-site-<site>`), else central. */
function siteOfQueue(base: string, queue: string): string {
  const prefix = `${base}-site-`;
  return queue.startsWith(prefix) && queue.length > prefix.length ? queue.slice(prefix.length) : CENTRAL;
}

async function decodedInput(client: Client, payloads: Payload[] | null): Promise<z.infer<typeof inputShape> | null> {
  try {
    const parsed = inputShape.safeParse(await decodeFirst(client, payloads));
    return parsed.success ? parsed.data : null;
  } catch {
    // Encrypted with a key this API lacks: the nodes are still known from their activities.
    return null;
  }
}

async function decodedCarry(client: Client, payloads: Payload[] | null): Promise<z.infer<typeof carryShape> | null> {
  try {
    const parsed = carryShape.safeParse(await decodeAt(client, payloads, 1));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** How a node's finished execution ended, as the workflow reads it. */
type Outcome = 'done' | 'paused' | 'failed' | 'cancelled' | 'unreadable';

/** Applies a node's last finished execution to its view: counters, attempt, outputs or error. */
async function applyOutcome(client: Client, node: NodeView, record: ActivityRecord): Promise<Outcome> {
  const closed = record.closed;
  if (record.attempt !== null) node.attempt = record.attempt;
  if (!closed || closed.kind === 'cancelled') return 'cancelled';
  if (closed.kind === 'completed') {
    let result: unknown;
    try {
      result = await decodeFirst(client, closed.result);
    } catch {
      return 'unreadable';
    }
    if (!isRecord(result)) return 'unreadable';
    const stats = numbers(result.stats);
    if (stats) node.stats = { rowsIn: 0, rowsOut: 0, ...stats };
    if (typeof result.attempt === 'number') node.attempt = result.attempt;
    // A paused execution hands back a checkpoint instead of outputs; the node goes on later.
    if (result.status === 'paused') return 'paused';
    if (isRecord(result.outputs)) node.outputs = result.outputs;
    return 'done';
  }
  let err: Error | undefined;
  try {
    err = await decodeFailure(client, closed.failure);
  } catch {
    node.error = "the node failed; its error could not be decoded with this API's payload keys";
    return 'failed';
  }
  node.error = err ? nodeFailureMessage(err) : 'the node failed';
  // The executor attaches { attempt, stats } to a node's failure (NodeFailureDetails).
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  if (isRecord(details)) {
    if (typeof details.attempt === 'number') node.attempt = details.attempt;
    const stats = numbers(details.stats);
    if (stats) node.stats = { rowsIn: 0, rowsOut: 0, ...stats };
  }
  return 'failed';
}

/** A node's state from how its last execution ended (null: it has not). */
function stateOf(outcome: Outcome | null, run: RunFacts): NodeState {
  switch (outcome) {
    case null:
      return 'running';
    case 'done':
    case 'unreadable':
      // A completed execution whose result this API cannot read still completed.
      return 'succeeded';
    case 'paused':
      // A failed run's stop cancels its other nodes, which hand back a checkpoint as a pause would.
      return run.open && run.status === 'failed' ? 'cancelled' : 'paused';
    case 'failed':
      return 'failed';
    case 'cancelled':
      // An open run cancels a node's execution to pause it; a closing run, or a failure's stop
      // (the run then waits failed for a retry), to end it.
      return run.open && run.status !== 'failed' ? 'paused' : 'cancelled';
  }
}

/** Node ids so that each comes after everything it needs (needs of unknown ids are ignored; a cycle's nodes come last). */
function dependencyOrder(nodes: readonly SpecNode[]): SpecNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const waiting = new Map(nodes.map((n) => [n.id, new Set(n.needs.filter((u) => byId.has(u))).size]));
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    for (const u of new Set(n.needs)) {
      if (!byId.has(u)) continue;
      const list = dependents.get(u);
      if (list) list.push(n.id);
      else dependents.set(u, [n.id]);
    }
  }
  const order: SpecNode[] = [];
  const ready = nodes.filter((n) => waiting.get(n.id) === 0);
  for (let i = 0; i < ready.length; i++) {
    const n = ready[i]!;
    order.push(n);
    for (const d of dependents.get(n.id) ?? []) {
      const w = (waiting.get(d) ?? 0) - 1;
      waiting.set(d, w);
      if (w === 0) ready.push(byId.get(d)!);
    }
  }
  const placed = new Set(order.map((n) => n.id));
  return [...order, ...nodes.filter((n) => !placed.has(n.id))];
}

const DOOMING: ReadonlySet<NodeState> = new Set<NodeState>(['failed', 'skipped', 'cancelled']);

/**
 * What the workflow decides without an event: a pending node after a failed, skipped or cancelled
 * one is skipped, and so is one whose `when` is false once everything it needs succeeded.
 */
function inferSkips(order: readonly SpecNode[], nodes: Record<string, NodeView>, ctx: TemplateContext, whenToo: boolean): void {
  for (const spec of order) {
    const node = nodes[spec.id];
    if (!node || node.state !== 'pending') continue;
    const needs = spec.needs.map((u) => nodes[u]).filter((n): n is NodeView => n !== undefined);
    if (needs.some((n) => DOOMING.has(n.state))) {
      node.state = 'skipped';
    } else if (whenToo && spec.when !== undefined && needs.every((n) => n.state === 'succeeded')) {
      try {
        if (!evaluateWhen(spec.when, ctx)) node.state = 'skipped';
      } catch {
        // The workflow fails such a node; its failure is in the run's close event, read below.
      }
    }
  }
}

/** `node "<id>" failed: <message>`: the run failure runPipeline raises for a node's final failure. */
const NODE_FAILED = /^node "([^"]+)" failed: ([\s\S]*)$/;

/**
 * The view of a run from its history; `stale` is left to the caller. `unscheduled`: why nodes that
 * could start are not scheduled (no worker runs the workflow), set as their `waiting`.
 */
export async function buildHistoryView(client: Client, run: RunFacts, history: RunHistory, unscheduled?: string): Promise<RunView> {
  const input = await decodedInput(client, history.input);
  const specNodes = input?.spec.nodes ?? [];
  const nodes: Record<string, NodeView> = {};
  for (const n of specNodes) if (!Object.hasOwn(nodes, n.id)) nodes[n.id] = emptyNode(n.site ?? CENTRAL);
  // Nodes an earlier execution of the run finished; this one's events come on top.
  const carry = input ? await decodedCarry(client, history.input) : null;
  carry?.nodes.forEach((packed, i) => {
    const node = specNodes[i] && nodes[specNodes[i].id];
    if (!node) return;
    const row = unpackNode(packed as PackedNode);
    Object.assign(node, {
      state: row.state,
      attempt: row.attempt,
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      stats: { rowsIn: 0, rowsOut: 0, ...numbers(row.stats) },
      error: row.error,
      outputs: row.outputs,
    });
  });

  // Each node's executions, in order. Without a readable spec, nodes are known by their activities.
  const executions = new Map<string, ActivityRecord[]>();
  for (const record of history.activities.values()) {
    const id = NODE_ACTIVITY_ID.exec(record.activityId)?.[1];
    if (id === undefined) continue;
    if (!Object.hasOwn(nodes, id)) {
      if (input) continue; // not one of the spec's nodes: another activity of the workflow
      nodes[id] = emptyNode(siteOfQueue(run.taskQueue, record.taskQueue));
    }
    const list = executions.get(id);
    if (list) list.push(record);
    else executions.set(id, [record]);
  }

  await Promise.all(
    [...executions].map(async ([id, records]) => {
      const node = nodes[id]!;
      node.startedAt = records[0]!.scheduledAt?.toISOString() ?? null;
      const last = records[records.length - 1]!;
      // An execution still open, or cancelled before it reported, leaves the counters and attempt
      // of the last one that reported (a paused node that was resumed keeps its counts).
      const reported = [...records].reverse().find((r) => r.closed !== null && r.closed.kind !== 'cancelled');
      const outcome = reported ? await applyOutcome(client, node, reported) : null;
      node.state = stateOf(last.closed === null ? null : last === reported ? outcome : 'cancelled', run);
      if (last.closed && node.state !== 'paused') node.endedAt = last.closed.at?.toISOString() ?? null;
      if (node.state !== 'failed') node.error = null;
    }),
  );

  const ctx: TemplateContext = {
    params: input?.params ?? {},
    nodes: Object.fromEntries(Object.entries(nodes).map(([id, n]) => [id, { outputs: n.outputs }])),
    run: { id: run.runId, pipeline: run.pipeline ?? input?.pipeline ?? '', scheduledAt: (run.scheduledAt ?? run.startedAt).toISOString() },
  };
  const order = dependencyOrder(specNodes);
  inferSkips(order, nodes, ctx, true);

  if (run.open && unscheduled) {
    for (const spec of specNodes) {
      const node = nodes[spec.id];
      if (node?.state === 'pending' && spec.needs.every((u) => nodes[u]?.state === 'succeeded' || !Object.hasOwn(nodes, u))) node.waiting = unscheduled;
    }
  }

  const closedAt = history.close?.at?.toISOString() ?? run.endedAt?.toISOString() ?? null;
  let error: string | null = null;
  if (!run.open) {
    if (history.close?.kind === 'failed') {
      try {
        error = (await decodeFailure(client, history.close.failure))?.message ?? null;
      } catch {
        error = 'the run failed; its error could not be decoded with this API\'s payload keys';
      }
      // A node that failed before its activity ran (a template or `when` that cannot resolve).
      const named = error === null ? null : NODE_FAILED.exec(error);
      const failed = named ? nodes[named[1]!] : undefined;
      if (named && failed && failed.state !== 'failed') {
        failed.state = 'failed';
        failed.error = named[2]!;
        failed.endedAt = closedAt;
      }
    }
    // A closing run stops what still runs; after a node's failure, what needed it is skipped.
    const finish = (from: ReadonlySet<NodeState>) => {
      for (const n of Object.values(nodes)) {
        if (from.has(n.state)) {
          n.state = 'cancelled';
          n.endedAt ??= closedAt;
        }
      }
    };
    finish(new Set<NodeState>(['running', 'paused']));
    if (history.close?.kind === 'failed') inferSkips(order, nodes, ctx, false);
    finish(new Set<NodeState>(['pending']));
    for (const n of Object.values(nodes)) if (n.state === 'skipped') n.endedAt ??= closedAt;
  }

  let failedAt: string | null = null;
  if (run.open && run.status === 'failed') {
    // Waiting in its recovery window: the workflow's own error names its failed node(s).
    const failed = Object.entries(nodes).filter(([, n]) => n.state === 'failed');
    if (failed.length === 1) error = `node "${failed[0]![0]}" failed: ${failed[0]![1].error ?? 'unknown error'}`;
    else if (failed.length > 1) error = `${failed.length} nodes failed: ${failed.map(([id]) => `"${id}"`).join(', ')}`;
    // It ended (for now) when its last failure did.
    failedAt = failed.map(([, n]) => n.endedAt ?? '').sort().pop() || null;
  }

  return {
    runId: run.runId,
    pipeline: run.pipeline ?? input?.pipeline ?? '',
    version: run.version ?? input?.version ?? 0,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    endedAt: run.open ? failedAt : (run.endedAt?.toISOString() ?? closedAt),
    error: run.status === 'failed' ? error : null,
    nodes,
  };
}
