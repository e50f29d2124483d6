import type { Catalog } from './catalog.js';
import { checkConfigs } from './check-config.js';
import { checkDatasets } from './check-datasets.js';
import { checkGraph, draftGraph } from './check-graph.js';
import { checkTemplates } from './check-templates.js';
import { readDraft } from './draft.js';
import type { ValidationIssue } from './issue.js';
import { formatPath } from './path.js';
import { pipelineSpecSchema, type PipelineSpec } from './spec.js';
import { parseReadable } from './zod-issues.js';

export type { ValidationIssue } from './issue.js';
export { formatPath } from './path.js';
export { parsePipelineText } from './parse-text.js';

export type ValidationResult = { ok: true; spec: PipelineSpec } | { ok: false; errors: ValidationIssue[] };

/**
 * Checks a raw spec against the catalog and reports every problem at once, each with its path. On success the
 * spec is normalised (durations in ms, defaults filled in); config values stay as written, templates and secret
 * refs included, because they are resolved only at run time.
 */
export function validatePipeline(input: unknown, catalog: Catalog): ValidationResult {
  const parsed = parseReadable(pipelineSpecSchema, input);
  const draft = readDraft(input);
  const graph = draftGraph(draft);
  const errors = byNode(dedupe([
    ...(parsed.success ? [] : parsed.issues.map((i) => ({ path: formatPath(i.segments), message: i.message }))),
    ...checkGraph(draft, graph),
    ...checkConfigs(draft, catalog),
    ...checkTemplates(draft, graph),
    ...checkDatasets(draft, graph, catalog),
  ]));
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, spec: parsed.data };
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\n${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// Spec-level problems first, then each node's problems together, in spec order.
function byNode(issues: ValidationIssue[]): ValidationIssue[] {
  const nodeIndex = (i: ValidationIssue): number => Number(/^nodes\[(\d+)\]/.exec(i.path)?.[1] ?? -1);
  return [...issues].sort((a, b) => nodeIndex(a) - nodeIndex(b));
}
