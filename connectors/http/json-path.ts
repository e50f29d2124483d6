// Dotted paths into parsed JSON (`data.items`, `meta.next`, `results.0`).

/** The value at `path` in `doc`, or undefined when a step is missing. */
export function valueAt(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const step of path.split('.')) {
    if (Array.isArray(v) && /^\d+$/.test(step)) v = v[Number(step)];
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) v = (v as Record<string, unknown>)[step];
    else return undefined;
  }
  return v;
}

/** A short description of a JSON value for error messages, without its contents. */
export function describeJson(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', ...' : ''}`;
  }
  return `a ${typeof v}`;
}
