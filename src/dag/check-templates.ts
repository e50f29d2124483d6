// Templates must name something that exists when they are resolved: a declared param, a run field, or
// the outputs of a node upstream. Upstream-ness is answered for every template of the spec at once
// (components.ts), so a spec of many nodes reading far-away outputs costs nodes plus edges, not their product.
import type { DraftGraph } from './check-graph.js';
import { upstreamAnswers } from './components.js';
import type { Draft, DraftNode } from './draft.js';
import { clip } from './echo.js';
import type { ValidationIssue } from './issue.js';
import { formatPath } from './path.js';
import { didYouMean } from './suggest.js';
import { templateRefs } from './template.js';

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const RUN_FIELDS = ['id', 'pipeline', 'scheduledAt'];

/** The `{{ }}` references of one node, with the path of the string holding each. */
export interface NodeTemplateRefs {
  node: DraftNode;
  refs: { path: string; ref: string[] }[];
}

/** Every `{{ }}` in the nodes' config and `when` (a pass over their strings; the checking comes after). */
export function collectTemplateRefs(nodes: readonly DraftNode[]): NodeTemplateRefs[] {
  return nodes
    .map((node) => ({
      node,
      refs: [
        ...templateRefs(node.config ?? {}, formatPath(['nodes', node.index, 'config'])),
        ...(node.when === undefined ? [] : templateRefs(node.when, formatPath(['nodes', node.index, 'when']))),
        ...(node.forEach === undefined ? [] : templateRefs(node.forEach, formatPath(['nodes', node.index, 'forEach']))),
      ],
    }))
    .filter((n) => n.refs.length > 0);
}

/** Every `{{ }}` in a node's config and `when` must name a declared param, a run field, or an upstream node's outputs. */
export function checkTemplates(draft: Draft, graph: DraftGraph): ValidationIssue[] {
  return checkTemplateRefs(draft, graph, collectTemplateRefs(draft.nodes));
}

/** The problems of the collected references. */
export function checkTemplateRefs(draft: Draft, graph: DraftGraph, collected: readonly NodeTemplateRefs[]): ValidationIssue[] {
  // From the node's own needs rather than its id, so a node with a duplicate id is judged by what it declares.
  const queries = collected.map(({ node, refs }) => {
    const needs = node.needs.map((n) => n.id).filter((id) => id !== node.id && graph.ids.has(id));
    const direct = new Set(needs);
    const targets = refs
      .map(({ ref }) => (ref[0] === 'nodes' && ref[1] !== undefined ? ref[1] : ''))
      .filter((id) => id !== node.id && graph.ids.has(id) && !direct.has(id));
    return { needs, direct, targets };
  });
  const answers = upstreamAnswers(graph.nodes, queries);
  return collected.flatMap(({ node, refs }, n) => {
    const { direct, targets } = queries[n] as (typeof queries)[number];
    const upstream = new Set(targets.filter((_, m) => answers[n]?.[m] === true));
    const isUpstream = (id: string): boolean => direct.has(id) || upstream.has(id);
    return refs.flatMap(({ path, ref }) => {
      const problem = refProblem(ref, node, isUpstream, draft, graph, path.startsWith(formatPath(['nodes', node.index, 'config'])));
      return problem === null ? [] : [{ path, message: `{{ ${clip(ref.join('.'))} }}: ${problem}` }];
    });
  });
}

function refProblem(
  ref: string[],
  node: DraftNode,
  isUpstream: (id: string) => boolean,
  draft: Draft,
  graph: DraftGraph,
  inConfig: boolean,
): string | null {
  if (!ref.every((s) => SEGMENT.test(s))) {
    return 'not a plain path; templates are lookups like params.name or nodes.<id>.outputs.<field>, with no expressions';
  }
  const [root, name, ...rest] = ref as [string, ...string[]];
  switch (root) {
    case 'params': {
      if (name === undefined || rest.length > 0) return 'expected params.<name>';
      if (draft.params === null || draft.params.has(name)) return null;
      const declared = draft.params.size === 0 ? 'no params are declared' : `declared params: ${clip([...draft.params].join(', '))}`;
      return `unknown param "${clip(name)}"${didYouMean(name, draft.params)}; ${declared}`;
    }
    case 'run':
      return name !== undefined && rest.length === 0 && RUN_FIELDS.includes(name) ? null : 'expected run.id, run.pipeline or run.scheduledAt';
    case 'nodes': {
      if (name === undefined || rest[0] !== 'outputs' || rest.length < 2) return 'expected nodes.<id>.outputs.<field>';
      if (name === node.id) return 'a node cannot read its own outputs';
      if (!graph.ids.has(name)) return `unknown node "${clip(name)}"${didYouMean(name, graph.ids.keys())}`;
      if (isUpstream(name)) return null;
      return `"${name}" is not upstream of ${node.id === undefined ? 'this node' : `"${node.id}"`}; add it to needs (directly or through another node)`;
    }
    case 'item':
    case 'index':
      // Each instance of a mapped node resolves its config with its own item; when and forEach are read once for the node.
      if (!node.mapped) return `${root} is defined only in a node with forEach`;
      if (!inConfig) return `${root} can be used only in config (when and forEach are read once for the whole node)`;
      return root === 'index' && name !== undefined ? 'index has no fields' : null;
    default:
      return `unknown reference "${clip(root)}"; templates can use params.<name>, nodes.<id>.outputs.<field>, ${node.mapped ? 'run.id, run.pipeline, item and index' : 'run.id and run.pipeline'}`;
  }
}
