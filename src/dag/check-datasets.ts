import type { Catalog } from './catalog.js';
import type { DraftGraph } from './check-graph.js';
import type { Draft, DraftNode } from './draft.js';
import type { ValidationIssue } from './issue.js';
import { formatPath } from './path.js';

/** A node that reads a dataset has an upstream that produces one, and says which when there are several. */
export function checkDatasets(draft: Draft, graph: DraftGraph, catalog: Catalog): ValidationIssue[] {
  return draft.nodes.flatMap((node) => checkNode(node, graph, catalog));
}

function checkNode(node: DraftNode, graph: DraftGraph, catalog: Catalog): ValidationIssue[] {
  const def = node.type === undefined ? undefined : catalog.get(node.type);
  if (def === undefined || !def.consumesDataset) return [];
  const upstream = [...new Set(node.needs.map((n) => n.id))]
    .filter((id) => id !== node.id)
    .map((id) => graph.byIndex.get(graph.ids.get(id) ?? -1));
  const types = upstream.map((up) => (up?.type === undefined ? undefined : catalog.get(up.type)));
  // An upstream that is missing or of an unknown type is reported elsewhere; guessing about it would only add noise.
  if (types.some((t) => t === undefined)) return [];
  const producers = upstream.filter((_, i) => types[i]?.producesDataset).map((up) => up?.id as string);
  const input = node.config?.input;
  if (producers.length === 0) {
    const producing = [...catalog.values()].filter((d) => d.producesDataset).map((d) => d.type).sort();
    return [{
      path: formatPath(['nodes', node.index, 'needs']),
      message: `${def.type} reads a dataset, so it needs an upstream node that produces one (${producing.join(', ')})`,
    }];
  }
  const inputPath = formatPath(['nodes', node.index, 'config', 'input']);
  if (input === undefined) {
    if (producers.length === 1) return [];
    return [{ path: inputPath, message: `required when a node reads from several upstream datasets (${producers.join(', ')})` }];
  }
  // Not a string: the node type's config schema already says so.
  if (typeof input !== 'string' || producers.includes(input)) return [];
  return [{
    path: inputPath,
    message: `${JSON.stringify(input)} is not a direct upstream node that produces a dataset; expected one of ${producers.join(', ')}`,
  }];
}
