// A mapped node (`forEach`) inside a run: its items split into chunks of MAP_CHUNK_ITEMS, each run by
// a child workflow (map-chunk.ts), a few at once sharing the pipeline's maxParallel. The run keeps one
// small result per chunk, so a retry in place runs again only the chunks that did not fully succeed,
// and seals the dataset of instance outputs once every chunk has. Deterministic code only.
import * as wf from '@temporalio/workflow';
import type { NodeSpec, PipelineSpec } from '../dag/spec.js';
import { templateRefs, type TemplateContext } from '../dag/template.js';
import type { NodeState } from '../dag/vocabulary.js';
import { MAX_MAP_ITEMS } from '../dag/limits.js';
import { clip } from '../dag/echo.js';
import {
  MAP_CHUNK_ITEMS,
  MAP_INSTANCES_PER_CHUNK,
  MAP_CHUNK_WORKFLOW_TYPE,
  pauseSignal,
  resumeSignal,
  SEAL_MAPPED_ACTIVITY,
  type MapChunkInput,
  type MapChunkResult,
  type NodeStats,
  type MapProgress,
  type MapRecord,
  type SealMappedInput,
} from './messages.js';
import { centralActivity, errorMessage, type ExecutionOutcome } from './node-execution.js';
import type { runMapChunk } from './map-chunk.js';

/** Quoted item text in a failure message. */
const ITEM_TEXT = 80;

type SealActivity = (input: SealMappedInput) => Promise<Record<string, unknown>>;

function sealActivity(): SealActivity {
  return centralActivity(SEAL_MAPPED_ACTIVITY, 'seal the dataset of instance outputs');
}

export function mapProgress(map: MapRecord, running: readonly string[] = []): MapProgress {
  const byState: Partial<Record<NodeState, number>> = {};
  let chunksDone = 0;
  for (const c of map.chunks) {
    if (c === null) continue;
    chunksDone++;
    for (const [state, n] of Object.entries(c.byState) as [NodeState, number][]) byState[state] = (byState[state] ?? 0) + n;
  }
  return { items: map.items, chunks: map.chunks.length, chunksDone, byState, ...(running.length > 0 ? { running: [...running] } : {}) };
}

function fullySucceeded(c: MapChunkResult | null): boolean {
  return c !== null && (c.byState.succeeded ?? 0) === c.items;
}

/** The list a mapped node runs over: its forEach as written, or what its template names (which must be a list). */
export function mapItems(node: NodeSpec, resolve: (template: string) => unknown): unknown[] {
  const list = typeof node.forEach === 'string' ? resolve(node.forEach) : node.forEach;
  if (!Array.isArray(list)) {
    throw new Error(`forEach: ${node.forEach as string} is ${list === null ? 'null' : typeof list}, not a list`);
  }
  if (list.length > MAX_MAP_ITEMS) throw new Error(`forEach: ${list.length} items; a mapped node takes at most ${MAX_MAP_ITEMS}`);
  return list;
}

/**
 * What a mapped node's chunks need of the run's template context: only the params and output fields
 * its config names (each chunk's start holds a copy, so a big list elsewhere in the outputs or params
 * is not copied into the run's history once per chunk).
 */
export function contextFor(config: Record<string, unknown>, ctx: TemplateContext): TemplateContext {
  const pruned: TemplateContext = { params: {}, nodes: {}, run: ctx.run };
  for (const { ref } of templateRefs(config)) {
    const [root, name, ...rest] = ref;
    if (name === undefined) continue;
    if (root === 'params' && Object.hasOwn(ctx.params, name)) pruned.params[name] = ctx.params[name];
    if (root === 'nodes' && rest[0] === 'outputs' && Object.hasOwn(ctx.nodes, name)) {
      const outputs = ctx.nodes[name]!.outputs;
      if (outputs === null) {
        pruned.nodes[name] ??= { outputs: null };
        continue;
      }
      pruned.nodes[name] = { outputs: pruned.nodes[name]?.outputs ?? {} };
      copyPath(outputs, rest.slice(1), pruned.nodes[name].outputs!);
    }
  }
  return pruned;
}

/** Copies the value at `fields` of `from` into `into`, creating the objects on the way; a missing field copies nothing. */
function copyPath(from: unknown, fields: string[], into: Record<string, unknown>): void {
  let source = from;
  let target = into;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (typeof source !== 'object' || source === null || !Object.hasOwn(source, field)) return;
    source = (source as Record<string, unknown>)[field];
    if (i === fields.length - 1) target[field] = source;
    else {
      const next = target[field];
      target = (typeof next === 'object' && next !== null ? next : (target[field] = {})) as Record<string, unknown>;
    }
  }
}

export interface MappedRunSetup {
  runId: string;
  pipeline: string;
  spec: PipelineSpec;
  taskQueue: string;
  node: NodeSpec;
  items: unknown[];
  context: TemplateContext;
  inputs: Record<string, Record<string, unknown>>;
  stopOnFailure: boolean;
  /** The node's execution number: child workflow ids carry it, so a retry in place starts new ones. */
  execution: number;
  record: MapRecord;
  isPaused(): boolean;
  report(stats: NodeStats): void;
}

/** Runs the chunks of one mapped node that have not fully succeeded; forwards pause and resume to the running ones. */
export class MappedRun {
  private readonly children = new Map<number, wf.ChildWorkflowHandle<typeof runMapChunk>>();

  /** Workflow ids of the chunks running now. */
  running(): string[] {
    return [...this.children.values()].map((child) => child.workflowId);
  }
  private readonly scopes = new Map<number, wf.CancellationScope>();
  private tick = 0;

  constructor(private readonly setup: MappedRunSetup) {}

  pause(): void {
    for (const child of this.children.values()) child.signal(pauseSignal).catch(() => undefined);
    this.tick++;
  }

  resume(): void {
    for (const child of this.children.values()) child.signal(resumeSignal).catch(() => undefined);
    this.tick++;
  }

  async run(nodeScope: wf.CancellationScope): Promise<ExecutionOutcome> {
    const { setup } = this;
    const { record, items } = setup;
    const count = Math.ceil(items.length / MAP_CHUNK_ITEMS);
    // A list of another length (its upstream ran again) starts over.
    if (record.items !== items.length || record.chunks.length !== count) {
      record.items = items.length;
      record.chunks = Array.from({ length: count }, () => null);
    }
    const todo = record.chunks.flatMap((c, k) => (fullySucceeded(c) ? [] : [k]));
    const atOnce = Math.max(1, Math.min(todo.length, Math.ceil(setup.spec.maxParallel / MAP_INSTANCES_PER_CHUNK)));
    const parallel = Math.max(1, Math.floor(setup.spec.maxParallel / atOnce));
    let failed = false;
    let childError: string | null = null;
    const inflight = new Map<number, Promise<void>>();
    for (;;) {
      if (nodeScope.consideredCancelled) break;
      while (!failed && !setup.isPaused() && todo.length > 0 && inflight.size < atOnce) {
        const k = todo.shift()!;
        const scope = new wf.CancellationScope();
        this.scopes.set(k, scope);
        const done = scope
          .run(() => this.runChunk(k, parallel))
          .then((result) => {
            record.chunks[k] = result;
            this.report();
            if (!fullySucceeded(result) && setup.stopOnFailure) failed = true;
          })
          .catch((err: unknown) => {
            if (wf.isCancellation(err) || nodeScope.consideredCancelled || scope.consideredCancelled) return;
            childError ??= `chunk ${k}: ${errorMessage(err)}`;
            failed = true;
          })
          .finally(() => {
            inflight.delete(k);
            this.scopes.delete(k);
            this.tick++;
          });
        inflight.set(k, done);
      }
      // With onFailure: stop, a failed chunk stops its siblings too.
      if (failed && setup.stopOnFailure) for (const scope of this.scopes.values()) scope.cancel();
      if (inflight.size === 0 && (failed || todo.length === 0)) break;
      const seen = this.tick;
      try {
        await wf.condition(() => this.tick !== seen);
      } catch {
        // The node was cancelled: its running chunks are cancelled with it; let them end.
        await wf.CancellationScope.nonCancellable(() => Promise.all(inflight.values()));
        return { state: 'cancelled' };
      }
    }
    if (nodeScope.consideredCancelled) return { state: 'cancelled' };
    if (childError !== null) return { state: 'failed', error: childError };
    const failure = this.failure();
    if (failure !== null) return { state: 'failed', error: failure };
    const bytes = record.chunks.reduce((sum, c) => sum + (c?.bytes ?? 0), 0);
    const dataset = await sealActivity()({ runId: setup.runId, nodeId: setup.node.id, parts: count, rows: items.length, bytes });
    return { state: 'succeeded', outputs: { items: items.length, dataset } };
  }

  private async runChunk(k: number, parallel: number): Promise<MapChunkResult> {
    const { setup } = this;
    const first = k * MAP_CHUNK_ITEMS;
    const paused = setup.isPaused();
    // The node without its list: a list written in the spec would otherwise go to every chunk whole.
    const { forEach: _list, ...node } = setup.node;
    const input: MapChunkInput = {
      runId: setup.runId,
      pipeline: setup.pipeline,
      node,
      defaults: setup.spec.defaults,
      taskQueue: setup.taskQueue,
      chunk: k,
      first,
      items: setup.items.slice(first, first + MAP_CHUNK_ITEMS),
      context: setup.context,
      inputs: setup.inputs,
      parallel,
      stopOnFailure: setup.stopOnFailure,
      paused,
    };
    const child = await wf.startChild<typeof runMapChunk>(MAP_CHUNK_WORKFLOW_TYPE, {
      workflowId: `${setup.runId}/${setup.node.id}/chunk-${k}.${setup.execution}`,
      taskQueue: setup.taskQueue,
      args: [input],
      staticSummary: `${setup.node.id}: items ${first} to ${first + input.items.length - 1}`,
    });
    this.children.set(k, child);
    try {
      // A pause or resume that came while the chunk was starting.
      if (setup.isPaused() !== paused) await child.signal(setup.isPaused() ? pauseSignal : resumeSignal);
      return await child.result();
    } finally {
      this.children.delete(k);
    }
  }

  private report(): void {
    const stats: NodeStats = { rowsIn: 0, rowsOut: 0 };
    for (const c of this.setup.record.chunks) {
      stats.rowsIn += c?.rowsIn ?? 0;
      stats.rowsOut += c?.rowsOut ?? 0;
    }
    this.setup.report(stats);
  }

  /** The node's error when items failed: how many, and the first ones with their items. */
  private failure(): string | null {
    const { record, items } = this.setup;
    if (record.chunks.every(fullySucceeded)) return null;
    const failures = record.chunks.flatMap((c) => c?.failures ?? []);
    const failedCount = record.chunks.reduce((n, c) => n + (c?.byState.failed ?? 0), 0);
    if (failedCount === 0) return `${items.length - (mapProgress(record).byState.succeeded ?? 0)} of ${items.length} items did not finish`;
    const shown = failures.slice(0, 3).map((f) => `item ${f.index} (${itemText(items[f.index])}): ${f.error}`);
    const rest = failedCount > shown.length ? `; ${failedCount - shown.length} more failed` : '';
    return `${failedCount} of ${items.length} items failed: ${shown.join('; ')}${rest}`;
  }
}

function itemText(item: unknown): string {
  return clip(JSON.stringify(item) ?? String(item), ITEM_TEXT);
}
