// One chunk of a mapped node's items (`forEach`), as a child workflow of the run: one node activity
// per item with `{{ item }}` and `{{ index }}` resolved in its config, up to `parallel` at once,
// pausable like any node (the run forwards pause and resume). At its end the instances' outputs are
// written as one part of the node's dataset (sluice.gatherMapped) and only a small summary goes back
// to the run, so neither history holds the outputs as an array of 100,000. Deterministic code only.
import * as wf from '@temporalio/workflow';
import { resolveTemplates, TemplateError } from '../dag/template.js';
import { clip } from '../dag/echo.js';
import type { NodeState } from '../dag/vocabulary.js';
import {
  chunkProgressQuery,
  GATHER_MAPPED_ACTIVITY,
  pauseSignal,
  resumeSignal,
  type GatherInput,
  type MapChunkInput,
  type MapChunkResult,
  type NodeStats,
} from './messages.js';
import type { NodeTaskInput } from './node-task.js';
import { centralActivity, emptyStats, errorMessage, executeNode, nodeLimits, type ExecutionHost } from './node-execution.js';

/** Failed instances a chunk names in its result, and how much of each error (the dataset has it whole). */
const FAILURES_SHOWN = 5;
const ERROR_SHOWN = 500;

type GatherActivity = (input: GatherInput) => Promise<{ rows: number; bytes: number }>;

function gatherActivity(): GatherActivity {
  return centralActivity(GATHER_MAPPED_ACTIVITY, 'gather instance outputs', 5 * 60_000);
}

interface Instance {
  state: NodeState;
  attempt: number;
  executions: number;
  stats: NodeStats;
  outputs: Record<string, unknown> | null;
  error: string | null;
}

/** The id an instance goes by in activities, logs, the load ledger and the staging store: `<node>[<index>]`. */
export function instanceId(nodeId: string, index: number): string {
  return `${nodeId}[${index}]`;
}

export async function runMapChunk(input: MapChunkInput): Promise<MapChunkResult> {
  const chunk = new MapChunk(input);
  wf.setHandler(pauseSignal, () => chunk.pause());
  wf.setHandler(resumeSignal, () => chunk.resume());
  wf.setHandler(chunkProgressQuery, () => chunk.result(0));
  return await chunk.execute();
}

class MapChunk {
  private readonly instances: Instance[];
  private paused: boolean;
  private stopped = false;
  private next = 0;
  private tick = 0;
  private readonly executionScopes = new Map<number, wf.CancellationScope>();
  private readonly instanceScopes = new Map<number, wf.CancellationScope>();
  private readonly inflight = new Map<number, Promise<void>>();

  constructor(private readonly input: MapChunkInput) {
    this.paused = input.paused;
    this.instances = input.items.map(() => ({ state: 'pending', attempt: 0, executions: 0, stats: emptyStats(), outputs: null, error: null }));
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const scope of this.executionScopes.values()) scope.cancel();
    this.tick++;
  }

  resume(): void {
    this.paused = false;
    this.tick++;
  }

  async execute(): Promise<MapChunkResult> {
    const { items, parallel } = this.input;
    try {
      for (;;) {
        while (!this.paused && !this.stopped && this.next < items.length && this.inflight.size < parallel) this.launch(this.next++);
        if (this.inflight.size === 0 && (this.stopped || this.next >= items.length)) break;
        const seen = this.tick;
        await wf.condition(() => this.tick !== seen);
      }
    } catch (err) {
      // Cancelled with the run (or its node): running instances finish their batch and report first.
      if (wf.isCancellation(err)) await wf.CancellationScope.nonCancellable(() => Promise.all(this.inflight.values()));
      throw err;
    }
    // Stopped after a failure: the items never started are cancelled.
    for (let i = this.next; i < items.length; i++) this.instances[i]!.state = 'cancelled';
    const part = await gatherActivity()({
      runId: this.input.runId,
      nodeId: this.input.node.id,
      chunk: this.input.chunk,
      first: this.input.first,
      instances: this.instances.map((x, i) => ({ item: items[i], state: x.state, attempt: x.attempt, outputs: x.outputs, error: x.error, stats: x.stats })),
    });
    return this.result(part.bytes);
  }

  result(bytes: number): MapChunkResult {
    const byState: Partial<Record<NodeState, number>> = {};
    const failures: MapChunkResult['failures'] = [];
    let rowsIn = 0;
    let rowsOut = 0;
    this.instances.forEach((x, i) => {
      byState[x.state] = (byState[x.state] ?? 0) + 1;
      rowsIn += x.stats.rowsIn;
      rowsOut += x.stats.rowsOut;
      if (x.state === 'failed' && failures.length < FAILURES_SHOWN) failures.push({ index: this.input.first + i, error: clip(x.error ?? 'unknown error', ERROR_SHOWN) });
    });
    return { chunk: this.input.chunk, items: this.instances.length, byState, rowsIn, rowsOut, failures, bytes };
  }

  private launch(i: number): void {
    const x = this.instances[i]!;
    x.state = 'running';
    const scope = new wf.CancellationScope();
    this.instanceScopes.set(i, scope);
    const settle = (): void => {
      this.inflight.delete(i);
      this.instanceScopes.delete(i);
      this.tick++;
    };
    // Outside its scope (executeNode parents each execution to it) and then() rather than finally(): fewer promises.
    const done = this.runInstance(i, scope).then(settle, (err: unknown) => {
      settle();
      throw err;
    });
    this.inflight.set(i, done);
  }

  private async runInstance(i: number, scope: wf.CancellationScope): Promise<void> {
    const { node, first } = this.input;
    const x = this.instances[i]!;
    const id = instanceId(node.id, first + i);
    let config: Record<string, unknown>;
    try {
      config = resolveTemplates(node.config, { ...this.input.context, mapped: { item: this.input.items[i], index: first + i } }, 'config') as Record<string, unknown>;
    } catch (err) {
      this.fail(i, err instanceof TemplateError ? `${err.path}: ${err.message}` : errorMessage(err));
      return;
    }
    const stallTimeoutMs = node.stallTimeout ?? this.input.defaults?.stallTimeout;
    const task: Omit<NodeTaskInput, 'checkpoint'> = {
      runId: this.input.runId,
      pipeline: this.input.pipeline,
      nodeId: id,
      type: node.type,
      site: node.site ?? null,
      config,
      inputs: this.input.inputs,
      limits: nodeLimits(this.input.defaults, node),
      ...(stallTimeoutMs === undefined ? {} : { stallTimeoutMs }),
    };
    const outcome = await executeNode(task, node, this.input.defaults, this.input.taskQueue, this.host(i), scope);
    if (outcome.state === 'succeeded') {
      x.outputs = outcome.outputs;
      x.state = 'succeeded';
    } else if (outcome.state === 'failed') this.fail(i, outcome.error);
    else x.state = 'cancelled';
    this.tick++;
  }

  private fail(i: number, error: string): void {
    const x = this.instances[i]!;
    x.state = 'failed';
    x.error = error;
    if (!this.input.stopOnFailure || this.stopped) return;
    this.stopped = true;
    for (const [j, scope] of this.instanceScopes) if (j !== i) scope.cancel();
  }

  private host(i: number): ExecutionHost {
    const x = this.instances[i]!;
    return {
      isPaused: () => this.paused,
      begin: () => {
        x.executions++;
        x.state = 'running';
        return x.executions;
      },
      track: (scope) => (scope ? this.executionScopes.set(i, scope) : this.executionScopes.delete(i)),
      report: (attempt, stats) => {
        x.attempt = attempt;
        x.stats = stats;
      },
      pausedAt: () => {
        x.state = 'paused';
      },
    };
  }
}
