// A lenient reading of a raw spec for the semantic checks (graph, types, templates, datasets).
import { MAX_NODE_ID_LENGTH, MAX_NODE_TYPE_LENGTH, MAX_NODES, MAX_SHORT_TEXT_LENGTH } from './limits.js';
import { formatPath } from './path.js';
import { SINGLE_TEMPLATE_PATTERN } from './spec.js';

/** A need as written, with the path to report problems at. */
export interface DraftNeed {
  id: string;
  path: string;
}

/** What the semantic checks can read from one node even when the spec has shape errors. */
export interface DraftNode {
  index: number;
  id: string | undefined;
  type: string | undefined;
  needs: DraftNeed[];
  /** Undefined when `config` is present but not an object (a shape error already says so). */
  config: Record<string, unknown> | undefined;
  when: string | undefined;
  /** `forEach` when it is a template (a list of items holds no reference); `mapped` whether forEach is set at all. */
  forEach: string | undefined;
  mapped: boolean;
}

export interface Draft {
  nodes: DraftNode[];
  /** Declared param names; null when `params` is malformed, so param references are not checked. */
  params: ReadonlySet<string> | null;
}

/**
 * A lenient reading of a raw spec, so graph, type, template and dataset problems are reported alongside shape
 * errors instead of only after those are fixed. Anything of the wrong type, or longer than its limit, is left
 * out here (the shape errors say so), and so are nodes and needs past MAX_NODES: the checks stay bounded.
 */
export function readDraft(input: unknown): Draft {
  const spec = isRecord(input) ? input : {};
  const nodes = Array.isArray(spec.nodes) ? spec.nodes : [];
  return {
    nodes: nodes.slice(0, MAX_NODES).map((raw: unknown, index) => readNode(isRecord(raw) ? raw : {}, index)),
    params: spec.params === undefined ? new Set() : isRecord(spec.params) ? new Set(Object.keys(spec.params)) : null,
  };
}

function readNode(raw: Record<string, unknown>, index: number): DraftNode {
  const needs: DraftNeed[] = [];
  const id = stringUpTo(raw.needs, MAX_NODE_ID_LENGTH);
  if (id !== undefined) needs.push({ id, path: formatPath(['nodes', index, 'needs']) });
  if (Array.isArray(raw.needs)) {
    raw.needs.slice(0, MAX_NODES).forEach((need: unknown, j) => {
      const id = stringUpTo(need, MAX_NODE_ID_LENGTH);
      if (id !== undefined) needs.push({ id, path: formatPath(['nodes', index, 'needs', j]) });
    });
  }
  return {
    index,
    id: stringUpTo(raw.id, MAX_NODE_ID_LENGTH),
    type: stringUpTo(raw.type, MAX_NODE_TYPE_LENGTH),
    needs,
    config: raw.config === undefined ? {} : isRecord(raw.config) ? raw.config : undefined,
    when: stringUpTo(raw.when, MAX_SHORT_TEXT_LENGTH),
    // A forEach that is not one template is a shape error; its references are not looked into.
    forEach: typeof raw.forEach === 'string' && SINGLE_TEMPLATE_PATTERN.test(raw.forEach) ? stringUpTo(raw.forEach, MAX_SHORT_TEXT_LENGTH) : undefined,
    mapped: raw.forEach !== undefined,
  };
}

function stringUpTo(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.length <= max ? v : undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
