// The spec's graph: duplicate ids, needs that name nothing (or the node itself), and cycles, each
// found in time linear in nodes plus edges.
import { stronglyConnected } from './components.js';
import type { Draft, DraftNode } from './draft.js';
import type { ValidationIssue } from './issue.js';
import { MAX_CYCLES, MAX_ISSUES } from './limits.js';
import { formatPath } from './path.js';
import { findCycle, type PlanNode } from './plan.js';
import { didYouMean } from './suggest.js';

/** The DAG as far as it can be read: the first node of each id, with needs that name other known nodes. */
export interface DraftGraph {
  /** Node id -> index of its first occurrence. */
  ids: ReadonlyMap<string, number>;
  nodes: PlanNode[];
  byIndex: ReadonlyMap<number, DraftNode>;
}

export function draftGraph(draft: Draft): DraftGraph {
  const ids = new Map<string, number>();
  for (const node of draft.nodes) if (node.id !== undefined && !ids.has(node.id)) ids.set(node.id, node.index);
  const nodes: PlanNode[] = [];
  for (const node of draft.nodes) {
    if (node.id === undefined || ids.get(node.id) !== node.index) continue;
    const needs = new Set(node.needs.map((n) => n.id).filter((id) => id !== node.id && ids.has(id)));
    nodes.push({ id: node.id, needs: [...needs] });
  }
  return { ids, nodes, byIndex: new Map(draft.nodes.map((n) => [n.index, n])) };
}

/** Duplicate ids, needs naming unknown nodes or the node itself, and every independent cycle. */
export function checkGraph(draft: Draft, graph: DraftGraph): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  // Node by node, so once more problems are known than can be listed, later nodes' could not be.
  for (const node of draft.nodes) {
    if (issues.length > MAX_ISSUES) break;
    const first = node.id === undefined ? undefined : graph.ids.get(node.id);
    if (first !== undefined && first !== node.index) {
      issues.push({
        path: formatPath(['nodes', node.index, 'id']),
        message: `duplicate id "${node.id}" (also ${formatPath(['nodes', first])})`,
      });
    }
    const seen = new Set<string>();
    for (const need of node.needs) {
      if (need.id === node.id) issues.push({ path: need.path, message: `a node cannot need itself ("${need.id}")` });
      else if (!graph.ids.has(need.id)) {
        issues.push({ path: need.path, message: `unknown node "${need.id}"${didYouMean(need.id, graph.ids.keys())}` });
      } else if (seen.has(need.id)) issues.push({ path: need.path, message: `"${need.id}" is listed twice` });
      seen.add(need.id);
    }
  }
  return [...issues, ...checkCycles(graph)];
}

// One issue per cycle: after reporting one, its nodes are set aside and the rest of its strongly
// connected part is searched again. Parts are searched on their own, so many small cycles cost one pass
// over the graph; a part is searched again at most MAX_CYCLES times in all, so a large tangled part costs
// a bounded number of passes; and no more cycles are looked for than could be listed (MAX_ISSUES, and
// one more, so the list says that more were left out).
function checkCycles(graph: DraftGraph): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const work: PlanNode[][] = [graph.nodes];
  let searches = 0;
  while (work.length > 0 && issues.length <= MAX_ISSUES) {
    const nodes = work.pop() as PlanNode[];
    for (const component of stronglyConnected(nodes)) {
      if (component.length < 2 || issues.length > MAX_ISSUES) continue;
      const members = new Set(component.map((i) => (nodes[i] as PlanNode).id));
      const part = component.map((i) => {
        const n = nodes[i] as PlanNode;
        return { id: n.id, needs: n.needs.filter((id) => members.has(id)) };
      });
      const cycle = findCycle(part);
      if (cycle === null) continue;
      const first = graph.ids.get(cycle[0] as string) ?? 0;
      issues.push({ path: formatPath(['nodes', first, 'needs']), message: `cycle ${cycle.join(' -> ')}` });
      const onCycle = new Set(cycle);
      const rest = part.filter((n) => !onCycle.has(n.id)).map((n) => ({ id: n.id, needs: n.needs.filter((id) => !onCycle.has(id)) }));
      if (rest.length > 1 && searches++ < MAX_CYCLES) work.push(rest);
    }
  }
  return issues;
}
