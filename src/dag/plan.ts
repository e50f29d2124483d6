// Bundled into the deterministic workflow sandbox: no zod and no I/O here. Every result depends only on the
// arguments and on the order of nodes in the spec, so replays plan exactly what the first run planned.

import type { NodeState } from './vocabulary.js';

export type { NodeState };

/** The part of a node that planning needs. */
export interface PlanNode {
  id: string;
  needs: readonly string[];
}

const DOOMING: ReadonlySet<NodeState> = new Set<NodeState>(['skipped', 'failed', 'cancelled']);

/**
 * A cycle as a path in data-flow order (`['a', 'b', 'a']`: b needs a, a needs b), starting and ending at its
 * node that comes first in the spec; null when there is none. Needs naming unknown ids are ignored.
 */
export function findCycle(nodes: readonly PlanNode[]): string[] | null {
  const index = indexOf(nodes);
  const color = new Map<string, 'open' | 'done'>();
  for (const start of nodes) {
    if (color.has(start.id)) continue;
    // Iterative DFS along `needs`, so a long chain cannot overflow the stack.
    const path: string[] = [start.id];
    const cursor: number[] = [0];
    color.set(start.id, 'open');
    while (path.length > 0) {
      const top = path.length - 1;
      const id = path[top] as string;
      const needs = nodeById(nodes, index, id)?.needs ?? [];
      const i = cursor[top] as number;
      if (i >= needs.length) {
        color.set(id, 'done');
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[top] = i + 1;
      const next = needs[i] as string;
      if (!index.has(next)) continue;
      const seen = color.get(next);
      if (seen === 'open') return cycleFrom(path.slice(path.indexOf(next)), index);
      if (seen === undefined) {
        color.set(next, 'open');
        path.push(next);
        cursor.push(0);
      }
    }
  }
  return null;
}

/** Node ids so that every node comes after all it needs; ties go to the node earlier in the spec. Throws on a cycle. */
export function topoOrder(nodes: readonly PlanNode[]): string[] {
  const index = indexOf(nodes);
  const waiting = nodes.map((n) => new Set(n.needs).size);
  const dependents = nodes.map((): number[] => []);
  nodes.forEach((n, i) => {
    for (const need of new Set(n.needs)) {
      const j = index.get(need);
      if (j === undefined) throw new Error(`node "${n.id}" needs unknown node "${need}"`);
      dependents[j]?.push(i);
    }
  });
  const ready = new MinHeap();
  waiting.forEach((w, i) => w === 0 && ready.push(i));
  const order: string[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    order.push((nodes[i] as PlanNode).id);
    for (const d of dependents[i] ?? []) {
      waiting[d] = (waiting[d] as number) - 1;
      if (waiting[d] === 0) ready.push(d);
    }
  }
  if (order.length < nodes.length) {
    throw new Error(`cycle ${(findCycle(nodes) ?? []).join(' -> ')}`);
  }
  return order;
}

/** Every transitive ancestor of `id` (what it needs, what those need, ...), without `id` unless it is on a cycle. */
export function upstreamClosure(nodes: readonly PlanNode[], id: string): Set<string> {
  const index = indexOf(nodes);
  const seen = new Set<string>();
  const queue = [...(nodeById(nodes, index, id)?.needs ?? [])];
  for (let i = 0; i < queue.length; i++) {
    const next = queue[i] as string;
    if (seen.has(next) || !index.has(next)) continue;
    seen.add(next);
    queue.push(...(nodeById(nodes, index, next)?.needs ?? []));
  }
  return seen;
}

/**
 * What the interpreter does next. `start`: pending nodes whose needs all succeeded, in spec order. `skip`:
 * pending nodes that can never run because an upstream (transitively) was skipped, failed or was cancelled.
 * A node missing from `states` counts as pending.
 */
export function nextActions(
  nodes: readonly PlanNode[],
  states: Readonly<Record<string, NodeState>>,
): { start: string[]; skip: string[] } {
  const stateOf = (id: string): NodeState => (Object.hasOwn(states, id) ? states[id] : undefined) ?? 'pending';
  const doomed = new Set<string>();
  // Topological order lets a doomed node doom its own dependents within this one call.
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const id of topoOrder(nodes)) {
    const node = byId.get(id) as PlanNode;
    if (stateOf(id) !== 'pending') continue;
    if (node.needs.some((need) => DOOMING.has(stateOf(need)) || doomed.has(need))) doomed.add(id);
  }
  const start: string[] = [];
  const skip: string[] = [];
  for (const node of nodes) {
    if (doomed.has(node.id)) skip.push(node.id);
    else if (stateOf(node.id) === 'pending' && node.needs.every((need) => stateOf(need) === 'succeeded')) {
      start.push(node.id);
    }
  }
  return { start, skip };
}

function indexOf(nodes: readonly PlanNode[]): Map<string, number> {
  const index = new Map<string, number>();
  // The first node with an id wins, matching the validator, which reports later duplicates.
  nodes.forEach((n, i) => index.has(n.id) || index.set(n.id, i));
  return index;
}

function nodeById(nodes: readonly PlanNode[], index: Map<string, number>, id: string): PlanNode | undefined {
  const i = index.get(id);
  return i === undefined ? undefined : nodes[i];
}

// `needsPath[k]` needs `needsPath[k + 1]` and the last needs the first; data flows the other way round.
function cycleFrom(needsPath: string[], index: Map<string, number>): string[] {
  const flow = [...needsPath].reverse();
  let first = 0;
  flow.forEach((id, k) => {
    if ((index.get(id) ?? 0) < (index.get(flow[first] as string) ?? 0)) first = k;
  });
  const rotated = [...flow.slice(first), ...flow.slice(0, first)];
  return [...rotated, rotated[0] as string];
}

/** A binary min-heap of node indexes (spec positions): ready nodes come out in spec order, O(log n) each. */
export class MinHeap {
  private readonly items: number[] = [];

  peek(): number | undefined {
    return this.items[0];
  }

  clear(): void {
    this.items.length = 0;
  }

  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if ((a[parent] as number) <= v) break;
      a[i] = a[parent] as number;
      a[parent] = v;
      i = parent;
    }
  }

  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < a.length && (a[l] as number) < (a[min] as number)) min = l;
      if (r < a.length && (a[r] as number) < (a[min] as number)) min = r;
      if (min === i) break;
      [a[i], a[min]] = [a[min] as number, a[i] as number];
      i = min;
    }
    return top;
  }
}
