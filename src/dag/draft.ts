import { formatPath } from './path.js';

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
}

export interface Draft {
  nodes: DraftNode[];
  /** Declared param names; null when `params` is malformed, so param references are not checked. */
  params: ReadonlySet<string> | null;
}

/**
 * A lenient reading of a raw spec, so graph, type, template and dataset problems are reported alongside shape
 * errors instead of only after those are fixed. Anything of the wrong type is left out here.
 */
export function readDraft(input: unknown): Draft {
  const spec = isRecord(input) ? input : {};
  const nodes = Array.isArray(spec.nodes) ? spec.nodes : [];
  return {
    nodes: nodes.map((raw: unknown, index) => readNode(isRecord(raw) ? raw : {}, index)),
    params: spec.params === undefined ? new Set() : isRecord(spec.params) ? new Set(Object.keys(spec.params)) : null,
  };
}

function readNode(raw: Record<string, unknown>, index: number): DraftNode {
  const needs: DraftNeed[] = [];
  if (typeof raw.needs === 'string') needs.push({ id: raw.needs, path: formatPath(['nodes', index, 'needs']) });
  if (Array.isArray(raw.needs)) {
    raw.needs.forEach((id: unknown, j) => {
      if (typeof id === 'string') needs.push({ id, path: formatPath(['nodes', index, 'needs', j]) });
    });
  }
  return {
    index,
    id: typeof raw.id === 'string' ? raw.id : undefined,
    type: typeof raw.type === 'string' ? raw.type : undefined,
    needs,
    config: raw.config === undefined ? {} : isRecord(raw.config) ? raw.config : undefined,
    when: typeof raw.when === 'string' ? raw.when : undefined,
  };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
