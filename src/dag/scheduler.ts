// The run's node states and what may start next, kept incrementally: each node event costs
// O(log n) (plus the dependents it touches), never a pass over the whole DAG. Bundled into the
// deterministic workflow sandbox: no I/O, and every answer depends only on the spec order and
// the calls made, so a replay schedules exactly what the first run scheduled.
import { MinHeap, topoOrder, type PlanNode } from './plan.js';
import { FINAL_NODE_STATES, type NodeState } from './vocabulary.js';

const DOOMING: ReadonlySet<NodeState> = new Set<NodeState>(['skipped', 'failed', 'cancelled']);

/** Why a node was skipped: its `when` was false, or something upstream failed, was skipped or cancelled. */
export type SkipReason = 'when' | 'upstream';

export class DagScheduler {
  private readonly ids: string[];
  private readonly index = new Map<string, number>();
  private readonly needs: number[][];
  private readonly dependents: number[][];
  /** Position of each node in a topological order (ties by spec order). */
  private readonly rank: number[];
  private readonly states: NodeState[];
  private readonly skipReasons: (SkipReason | null)[];
  /** Needs of each node that have not succeeded yet. */
  private readonly unmet: number[];
  /** Pending nodes whose needs all succeeded, by spec index; entries that stopped being pending are dropped lazily. */
  private readonly ready = new MinHeap();
  private open: number;

  constructor(nodes: readonly PlanNode[]) {
    this.ids = nodes.map((n) => n.id);
    this.ids.forEach((id, i) => this.index.has(id) || this.index.set(id, i));
    this.needs = nodes.map((n) => [...new Set(n.needs)].map((need) => this.indexOf(need)));
    this.dependents = nodes.map((): number[] => []);
    this.needs.forEach((needs, i) => needs.forEach((j) => this.dependents[j]!.push(i)));
    this.rank = new Array<number>(nodes.length);
    topoOrder(nodes).forEach((id, r) => (this.rank[this.indexOf(id)] = r));
    this.states = nodes.map((): NodeState => 'pending');
    this.skipReasons = nodes.map(() => null);
    this.unmet = this.needs.map((needs) => needs.length);
    this.unmet.forEach((u, i) => u === 0 && this.ready.push(i));
    this.open = nodes.length;
  }

  /**
   * A scheduler in the given states (a run continued as new carries them): `states[i]` and
   * `skipReasons[i]` belong to node i in spec order; running and paused nodes count as pending,
   * since a run only continues as new when none of its nodes is in flight.
   */
  static restore(nodes: readonly PlanNode[], states: readonly NodeState[], skipReasons: readonly (SkipReason | null)[]): DagScheduler {
    const s = new DagScheduler(nodes);
    s.ready.clear();
    s.open = 0;
    states.forEach((state, i) => {
      const settled = state === 'running' || state === 'paused' ? 'pending' : state;
      s.states[i] = settled;
      s.skipReasons[i] = settled === 'skipped' ? (skipReasons[i] ?? 'upstream') : null;
      if (!FINAL_NODE_STATES.has(settled)) s.open++;
    });
    s.needs.forEach((needs, i) => {
      s.unmet[i] = needs.filter((j) => s.states[j] !== 'succeeded').length;
      if (s.states[i] === 'pending' && s.unmet[i] === 0) s.ready.push(i);
    });
    return s;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Nodes not yet in a final state (pending, running or paused). */
  get openCount(): number {
    return this.open;
  }

  state(id: string): NodeState {
    return this.states[this.indexOf(id)]!;
  }

  skipReason(id: string): SkipReason | null {
    return this.skipReasons[this.indexOf(id)]!;
  }

  /** Node ids in spec order. */
  nodeIds(): readonly string[] {
    return this.ids;
  }

  /** The first pending node (in spec order) whose needs all succeeded, without taking it; undefined if none. */
  peekReady(): string | undefined {
    for (let i = this.ready.peek(); i !== undefined; i = this.ready.peek()) {
      if (this.states[i] === 'pending' && this.unmet[i] === 0) return this.ids[i];
      this.ready.pop();
    }
    return undefined;
  }

  /** Every node that a node not yet final needs, directly or through others (their outputs may still be read). */
  upstreamOfOpen(): Set<string> {
    const seen = new Set<number>();
    const queue: number[] = [];
    this.states.forEach((s, i) => {
      if (!FINAL_NODE_STATES.has(s)) queue.push(i);
    });
    for (let k = 0; k < queue.length; k++) {
      for (const j of this.needs[queue[k]!]!) {
        if (seen.has(j)) continue;
        seen.add(j);
        queue.push(j);
      }
    }
    return new Set([...seen].map((i) => this.ids[i]!));
  }

  /** A ready node starts running. */
  start(id: string): void {
    const i = this.indexOf(id);
    if (this.states[i] !== 'pending' || this.unmet[i] !== 0) throw new Error(`node "${id}" is not ready to start`);
    if (this.ready.peek() === i) this.ready.pop();
    this.states[i] = 'running';
  }

  /** A started node runs again (after a pause) or pauses. */
  setActive(id: string, state: 'running' | 'paused'): void {
    const i = this.indexOf(id);
    if (this.states[i] !== 'running' && this.states[i] !== 'paused') throw new Error(`node "${id}" is ${this.states[i]}, not started`);
    this.states[i] = state;
  }

  /**
   * A node reaches a final state. Succeeded releases its dependents; any other final state skips every
   * pending node downstream of it. Returns the nodes skipped that way, in topological order.
   */
  finish(id: string, state: NodeState, reason: SkipReason = 'when'): string[] {
    const i = this.indexOf(id);
    if (!FINAL_NODE_STATES.has(state)) throw new Error(`${state} is not a final node state`);
    if (FINAL_NODE_STATES.has(this.states[i]!)) throw new Error(`node "${id}" already ${this.states[i]}`);
    this.setFinal(i, state, state === 'skipped' ? reason : null);
    if (state === 'succeeded') {
      for (const d of this.dependents[i]!) {
        this.unmet[d]!--;
        if (this.unmet[d] === 0 && this.states[d] === 'pending') this.ready.push(d);
      }
      return [];
    }
    return this.doomFrom([i]);
  }

  /** Every pending node becomes cancelled (the run stops); returns them in spec order. */
  cancelPending(): string[] {
    const cancelled: string[] = [];
    this.states.forEach((s, i) => {
      if (s === 'pending') {
        this.setFinal(i, 'cancelled', null);
        cancelled.push(this.ids[i]!);
      }
    });
    return cancelled;
  }

  /**
   * Retry in place: `failed` (failed nodes), every cancelled node, and whatever downstream of them was
   * skipped or cancelled because of them, become pending again; a node that still needs a node left
   * failed is skipped again at once. Returns the nodes made pending, in topological order.
   */
  reopen(failed: readonly string[]): string[] {
    const seeds = failed.map((id) => this.indexOf(id));
    for (const i of seeds) if (this.states[i] !== 'failed') throw new Error(`node "${this.ids[i]}" is ${this.states[i]}, not failed`);
    this.states.forEach((s, i) => s === 'cancelled' && seeds.push(i));
    const reopened = new Set<number>();
    const queue = [...seeds];
    for (let k = 0; k < queue.length; k++) {
      const i = queue[k]!;
      if (reopened.has(i)) continue;
      reopened.add(i);
      for (const d of this.dependents[i]!) {
        const s = this.states[d];
        if ((s === 'skipped' && this.skipReasons[d] === 'upstream') || s === 'cancelled') queue.push(d);
      }
    }
    const order = [...reopened].sort((a, b) => this.rank[a]! - this.rank[b]!);
    for (const i of order) {
      this.states[i] = 'pending';
      this.skipReasons[i] = null;
      this.open++;
    }
    for (const i of order) this.unmet[i] = this.needs[i]!.filter((j) => this.states[j] !== 'succeeded').length;
    // In topological order, so a node re-skipped here dooms its own dependents before they are looked at.
    for (const i of order) {
      if (this.states[i] !== 'pending') continue;
      if (this.needs[i]!.some((j) => DOOMING.has(this.states[j]!))) this.doomFrom([i], true);
      else if (this.unmet[i] === 0) this.ready.push(i);
    }
    return order.filter((i) => this.states[i] === 'pending').map((i) => this.ids[i]!);
  }

  private setFinal(i: number, state: NodeState, reason: SkipReason | null): void {
    if (!FINAL_NODE_STATES.has(this.states[i]!)) this.open--;
    this.states[i] = state;
    this.skipReasons[i] = reason;
  }

  /** Skips pending nodes downstream of `from` (and `from` itself when `self`); returns them in topological order. */
  private doomFrom(from: number[], self = false): string[] {
    const doomed: number[] = [];
    const queue = self ? [] : [...from];
    if (self) {
      for (const i of from) {
        this.setFinal(i, 'skipped', 'upstream');
        doomed.push(i);
        queue.push(i);
      }
    }
    for (let k = 0; k < queue.length; k++) {
      for (const d of this.dependents[queue[k]!]!) {
        if (this.states[d] !== 'pending') continue;
        this.setFinal(d, 'skipped', 'upstream');
        doomed.push(d);
        queue.push(d);
      }
    }
    return doomed.sort((a, b) => this.rank[a]! - this.rank[b]!).map((i) => this.ids[i]!);
  }

  private indexOf(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`unknown node "${id}"`);
    return i;
  }
}
