import { parseDocument } from 'yaml';
import type { ValidationIssue } from './issue.js';

export type ParseTextResult = { ok: true; value: unknown } | { ok: false; errors: ValidationIssue[] };

/** Parses a spec file's text (YAML by default, a superset of JSON); syntax errors carry `line:col`. */
export function parsePipelineText(text: string, format: 'json' | 'yaml' = 'yaml'): ParseTextResult {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return format === 'json' ? parseJson(source) : parseYaml(source);
}

function parseJson(text: string): ParseTextResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const message = (err as Error).message;
    // V8 reports an offset; people need a line and column.
    const offset = /at position (\d+)/.exec(message)?.[1];
    const where = offset === undefined ? '' : `${lineCol(text, Number(offset))}: `;
    return { ok: false, errors: [{ path: '', message: `${where}invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}` }] };
  }
}

function parseYaml(text: string): ParseTextResult {
  // uniqueKeys: a key given twice is almost always a mistake, and YAML would otherwise keep the last silently.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({ path: '', message: `${lineCol(text, e.pos[0])}: ${e.message.split('\n')[0] ?? ''}` })),
    };
  }
  try {
    // A bounded alias count keeps a "billion laughs" document from exhausting memory.
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: `invalid YAML: ${(err as Error).message}` }] };
  }
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${line}:${col}`;
}
