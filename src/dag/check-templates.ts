import type { DraftGraph } from './check-graph.js';
import type { Draft, DraftNode } from './draft.js';
import type { ValidationIssue } from './issue.js';
import { formatPath } from './path.js';
import { upstreamClosure } from './plan.js';
import { didYouMean } from './suggest.js';
import { templateRefs } from './template.js';

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const RUN_FIELDS = ['id', 'pipeline'];

/** Every `{{ }}` in a node's config and `when` must name a declared param, a run field, or an upstream node's outputs. */
export function checkTemplates(draft: Draft, graph: DraftGraph): ValidationIssue[] {
  const closures = new Map<string, Set<string>>();
  const closureOf = (id: string): Set<string> => {
    let closure = closures.get(id);
    if (closure === undefined) closures.set(id, (closure = upstreamClosure(graph.nodes, id)));
    return closure;
  };
  return draft.nodes.flatMap((node) => {
    const refs = [
      ...templateRefs(node.config ?? {}, formatPath(['nodes', node.index, 'config'])),
      ...(node.when === undefined ? [] : templateRefs(node.when, formatPath(['nodes', node.index, 'when']))),
    ];
    if (refs.length === 0) return [];
    const isUpstream = (id: string): boolean => upstreamOf(node, graph, closureOf, id);
    return refs.flatMap(({ path, ref }) => {
      const problem = refProblem(ref, node, isUpstream, draft, graph);
      return problem === null ? [] : [{ path, message: `{{ ${ref.join('.')} }}: ${problem}` }];
    });
  });
}

function refProblem(
  ref: string[],
  node: DraftNode,
  isUpstream: (id: string) => boolean,
  draft: Draft,
  graph: DraftGraph,
): string | null {
  if (!ref.every((s) => SEGMENT.test(s))) {
    return 'not a plain path; templates are lookups like params.name or nodes.<id>.outputs.<field>, with no expressions';
  }
  const [root, name, ...rest] = ref as [string, ...string[]];
  switch (root) {
    case 'params': {
      if (name === undefined || rest.length > 0) return 'expected params.<name>';
      if (draft.params === null || draft.params.has(name)) return null;
      const declared = draft.params.size === 0 ? 'no params are declared' : `declared params: ${[...draft.params].join(', ')}`;
      return `unknown param "${name}"${didYouMean(name, draft.params)}; ${declared}`;
    }
    case 'run':
      return name !== undefined && rest.length === 0 && RUN_FIELDS.includes(name) ? null : 'expected run.id or run.pipeline';
    case 'nodes': {
      if (name === undefined || rest[0] !== 'outputs' || rest.length < 2) return 'expected nodes.<id>.outputs.<field>';
      if (name === node.id) return 'a node cannot read its own outputs';
      if (!graph.ids.has(name)) return `unknown node "${name}"${didYouMean(name, graph.ids.keys())}`;
      if (isUpstream(name)) return null;
      return `"${name}" is not upstream of ${node.id === undefined ? 'this node' : `"${node.id}"`}; add it to needs (directly or through another node)`;
    }
    default:
      return `unknown reference "${root}"; templates can use params.<name>, nodes.<id>.outputs.<field>, run.id and run.pipeline`;
  }
}

// From the node's own needs rather than its id, so a node with a duplicate id is judged by what it declares.
// Direct needs are checked first: they are what templates usually read, and cost no closure.
function upstreamOf(node: DraftNode, graph: DraftGraph, closureOf: (id: string) => Set<string>, target: string): boolean {
  const needs = node.needs.map((n) => n.id).filter((id) => id !== node.id && graph.ids.has(id));
  return needs.includes(target) || needs.some((id) => closureOf(id).has(target));
}
