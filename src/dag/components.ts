// Graph questions the validator asks of a whole spec at once, in time linear in nodes plus edges
// (times a word count for reachability): strongly connected components, and "is X upstream of Y" for
// many pairs. The DAG may still have cycles here (they are being reported), so both work on any graph.
import type { PlanNode } from './plan.js';

/**
 * Strongly connected components along `needs` (Tarjan's algorithm with its own stack), as indices into
 * `nodes`, each in spec order; a component comes after every component it needs. Unknown needs are ignored.
 */
export function stronglyConnected(nodes: readonly PlanNode[]): number[][] {
  const n = nodes.length;
  const index = new Map<string, number>();
  nodes.forEach((node, i) => index.has(node.id) || index.set(node.id, i));
  const edges = nodes.map((node) => node.needs.map((id) => index.get(id)).filter((j): j is number => j !== undefined));
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const next = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const calls: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  const open = (v: number): void => {
    order[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    calls.push(v);
  };
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    open(root);
    while (calls.length > 0) {
      const v = calls[calls.length - 1] as number;
      const out = edges[v] as number[];
      if ((next[v] as number) < out.length) {
        const w = out[next[v] as number] as number;
        next[v] = (next[v] as number) + 1;
        if (order[w] === -1) open(w);
        else if (onStack[w] === 1) low[v] = Math.min(low[v] as number, order[w] as number);
        continue;
      }
      calls.pop();
      const parent = calls[calls.length - 1];
      if (parent !== undefined) low[parent] = Math.min(low[parent] as number, low[v] as number);
      if (low[v] === order[v]) {
        const component: number[] = [];
        for (let w = stack.pop() as number; ; w = stack.pop() as number) {
          onStack[w] = 0;
          component.push(w);
          if (w === v) break;
        }
        components.push(component.sort((a, b) => a - b));
      }
    }
  }
  return components;
}

/** Questions about one node: is each target one of `needs`, or upstream of one of them (transitively)? */
export interface UpstreamQuery {
  needs: readonly string[];
  targets: readonly string[];
}

// Targets per pass: the bit sets of one pass take components x CHUNK / 8 bytes.
const CHUNK = 2048;

/**
 * The answers to each query, target by target. Targets get one bit each; every component's set of
 * reachable targets is the union of its needs' sets, built upstream first, CHUNK targets per pass to
 * bound memory. A query's needs are merged once per pass, so a node with many needs costs its needs once.
 */
export function upstreamAnswers(nodes: readonly PlanNode[], queries: readonly UpstreamQuery[]): boolean[][] {
  const answers = queries.map((q) => q.targets.map(() => false));
  const index = new Map<string, number>();
  nodes.forEach((node, i) => index.has(node.id) || index.set(node.id, i));
  const targets = [...new Set(queries.flatMap((q) => q.targets).filter((t) => index.has(t)))];
  if (targets.length === 0) return answers;
  const components = stronglyConnected(nodes);
  const componentOf = new Int32Array(nodes.length);
  components.forEach((members, c) => members.forEach((i) => (componentOf[i] = c)));
  const neededBy = components.map((members, c) => {
    const out = new Set<number>();
    for (const i of members) {
      for (const id of (nodes[i] as PlanNode).needs) {
        const j = index.get(id);
        if (j !== undefined && componentOf[j] !== c) out.add(componentOf[j] as number);
      }
    }
    return [...out];
  });
  for (let start = 0; start < targets.length; start += CHUNK) {
    const chunk = targets.slice(start, start + CHUNK);
    const bit = new Map(chunk.map((t, k) => [t, k]));
    const words = Math.ceil(chunk.length / 32);
    const reach = new Uint32Array(components.length * words);
    components.forEach((members, c) => {
      const base = c * words;
      for (const i of members) {
        const k = bit.get((nodes[i] as PlanNode).id);
        if (k !== undefined) reach[base + (k >>> 5)] = (reach[base + (k >>> 5)] as number) | (1 << (k & 31));
      }
      for (const d of neededBy[c] as number[]) {
        for (let w = 0; w < words; w++) reach[base + w] = (reach[base + w] as number) | (reach[d * words + w] as number);
      }
    });
    const mask = new Uint32Array(words);
    queries.forEach((q, n) => {
      mask.fill(0);
      for (const c of new Set(q.needs.map((id) => index.get(id)).filter((j): j is number => j !== undefined).map((j) => componentOf[j] as number))) {
        for (let w = 0; w < words; w++) mask[w] = (mask[w] as number) | (reach[c * words + w] as number);
      }
      q.targets.forEach((t, m) => {
        const k = bit.get(t);
        if (k !== undefined && ((mask[k >>> 5] as number) & (1 << (k & 31))) !== 0) (answers[n] as boolean[])[m] = true;
      });
    });
  }
  return answers;
}
