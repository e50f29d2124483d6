// Spec validation: the guard first (limits, text, prototype keys), then shape (zod), graph, types and
// config, templates and datasets, all reported at once. It is written as steps of bounded work (a slice
// of nodes at a time), so the API can hand the event loop back between steps (validatePipelineAsync)
// while the CLI runs them straight through (validatePipeline); both give the same result.
import { z } from 'zod';
import type { Catalog } from './catalog.js';
import { checkConfigs } from './check-config.js';
import { checkDatasets } from './check-datasets.js';
import { checkGraph, draftGraph } from './check-graph.js';
import { checkTemplateRefs, collectTemplateRefs, type NodeTemplateRefs } from './check-templates.js';
import { isRecord, readDraft } from './draft.js';
import { clipMessage } from './echo.js';
import { capIssues, guardValue } from './guard.js';
import type { ValidationIssue } from './issue.js';
import { MAX_ISSUES, MAX_NODES } from './limits.js';
import { formatPath } from './path.js';
import { nodeSpecSchema, pipelineSpecSchema, type NodeSpec, type PipelineSpec } from './spec.js';
import { suggestionBudget, withSuggestionBudget } from './suggest.js';
import { parseReadable } from './zod-issues.js';

export type { ValidationIssue } from './issue.js';
export { formatPath } from './path.js';
export { parsePipelineText } from './parse-text.js';

export type ValidationResult = { ok: true; spec: PipelineSpec } | { ok: false; errors: ValidationIssue[] };

/** Nodes per step: a step costs a few milliseconds however large the spec. */
const NODES_PER_STEP = 200;

// The spec without its nodes, which are parsed a slice at a time with nodeSpecSchema.
const specHeadSchema = pipelineSpecSchema.extend({ nodes: z.array(z.unknown()).min(1).max(MAX_NODES) });

/**
 * Checks a raw spec against the catalog and reports every problem at once, each with its path. On success the
 * spec is normalised (durations in ms, defaults filled in); config values stay as written, templates and secret
 * refs included, because they are resolved only at run time.
 */
export function validatePipeline(input: unknown, catalog: Catalog): ValidationResult {
  const budget = suggestionBudget();
  const steps = validationSteps(input, catalog);
  for (;;) {
    const step = withSuggestionBudget(budget, () => steps.next());
    if (step.done) return step.value;
  }
}

/** The same as validatePipeline, giving the event loop back whenever a step has run for `sliceMs`. */
export async function validatePipelineAsync(input: unknown, catalog: Catalog, sliceMs = 10): Promise<ValidationResult> {
  const budget = suggestionBudget();
  const steps = validationSteps(input, catalog);
  let since = performance.now();
  for (;;) {
    const step = withSuggestionBudget(budget, () => steps.next());
    if (step.done) return step.value;
    if (performance.now() - since >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
}

function* validationSteps(input: unknown, catalog: Catalog): Generator<void, ValidationResult, void> {
  // Past the guard, every walk below is bounded in depth and every quoted key in length.
  const guarded = guardValue(input);
  if (guarded.length > 0) return { ok: false, errors: guarded };
  yield;

  const shape: ValidationIssue[] = [];
  const head = parseReadable(specHeadSchema, input);
  if (!head.success) shape.push(...head.issues.map((i) => ({ path: formatPath(i.segments), message: i.message })));
  const draft = readDraft(input);
  const graph = draftGraph(draft);
  const graphIssues = checkGraph(draft, graph);
  yield;

  // Nodes are parsed even when the rest of the spec is wrong, so their problems are reported too. Once
  // MAX_ISSUES problems are known before a slice, nothing found from there on could be listed: the
  // remaining nodes are not checked (a spec of 10,000 broken nodes costs what its first slice does).
  const rawNodes = isRecord(input) && Array.isArray(input.nodes) ? (input.nodes as unknown[]).slice(0, MAX_NODES) : [];
  const known = [...shape, ...graphIssues].map(nodeIndex).sort((a, b) => a - b);
  let knownBefore = 0;
  let found = 0;
  const nodes: NodeSpec[] = [];
  const configIssues: ValidationIssue[] = [];
  const refs: NodeTemplateRefs[] = [];
  const datasetIssues: ValidationIssue[] = [];
  for (let start = 0; start < rawNodes.length; start += NODES_PER_STEP) {
    while (knownBefore < known.length && (known[knownBefore] as number) < start) knownBefore++;
    if (knownBefore + found >= MAX_ISSUES) break;
    const before = shape.length + configIssues.length + datasetIssues.length;
    rawNodes.slice(start, start + NODES_PER_STEP).forEach((raw, k) => {
      const parsed = parseReadable(nodeSpecSchema, raw);
      if (parsed.success) nodes.push(parsed.data);
      else shape.push(...parsed.issues.map((i) => ({ path: formatPath(['nodes', start + k, ...i.segments]), message: i.message })));
    });
    const part = { ...draft, nodes: draft.nodes.slice(start, start + NODES_PER_STEP) };
    configIssues.push(...checkConfigs(part, catalog));
    refs.push(...collectTemplateRefs(part.nodes));
    datasetIssues.push(...checkDatasets(part, graph, catalog));
    found += shape.length + configIssues.length + datasetIssues.length - before;
    yield;
  }
  const templateIssues = checkTemplateRefs(draft, graph, refs);

  const errors = byNode(dedupe([...shape, ...graphIssues, ...configIssues, ...templateIssues, ...datasetIssues]));
  if (errors.length > 0 || !head.success || nodes.length < rawNodes.length) {
    return { ok: false, errors: capIssues(errors).map((e) => ({ path: e.path, message: clipMessage(e.message) })) };
  }
  return { ok: true, spec: { ...head.data, nodes } };
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

/** The index of the node a problem is about; -1 for the spec as a whole. */
function nodeIndex(issue: ValidationIssue): number {
  return Number(/^nodes\[(\d+)\]/.exec(issue.path)?.[1] ?? -1);
}

// Spec-level problems first, then each node's problems together, in spec order (a stable sort).
function byNode(issues: ValidationIssue[]): ValidationIssue[] {
  return issues
    .map((issue, order) => ({ issue, order, node: nodeIndex(issue) }))
    .sort((a, b) => a.node - b.node || a.order - b.order)
    .map((e) => e.issue);
}
