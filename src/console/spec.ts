// What the console reads from a stored pipeline spec (the API types it as an open record): its
// nodes and edges for the DAG, and its declared params for the run form. Defensive: a field of an
// unexpected shape is skipped, never trusted.
export interface SpecNode {
  id: string;
  type: string;
  needs: string[];
  site: string | null;
}

export type ParamType = 'string' | 'number' | 'boolean' | 'list';

export interface SpecParam {
  name: string;
  type: ParamType;
  default?: unknown;
  description?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function specNodes(spec: Record<string, unknown>): SpecNode[] {
  const nodes = Array.isArray(spec.nodes) ? spec.nodes : [];
  return nodes.filter(isRecord).flatMap((n) =>
    typeof n.id === 'string'
      ? [{ id: n.id, type: typeof n.type === 'string' ? n.type : '?', needs: Array.isArray(n.needs) ? n.needs.filter((x): x is string => typeof x === 'string') : [], site: typeof n.site === 'string' ? n.site : null }]
      : [],
  );
}

export function specParams(spec: Record<string, unknown>): SpecParam[] {
  if (!isRecord(spec.params)) return [];
  return Object.entries(spec.params).flatMap(([name, p]) => {
    if (!isRecord(p) || !['string', 'number', 'boolean', 'list'].includes(String(p.type))) return [];
    return [{ name, type: p.type as ParamType, ...('default' in p ? { default: p.default } : {}), ...(typeof p.description === 'string' ? { description: p.description } : {}) }];
  });
}

export function specDescription(spec: Record<string, unknown>): string | null {
  return typeof spec.description === 'string' ? spec.description : null;
}
