// One run of a pipeline, as workflow state: the node records, the scheduler, the run's status and
// the in-flight node activities. The workflow function (workflow.ts) creates it, wires one-line
// message handlers to its methods and awaits execute(). Deterministic code only: imports are
// limited to @temporalio/workflow, @temporalio/common and src/dag.
import * as wf from '@temporalio/workflow';
import { ActivityCancellationType, ApplicationFailure } from '@temporalio/common';
import { DagScheduler } from '../dag/scheduler.js';
import { packNode, unpackNode, type RunCarry } from './carry.js';
import { evaluateWhen, resolveTemplates, TemplateError, type TemplateContext } from '../dag/template.js';
import { NODE_STATES, placeOf } from '../dag/vocabulary.js';
import { MAX_ISSUES } from '../dag/limits.js';
import type { NodeSpec, PipelineSpec } from '../dag/spec.js';
import {
  ACQUIRE_SLOT_ACTIVITY,
  MAX_NODES_PAGE,
  PROGRESS_NODE_LIMIT,
  RELEASE_SLOT_ACTIVITY,
  RETRY_REJECTIONS,
  SAVE_STATE_ACTIVITY,
  SLUICE_PIPELINE,
  SLUICE_STATUS,
  type NodeProgress,
  type NodesPage,
  type NodesRequest,
  type NodeState,
  type NodeStats,
  type NodeTry,
  type Notification,
  type RunRecordInput,
  type MapRecord,
  type RetryRequest,
  type RetryResult,
  type RunInput,
  type RunProgress,
  type RunResult,
  type RunStatus,
  type RunSummary,
  type SaveStateInput,
  type SlotGrant,
  type SlotRequest,
} from './messages.js';
import { ERROR_TYPES, type NodeTaskInput } from './node-task.js';
import { emptyStats, errorMessage, executeNode, nodeLimits, now, type ExecutionHost, type ExecutionOutcome } from './node-execution.js';
import { contextFor, mapItems, MappedRun, mapProgress } from './mapped.js';
import { Notifier } from './notify.js';
import type { NotifyEvent } from '../dag/vocabulary.js';
import { readSavedStates, readsStateAtStart, scheduledTimeOf, scheduleIdOf } from './scheduled.js';
import { RunRecorder, RUN_HISTORY_PATCH } from './history.js';

/** How long a failed run waits for POST /runs/{id}/retry unless the spec says `recoveryWindow`. */
export const DEFAULT_RECOVERY_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** Names listed in a run's error before "and N more". */
const NAMES_IN_ERROR = 20;

/** Guards the sluice.saveState call added after runs that were recorded without it. */
const SAVE_STATE_PATCH = 'save-node-state';
/** Guards retry in place, onFailure: continue and the recovery window (runs recorded before fail at once). */
const RECOVERY_PATCH = 'retry-in-place';
/** Guards the concurrency slot activities; asked only when the spec has `concurrency`, so older histories never meet it. */
const CONCURRENCY_PATCH = 'concurrency-slots';
/** Longest wait between two retries of a failing sluice.acquireSlot (its database unreachable); a queued one says its own. */
const SLOT_RETRY_MAX_MS = 10_000;
/** Guards notifications and the sla timer; asked only when the spec has `notify`, so older histories never meet it. */
const NOTIFY_PATCH = 'notifications';
/** Guards continuing as new when a run's history grows long (runs recorded before ran in one execution). */
const SEGMENT_PATCH = 'continue-as-new-segments';
/**
 * History length at which a run stops starting nodes, lets the running ones finish and continues as
 * new. Each node costs at most ~6 events and at most 64 run at once, so no execution passes 10,000.
 */
export const SEGMENT_EVENTS = 8_000;

/** The run statuses that are events for `notify`. */
const STATUS_EVENTS: Partial<Record<RunStatus, NotifyEvent>> = { completed: 'succeeded', failed: 'failed', paused: 'paused', cancelled: 'cancelled' };

type SaveStateActivity = (input: SaveStateInput) => Promise<unknown>;
type AcquireSlotActivity = (input: SlotRequest) => Promise<SlotGrant>;
type ReleaseSlotActivity = (input: SlotRequest) => Promise<unknown>;

/** A node's record apart from its state, which the scheduler owns. */
interface NodeRecord {
  spec: NodeSpec;
  attempt: number;
  startedAt: string | null;
  endedAt: string | null;
  stats: NodeStats;
  error: string | null;
  outputs: Record<string, unknown> | null;
  /** Activity executions so far (pauses and retries in place each start one); activity ids are `<node>.<n>`. */
  executions: number;
  earlierTries: NodeTry[];
  /** A mapped node's list length and chunk results (null for other nodes). */
  map: MapRecord | null;
}

function quotedList(ids: readonly string[]): string {
  const shown = ids.slice(0, NAMES_IN_ERROR).map((id) => `"${id}"`);
  return ids.length > NAMES_IN_ERROR ? `${shown.join(', ')} and ${ids.length - NAMES_IN_ERROR} more` : shown.join(', ');
}

/** Saves node states centrally; a worker without the metadata database fails it with a ConfigError. */
function saveStateActivity(): SaveStateActivity {
  return wf.proxyActivities<Record<string, SaveStateActivity>>({
    summary: 'save node state',
    startToCloseTimeout: 60_000,
    retry: { maximumAttempts: 10, initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 30_000, nonRetryableErrorTypes: [ERROR_TYPES.config] },
  })[SAVE_STATE_ACTIVITY]!;
}

/**
 * Waits for the run's concurrency slot: each attempt looks once and, finding none free, fails with
 * a benign SlotQueued that Temporal retries (after the delay the attempt asks for), so a queued run
 * holds no worker slot and adds nothing to history while it waits. Cancelling the run cancels it.
 */
function acquireSlotActivity(): AcquireSlotActivity {
  return wf.proxyActivities<Record<string, AcquireSlotActivity>>({
    summary: 'wait for a concurrency slot',
    startToCloseTimeout: 60_000,
    // No maximumAttempts: a queued run waits as long as the runs before it take.
    retry: { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: SLOT_RETRY_MAX_MS, nonRetryableErrorTypes: [ERROR_TYPES.config] },
    // The release that follows a cancel must not race an attempt still granting the slot.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  })[ACQUIRE_SLOT_ACTIVITY]!;
}

/** Gives the slot back as the run closes; a release that fails for good leaves a row the next claim reconciles. */
function releaseSlotActivity(): ReleaseSlotActivity {
  return wf.proxyActivities<Record<string, ReleaseSlotActivity>>({
    summary: 'give the concurrency slot back',
    startToCloseTimeout: 60_000,
    retry: { maximumAttempts: 10, initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 30_000, nonRetryableErrorTypes: [ERROR_TYPES.config] },
  })[RELEASE_SLOT_ACTIVITY]!;
}

export class PipelineRun {
  private readonly info = wf.workflowInfo();
  private readonly spec: PipelineSpec;
  private readonly scheduler: DagScheduler;
  private readonly records = new Map<string, NodeRecord>();
  /** What `{{ }}` templates read; node outputs are written here as nodes succeed. */
  private readonly context: TemplateContext;
  private readonly startedAt: string;
  /** Whether this execution has retry in place and onFailure (false when replaying a run recorded before them). */
  private readonly recoverable: boolean;
  /** Whether the run takes one of its pipeline's concurrency slots before any node runs (spec `concurrency`). */
  private readonly slotted: boolean;
  /** Node states to start from (incremental marks): given at start, or read again as the slot was granted. */
  private savedState: Record<string, unknown>;
  /** When the run started reading from savedState: its start, or when it got its slot. Orders the saves of overlapping runs. */
  private readFrom: Date;
  private slotGivenBack = false;
  /** Whether this execution continued a run that already held its slot (then it does not wait again). */
  private readonly slotCarried: boolean;
  /** Whether the run reads the saved node states as it starts (a scheduled run without a slot, whose input was fixed by its schedule). */
  private readonly readsState: boolean;
  /** This execution's number among the run's executions (1 unless it continued as new). */
  private readonly segments: number;
  /** Whether the run tells `notify` targets of its events (spec `notify`, under its patch). */
  private readonly notifying: boolean;
  private readonly notifier: Notifier;
  private slaMissed: boolean;
  /** Whether the run writes its record in the durable run history (under its patch). */
  private readonly recording: boolean;
  private readonly recorder: RunRecorder;
  private slaScope: wf.CancellationScope | null = null;
  /** Whether this execution may continue as new; decided (and patch-marked) once its history is long. */
  private segmenting: boolean | null = null;

  private status: RunStatus;
  private endedAt: string | null = null;
  private error: string | null = null;
  private recoverableUntil: string | null = null;
  private paused = false;
  /** The first node that failed since the run (re)started; with onFailure: stop it stops the run. */
  private failedNode: string | null = null;
  /** Set by the retry update while the run waits in its recovery window. */
  private retried = false;
  /** Bumped on every change the scheduling loop must react to. */
  private tick = 0;
  /** Scope of each running node's current activity execution; pause cancels these. */
  private readonly executionScopes = new Map<string, wf.CancellationScope>();
  /** Scope of each running node as a whole; stopping after a failure cancels these. */
  private readonly nodeScopes = new Map<string, wf.CancellationScope>();
  private readonly inflight = new Map<string, Promise<void>>();
  /** Mapped nodes running: pause and resume are forwarded to their chunks. */
  private readonly mappedRuns = new Map<string, MappedRun>();

  /** `carry`: where the run's previous execution left off, when it continued as new. */
  constructor(
    private readonly input: RunInput,
    carry?: RunCarry,
  ) {
    this.spec = input.spec;
    this.recoverable = wf.patched(RECOVERY_PATCH);
    this.slotted = this.spec.concurrency !== undefined && wf.patched(CONCURRENCY_PATCH);
    // Continued as new, the run already holds its slot and starts from the marks read with it.
    this.slotCarried = carry?.slot !== undefined;
    this.readsState = !this.slotted && readsStateAtStart(input, carry !== undefined);
    this.status = this.slotted && !this.slotCarried ? 'queued' : 'running';
    this.savedState = input.state ?? {};
    this.readFrom = carry?.slot ? new Date(carry.slot.readFrom) : this.info.startTime;
    this.startedAt = carry?.startedAt ?? now();
    this.segments = (carry?.segments ?? 0) + 1;
    this.notifying = this.spec.notify !== undefined && wf.patched(NOTIFY_PATCH);
    this.notifier = new Notifier(this.spec, this.info.workflowId, this.segments);
    this.slaMissed = carry?.slaMissed ?? false;
    this.recording = wf.patched(RUN_HISTORY_PATCH);
    this.recorder = new RunRecorder(carry?.recordSeq ?? 0);
    const carried = carry?.nodes.map(unpackNode);
    this.scheduler = carried
      ? DagScheduler.restore(this.spec.nodes, carried.map((n) => n.state), carried.map((n) => n.skip))
      : new DagScheduler(this.spec.nodes);
    this.context = { params: input.params, nodes: {}, run: { id: this.info.workflowId, pipeline: input.pipeline, scheduledAt: carry?.scheduledAt ?? scheduledTimeOf(this.info) ?? this.startedAt } };
    this.spec.nodes.forEach((node, i) => {
      const from = carried?.[i];
      this.records.set(node.id, {
        spec: node,
        attempt: from?.attempt ?? 0,
        startedAt: from?.startedAt ?? null,
        endedAt: from?.endedAt ?? null,
        stats: from?.stats ?? emptyStats(),
        error: from?.error ?? null,
        outputs: from?.outputs ?? null,
        executions: from?.executions ?? 0,
        earlierTries: from?.earlierTries ?? [],
        map: from?.map ?? null,
      });
      this.context.nodes[node.id] = { outputs: from?.outputs ?? null };
    });
    if (carry?.paused) {
      this.paused = true;
      this.status = 'paused';
    }
    wf.upsertSearchAttributes([
      { key: SLUICE_PIPELINE, value: input.pipeline },
      { key: SLUICE_STATUS, value: this.status },
    ]);
  }

  // ---- messages -------------------------------------------------------------------------------

  /** The run's progress: every node on a run of up to PROGRESS_NODE_LIMIT nodes, else the summary and the active nodes. */
  progress(): RunProgress {
    const nodes: Record<string, NodeProgress> = {};
    const all = this.records.size <= PROGRESS_NODE_LIMIT;
    let shown = 0;
    for (const id of this.records.keys()) {
      if (!all) {
        const state = this.scheduler.state(id);
        if (shown >= PROGRESS_NODE_LIMIT || !(state === 'running' || state === 'paused' || state === 'failed')) continue;
        shown++;
      }
      nodes[id] = this.nodeProgress(id);
    }
    return {
      runId: this.info.workflowId,
      pipeline: this.input.pipeline,
      version: this.input.version,
      status: this.status,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      error: this.error,
      ...(this.recoverableUntil ? { recoverableUntil: this.recoverableUntil } : {}),
      ...(this.status === 'queued' ? { waiting: this.queuedFor() } : {}),
      summary: this.summary(),
      nodes,
      detail: all ? 'all' : 'partial',
    };
  }

  private queuedFor(): string {
    const limit = this.spec.concurrency!.limit;
    return `waits for a concurrency slot: pipeline ${this.input.pipeline} runs at most ${limit} run${limit === 1 ? '' : 's'} at a time`;
  }

  /** A page of node detail in spec order: of one state if asked, after the node `after`. */
  nodesPage(request: NodesRequest): NodesPage {
    const limit = Math.max(1, Math.min(request.limit ?? 100, MAX_NODES_PAGE));
    const ids = this.scheduler.nodeIds();
    let i = 0;
    if (request.after !== undefined) {
      const at = ids.indexOf(request.after);
      i = at < 0 ? ids.length : at + 1;
    }
    const page: NodesPage['nodes'] = [];
    for (; i < ids.length && page.length < limit; i++) {
      const id = ids[i]!;
      if (request.state === undefined || this.scheduler.state(id) === request.state) page.push({ id, ...this.nodeProgress(id) });
    }
    // The next page starts after the last node looked at, so a filtered page never rescans.
    const more = ids.slice(i).some((id) => request.state === undefined || this.scheduler.state(id) === request.state);
    return { nodes: page, next: more && i > 0 ? ids[i - 1]! : null };
  }

  private nodeProgress(id: string): NodeProgress {
    const r = this.records.get(id)!;
    return {
      state: this.scheduler.state(id),
      attempt: r.attempt,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      stats: r.stats,
      error: r.error,
      site: placeOf(r.spec.site),
      outputs: r.outputs,
      ...(r.earlierTries.length > 0 ? { earlierTries: r.earlierTries } : {}),
      ...(r.map ? { map: mapProgress(r.map, this.mappedRuns.get(id)?.running()) } : {}),
    };
  }

  private summary(): RunSummary {
    const byState = Object.fromEntries(NODE_STATES.map((s) => [s, 0])) as Record<NodeState, number>;
    let rowsIn = 0;
    let rowsOut = 0;
    for (const [id, r] of this.records) {
      byState[this.scheduler.state(id)]++;
      rowsIn += r.stats.rowsIn;
      rowsOut += r.stats.rowsOut;
    }
    return { nodes: this.records.size, byState, rowsIn, rowsOut, segments: this.segments };
  }

  pause(): void {
    if (this.paused || this.status !== 'running') return;
    this.paused = true;
    this.setStatus('paused');
    for (const scope of this.executionScopes.values()) scope.cancel();
    for (const [id, mapped] of this.mappedRuns) {
      mapped.pause();
      this.scheduler.setActive(id, 'paused');
    }
    this.tick++;
  }

  resume(): void {
    if (!this.paused || this.status !== 'paused') return;
    this.paused = false;
    this.setStatus('running');
    for (const [id, mapped] of this.mappedRuns) {
      mapped.resume();
      this.scheduler.setActive(id, 'running');
    }
    this.tick++;
  }

  /** Rejects a retry the run cannot take: it is not waiting in its recovery window, or a node is unknown or not failed. */
  validateRetry(request: RetryRequest): void {
    if (this.recoverableUntil === null) {
      throw ApplicationFailure.create({
        type: RETRY_REJECTIONS.notFailed,
        message: `run ${this.info.workflowId} is ${this.status}; only a failed run can be retried`,
        nonRetryable: true,
      });
    }
    const problems: { path: string; message: string }[] = [];
    (request.nodes ?? []).forEach((id, i) => {
      if (typeof id !== 'string' || !this.records.has(id)) problems.push({ path: `nodes[${i}]`, message: `no node "${String(id)}" in this run` });
      else if (this.scheduler.state(id) !== 'failed') problems.push({ path: `nodes[${i}]`, message: `node "${id}" is ${this.scheduler.state(id)}, not failed` });
    });
    if (problems.length > 0) {
      // A list of thousands of bad ids answers with the first MAX_ISSUES, as every other 4xx does.
      if (problems.length > MAX_ISSUES) problems.splice(MAX_ISSUES, problems.length, { path: 'nodes', message: `${problems.length - MAX_ISSUES} more problems not listed` });
      throw ApplicationFailure.create({ type: RETRY_REJECTIONS.badNodes, message: problems.map((p) => `${p.path}: ${p.message}`).join('; '), details: [problems], nonRetryable: true });
    }
  }

  /** Runs again the failed nodes asked for (default: all) and what depends on them; succeeded nodes keep their outputs. */
  retry(request: RetryRequest): RetryResult {
    const failed = this.scheduler.nodeIds().filter((id) => this.scheduler.state(id) === 'failed');
    const chosen = request.nodes && request.nodes.length > 0 ? [...new Set(request.nodes)] : failed;
    const before = new Map(this.scheduler.nodeIds().map((id) => [id, this.scheduler.state(id)] as const));
    const reopened = this.scheduler.reopen(chosen);
    for (const id of reopened) this.restartRecord(id, before.get(id)!);
    this.failedNode = null;
    this.error = null;
    this.endedAt = null;
    this.recoverableUntil = null;
    this.paused = false;
    this.retried = true;
    this.setStatus('running');
    this.tick++;
    return { retried: chosen, reopened };
  }

  // ---- the run --------------------------------------------------------------------------------

  /**
   * Runs the DAG to its end. A run with a concurrency slot gives it back however it closes, and
   * before it shows its final status: completed, cancelled, or failed with no recovery window left
   * mean the slot is free.
   */
  async execute(): Promise<RunResult> {
    let continuing = false;
    this.watchSla();
    // The run's first write carries its params; later ones only what changed.
    if (this.recording && this.segments === 1) this.record(true, { params: this.input.params });
    try {
      return await this.run();
    } catch (err) {
      // Continued as new, the run goes on under the same id: its next execution finds the slot still its own.
      continuing = err instanceof wf.ContinueAsNew;
      throw err;
    } finally {
      // Every way to close gives the slot back on its own; this catches any other.
      if (this.slotted && !continuing) await this.giveSlotBack();
      if (this.recording) {
        // The last write, as the run closes, holds its summary and (up to 1,000 nodes) each node's counts.
        if (!continuing) this.record(false, { summary: this.summary(), ...(this.records.size <= PROGRESS_NODE_LIMIT ? { nodes: this.nodeCounts() } : {}) });
        await this.recorder.flush();
      }
      if (this.notifying) {
        this.slaScope?.cancel();
        // The deliveries outlive the run, but must have started before it closes.
        await this.notifier.flush();
      }
    }
  }

  /** With `sla` and a target for slaMissed: once the run is still queued, running or paused that long after it started, says so (once). */
  private watchSla(): void {
    const sla = this.spec.sla;
    if (!this.notifying || sla === undefined || this.slaMissed || !this.notifier.wants('slaMissed')) return;
    const due = Date.parse(this.startedAt) + sla - Date.now();
    this.slaScope = new wf.CancellationScope();
    this.slaScope
      .run(() => wf.sleep(Math.max(1, due)))
      .then(
        () => {
          if (!(this.status === 'queued' || this.status === 'running' || this.status === 'paused')) return;
          this.slaMissed = true;
          this.notifier.send(this.notification('slaMissed'));
        },
        () => undefined,
      );
  }

  /** Writes the run's record as it stands (open: the run goes on). */
  private record(open: boolean, extra: Pick<RunRecordInput, 'params' | 'summary' | 'nodes'> = {}): void {
    this.recorder.record({
      runId: this.info.workflowId,
      pipeline: this.input.pipeline,
      version: this.input.version,
      status: this.status,
      open,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      error: this.error,
      scheduleId: scheduleIdOf(this.info),
      scheduledAt: scheduledTimeOf(this.info),
      ...extra,
    });
  }

  private nodeCounts(): NonNullable<RunRecordInput['nodes']> {
    const nodes: NonNullable<RunRecordInput['nodes']> = {};
    for (const [id, r] of this.records) nodes[id] = { state: this.scheduler.state(id), attempt: r.attempt, rowsIn: r.stats.rowsIn, rowsOut: r.stats.rowsOut, error: r.error };
    return nodes;
  }

  /** What the run tells its notify targets of `event`, as of now. */
  private notification(event: NotifyEvent): Notification {
    const failedNodes = this.scheduler
      .nodeIds()
      .filter((id) => this.scheduler.state(id) === 'failed')
      .slice(0, 5)
      .map((id) => ({ id, error: this.records.get(id)!.error }));
    return {
      event,
      runId: this.info.workflowId,
      pipeline: this.input.pipeline,
      version: this.input.version,
      status: this.status,
      startedAt: this.startedAt,
      at: now(),
      error: this.error,
      failedNodes,
      ...(event === 'slaMissed' && this.spec.sla !== undefined ? { slaMs: this.spec.sla } : {}),
    };
  }

  private async run(): Promise<RunResult> {
    try {
      if (this.slotted && !this.slotCarried) await this.takeSlot();
      else if (this.readsState) await this.readStateAtStart();
      for (;;) {
        if ((await this.schedule()) === 'segment') return await this.continueAsNew();
        if (!this.scheduler.nodeIds().some((id) => this.scheduler.state(id) === 'failed')) break;
        await this.stopAfterFailure();
        if (!(await this.awaitRetry())) throw ApplicationFailure.nonRetryable(this.error ?? 'a node failed', 'NodeFailed');
      }
      await this.saveStates();
      if (this.slotted) await this.giveSlotBack();
      this.endedAt = now();
      this.setStatus('completed');
      return this.progress();
    } catch (err) {
      if (wf.isCancellation(err)) {
        // Let running nodes finish their current batch before the run reports cancelled.
        await wf.CancellationScope.nonCancellable(async () => {
          // Nodes that never started are cancelled, not skipped because a running upstream ends cancelled.
          for (const id of this.scheduler.cancelPending()) this.records.get(id)!.endedAt = now();
          await Promise.all(this.inflight.values());
          for (const id of this.scheduler.nodeIds()) {
            const state = this.scheduler.state(id);
            if (state === 'running' || state === 'paused') this.finishNode(id, 'cancelled');
          }
          this.recoverableUntil = null;
          if (this.slotted) await this.giveSlotBack();
          this.endedAt = now();
          this.setStatus('cancelled');
        });
      }
      throw err;
    }
  }

  /** Waits (queued) for one of the pipeline's slots; the node states are read again as it is granted. */
  private async takeSlot(): Promise<void> {
    const request: SlotRequest = { pipeline: this.input.pipeline, runId: this.info.workflowId, limit: this.spec.concurrency!.limit };
    let grant: SlotGrant;
    try {
      grant = await acquireSlotActivity()(request);
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      // A cancel that met an attempt failing for another reason: still a cancel.
      if (wf.CancellationScope.current().consideredCancelled) throw new wf.CancelledFailure('cancelled while waiting for a concurrency slot');
      const error = `no concurrency slot: ${errorMessage(err)}`;
      for (const id of this.scheduler.cancelPending()) this.records.get(id)!.endedAt = now();
      if (this.slotted) await this.giveSlotBack();
      this.error = error;
      this.endedAt = now();
      this.setStatus('failed');
      throw ApplicationFailure.nonRetryable(error, 'SlotNotTaken');
    }
    if (wf.CancellationScope.current().consideredCancelled) throw new wf.CancelledFailure('cancelled while waiting for a concurrency slot');
    // The runs that held the slot before this one have saved their marks: start from those.
    this.savedState = grant.states;
    this.readFrom = new Date();
    this.setStatus('running');
    this.tick++;
  }

  /** A scheduled run starts from the node states saved by the runs before it, read now (its input's were read when the schedule was made). */
  private async readStateAtStart(): Promise<void> {
    try {
      this.savedState = await readSavedStates(this.input.pipeline, this.scheduler.nodeIds());
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      const error = `cannot read the saved node states: ${errorMessage(err)}`;
      for (const id of this.scheduler.cancelPending()) this.records.get(id)!.endedAt = now();
      this.error = error;
      this.endedAt = now();
      this.setStatus('failed');
      throw ApplicationFailure.nonRetryable(error, 'StateNotRead');
    }
    this.readFrom = new Date();
  }

  /**
   * Gives the slot (or the place in the queue) back, once, even while the run is being cancelled.
   * Callers test `slotted` first, so runs without concurrency keep exactly their old awaits (replay).
   */
  private async giveSlotBack(): Promise<void> {
    if (this.slotGivenBack) return;
    this.slotGivenBack = true;
    await wf.CancellationScope.nonCancellable(async () => {
      try {
        await releaseSlotActivity()({ pipeline: this.input.pipeline, runId: this.info.workflowId, limit: this.spec.concurrency!.limit });
      } catch (err) {
        // The run's outcome stands; the row left behind is dropped by the next claim that finds the pipeline full.
        wf.log.warn('could not give the concurrency slot back', { error: errorMessage(err) });
      }
    });
  }

  private get onFailure(): 'stop' | 'continue' {
    return this.recoverable ? (this.spec.onFailure ?? 'stop') : 'stop';
  }

  private stopping(): boolean {
    return this.failedNode !== null && this.onFailure === 'stop';
  }

  /**
   * Starts ready nodes, up to maxParallel at once, until none runs and none can start (or a failure
   * stops the run): 'settled'. Once the history is long, starts none and returns 'segment' when the
   * running ones have finished.
   */
  private async schedule(): Promise<'settled' | 'segment'> {
    for (;;) {
      if (this.stopping()) return 'settled';
      const segmentEnds = this.segmentFull();
      if (segmentEnds && this.inflight.size === 0 && this.scheduler.peekReady() !== undefined) return 'segment';
      let whenFailed = false;
      if (!this.paused && !segmentEnds) {
        for (let id = this.scheduler.peekReady(); id !== undefined && this.inflight.size < this.spec.maxParallel; id = this.scheduler.peekReady()) {
          const node = this.records.get(id)!.spec;
          let run = true;
          try {
            run = node.when === undefined || evaluateWhen(node.when, this.context);
          } catch (err) {
            // A when that cannot be resolved is the node's failure, not a stuck workflow task.
            this.failNode(id, `when: ${errorMessage(err)}`);
            whenFailed = true;
            break;
          }
          if (!run) {
            this.finishNode(id, 'skipped');
            continue;
          }
          this.launch(node);
        }
      }
      if (whenFailed) continue;
      // Paused with nodes ready, the loop waits for resume; with nothing running and nothing ready, the run is settled.
      if (this.inflight.size === 0 && this.scheduler.peekReady() === undefined) return 'settled';
      const seen = this.tick;
      await wf.condition(() => this.tick !== seen);
    }
  }

  /** Whether this execution's history is long enough to continue as new (decided once, under its patch). */
  private segmentFull(): boolean {
    if (this.segmenting !== null) return this.segmenting;
    const info = wf.workflowInfo();
    if (info.historyLength < SEGMENT_EVENTS && !info.continueAsNewSuggested) return false;
    this.segmenting = wf.patched(SEGMENT_PATCH);
    return this.segmenting;
  }

  /** Hands the run's state to a new execution of it, with nothing in flight. */
  private async continueAsNew(): Promise<never> {
    await wf.condition(wf.allHandlersFinished);
    const needed = this.scheduler.upstreamOfOpen();
    const nodes = this.scheduler.nodeIds().map((id) => {
      const r = this.records.get(id)!;
      return packNode({
        state: this.scheduler.state(id),
        skip: this.scheduler.skipReason(id),
        attempt: r.attempt,
        startedAt: r.startedAt,
        endedAt: r.endedAt,
        executions: r.executions,
        stats: r.stats,
        error: r.error,
        // Outputs travel on only where a node still to run may read them (and a saved state, which the
        // run's end stores); the rest are in this execution's history.
        outputs: needed.has(id) ? r.outputs : r.outputs?.state !== undefined ? { state: r.outputs.state } : null,
        earlierTries: r.earlierTries,
        map: r.map,
      });
    });
    const carry: RunCarry = {
      startedAt: this.startedAt,
      paused: this.paused,
      segments: this.segments,
      nodes,
      scheduledAt: this.context.run.scheduledAt,
      // A run with a slot keeps it, and the marks it read when it got it (the input's state below).
      ...(this.slotted ? { slot: { readFrom: this.readFrom.toISOString() } } : {}),
      ...(this.slaMissed ? { slaMissed: true } : {}),
      ...(this.recording ? { recordSeq: this.recorder.lastSeq } : {}),
    };
    const input: RunInput = this.slotted || this.readsState ? { ...this.input, state: this.savedState } : this.input;
    // Two arguments, two payloads: the spec and the carry each stay within Temporal's payload limit.
    return wf.continueAsNew<(input: RunInput, carry?: RunCarry) => Promise<RunResult>>(input, carry);
  }

  /** With onFailure: stop, cancels the nodes still running; then the run's status is failed. */
  private async stopAfterFailure(): Promise<void> {
    for (const scope of this.nodeScopes.values()) scope.cancel();
    await Promise.all(this.inflight.values());
    for (const id of this.scheduler.cancelPending()) this.records.get(id)!.endedAt = now();
    this.error = this.failureSummary();
    this.endedAt = now();
    // A run that waits for a retry keeps its slot; one that closes now gives it back first.
    if (this.slotted && this.recoveryWindowMs() <= 0) await this.giveSlotBack();
    this.setStatus('failed');
  }

  /** How long a failed run waits for a retry: 0 when it closes at once (or predates retry in place). */
  private recoveryWindowMs(): number {
    return this.recoverable ? (this.spec.recoveryWindow ?? DEFAULT_RECOVERY_WINDOW_MS) : 0;
  }

  /** Waits in the recovery window for the retry update; false when the window ends (or there is none). */
  private async awaitRetry(): Promise<boolean> {
    const windowMs = this.recoveryWindowMs();
    if (windowMs <= 0) return false;
    this.retried = false;
    this.recoverableUntil = new Date(Date.now() + windowMs).toISOString();
    const retried = await wf.condition(() => this.retried, windowMs);
    // The window closes the run: the slot is given back before the run stops saying it can be retried.
    if (this.slotted && !retried) await this.giveSlotBack();
    this.recoverableUntil = null;
    return retried;
  }

  /** Marks advance only once the whole run succeeded: a failed run leaves them, so its rows are read again. */
  private async saveStates(): Promise<void> {
    const states: Record<string, unknown> = {};
    for (const [id, r] of this.records) if (r.outputs?.state !== undefined) states[id] = r.outputs.state;
    if (Object.keys(states).length === 0 || !wf.patched(SAVE_STATE_PATCH)) return;
    try {
      await saveStateActivity()({ pipeline: this.input.pipeline, runId: this.info.workflowId, states, startedAt: this.readFrom.toISOString() });
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      const error = `node state not saved: ${errorMessage(err)}`;
      if (this.slotted) await this.giveSlotBack();
      this.error = error;
      this.endedAt = now();
      this.setStatus('failed');
      throw ApplicationFailure.nonRetryable(error, 'StateNotSaved');
    }
  }

  private failureSummary(): string {
    const ids = this.scheduler.nodeIds();
    const failed = ids.filter((id) => this.scheduler.state(id) === 'failed');
    const first = this.failedNode ?? failed[0]!;
    const message =
      failed.length <= 1
        ? `node "${first}" failed: ${this.records.get(first)!.error ?? 'unknown error'}`
        : `${failed.length} nodes failed: ${failed.slice(0, NAMES_IN_ERROR).map((id) => `"${id}" (${this.records.get(id)!.error ?? 'unknown error'})`).join(', ')}${failed.length > NAMES_IN_ERROR ? ` and ${failed.length - NAMES_IN_ERROR} more` : ''}`;
    if (this.onFailure !== 'continue') return message;
    const skipped = ids.filter((id) => this.scheduler.state(id) === 'skipped' && this.scheduler.skipReason(id) === 'upstream');
    return skipped.length === 0 ? message : `${message}; not run because of it: ${quotedList(skipped)}`;
  }

  private setStatus(status: RunStatus): void {
    const changed = status !== this.status;
    this.status = status;
    wf.upsertSearchAttributes([{ key: SLUICE_STATUS, value: status }]);
    const event = changed && this.notifying ? STATUS_EVENTS[status] : undefined;
    if (event) this.notifier.send(this.notification(event));
    // Completed and cancelled are written as the run closes, with its summary.
    if (changed && this.recording && status !== 'completed' && status !== 'cancelled') this.record(true);
  }

  // ---- nodes ----------------------------------------------------------------------------------

  private finishNode(id: string, state: NodeState, error: string | null = null): void {
    const r = this.records.get(id)!;
    const at = now();
    r.endedAt = at;
    if (error) r.error = error;
    for (const skipped of this.scheduler.finish(id, state, 'when')) this.records.get(skipped)!.endedAt = at;
    this.tick++;
  }

  private failNode(id: string, error: string): void {
    this.failedNode ??= id;
    this.finishNode(id, 'failed', error);
  }

  /** A node opened again by a retry: its last try is kept in earlierTries, and it starts afresh. */
  private restartRecord(id: string, lastState: NodeState): void {
    const r = this.records.get(id)!;
    if (r.startedAt !== null) {
      r.earlierTries.push({ state: lastState, attempt: r.attempt, startedAt: r.startedAt, endedAt: r.endedAt, error: r.error, stats: r.stats });
    }
    // A mapped node keeps its chunk results: its chunks that fully succeeded are not run again.
    Object.assign(r, { attempt: 0, startedAt: null, endedAt: null, stats: emptyStats(), error: null, outputs: null });
    this.context.nodes[id] = { outputs: null };
  }

  private launch(node: NodeSpec): void {
    this.scheduler.start(node.id);
    const scope = new wf.CancellationScope();
    this.nodeScopes.set(node.id, scope);
    const settle = (): void => {
      this.inflight.delete(node.id);
      this.nodeScopes.delete(node.id);
      this.tick++;
    };
    // The node runs outside its scope (each execution's scope is the node scope's child), and then()
    // instead of finally(): the sandbox takes a stack trace for every promise, so fewer is faster.
    const done = this.runNode(node, scope).then(settle, (err: unknown) => {
      settle();
      throw err;
    });
    this.inflight.set(node.id, done);
  }

  /** One node: activity executions until it succeeds or fails for good; a mapped node runs its items in chunks (runMapped). */
  private async runNode(node: NodeSpec, nodeScope: wf.CancellationScope): Promise<void> {
    const inputs: Record<string, Record<string, unknown>> = {};
    for (const up of node.needs) inputs[up] = this.records.get(up)!.outputs ?? {};
    // A mapped node's chunks and waits live in its node scope; a single node's executions name it as their parent.
    const outcome = node.forEach === undefined ? await this.runSingle(node, inputs, nodeScope) : await nodeScope.run(() => this.runMapped(node, inputs, nodeScope));
    if (outcome.state === 'succeeded') {
      this.records.get(node.id)!.outputs = outcome.outputs;
      this.context.nodes[node.id] = { outputs: outcome.outputs };
      this.finishNode(node.id, 'succeeded');
    } else if (outcome.state === 'failed') this.failNode(node.id, outcome.error);
    else this.finishNode(node.id, 'cancelled');
  }

  private async runSingle(node: NodeSpec, inputs: Record<string, Record<string, unknown>>, nodeScope: wf.CancellationScope): Promise<ExecutionOutcome> {
    const savedState = Object.hasOwn(this.savedState, node.id) ? this.savedState[node.id] : undefined;
    const stallTimeoutMs = node.stallTimeout ?? this.spec.defaults?.stallTimeout;
    let config: Record<string, unknown>;
    try {
      config = resolveTemplates(node.config, this.context, 'config') as Record<string, unknown>;
    } catch (err) {
      return { state: 'failed', error: err instanceof TemplateError ? `${err.path}: ${err.message}` : errorMessage(err) };
    }
    const task: Omit<NodeTaskInput, 'checkpoint'> = {
      runId: this.info.workflowId,
      pipeline: this.input.pipeline,
      nodeId: node.id,
      type: node.type,
      site: node.site ?? null,
      config,
      inputs,
      limits: nodeLimits(this.spec.defaults, node),
      ...(stallTimeoutMs === undefined ? {} : { stallTimeoutMs }),
      ...(savedState === undefined ? {} : { state: savedState }),
    };
    return await executeNode(task, node, this.spec.defaults, this.info.taskQueue, this.host(node.id), nodeScope);
  }

  /** A mapped node: its list, then its chunks as child workflows (mapped.ts); outputs are the list's length and the dataset of instance outputs. */
  private async runMapped(node: NodeSpec, inputs: Record<string, Record<string, unknown>>, nodeScope: wf.CancellationScope): Promise<ExecutionOutcome> {
    const r = this.records.get(node.id)!;
    let items: unknown[];
    try {
      items = mapItems(node, (template) => resolveTemplates(template, this.context, 'forEach'));
    } catch (err) {
      return { state: 'failed', error: err instanceof TemplateError ? `${err.path}: ${err.message}` : errorMessage(err) };
    }
    // Only the params and output fields the config names go to the chunks.
    const context = contextFor(node.config, this.context);
    // Each instance's task carries these: only what it can read from them, its upstream datasets, not a list of 100,000 items again.
    const datasets = Object.fromEntries(Object.entries(inputs).map(([id, out]) => [id, out.dataset === undefined ? {} : { dataset: out.dataset }]));
    r.executions++;
    r.attempt = 1;
    r.startedAt ??= now();
    r.map ??= { items: items.length, chunks: [] };
    this.scheduler.setActive(node.id, this.paused ? 'paused' : 'running');
    this.tick++;
    const mapped = new MappedRun({
      runId: this.info.workflowId,
      pipeline: this.input.pipeline,
      spec: this.spec,
      taskQueue: this.info.taskQueue,
      node,
      items,
      context,
      inputs: datasets,
      stopOnFailure: this.onFailure === 'stop',
      execution: r.executions,
      record: r.map,
      isPaused: () => this.paused,
      report: (stats) => {
        r.stats = stats;
      },
    });
    this.mappedRuns.set(node.id, mapped);
    try {
      return await mapped.run(nodeScope);
    } finally {
      this.mappedRuns.delete(node.id);
    }
  }

  /** How a node's executions reach its record, its state and the pause that cancels them. */
  private host(id: string): ExecutionHost {
    const r = this.records.get(id)!;
    return {
      isPaused: () => this.paused,
      begin: () => {
        r.executions++;
        this.scheduler.setActive(id, 'running');
        r.startedAt ??= now();
        this.tick++;
        return r.executions;
      },
      track: (scope) => (scope ? this.executionScopes.set(id, scope) : this.executionScopes.delete(id)),
      report: (attempt, stats) => {
        r.attempt = attempt;
        r.stats = stats;
      },
      pausedAt: () => {
        this.scheduler.setActive(id, 'paused');
        this.tick++;
      },
    };
  }
}
