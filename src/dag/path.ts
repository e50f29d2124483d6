// No zod here: template.ts uses these paths inside the workflow sandbox.

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends one segment to a path in the `nodes[2].config.table` style. */
export function appendPath(base: string, segment: string | number): string {
  if (typeof segment === 'number') return `${base}[${segment}]`;
  if (!IDENTIFIER.test(segment)) return `${base}[${JSON.stringify(segment)}]`;
  return base === '' ? segment : `${base}.${segment}`;
}

/** `['nodes', 2, 'config', 'table']` -> `nodes[2].config.table`; keys that are not identifiers are quoted: `rename["order id"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  return segments.reduce<string>((path, segment) => appendPath(path, segment), '');
}
