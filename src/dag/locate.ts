// Where an error path (`nodes[1].config.table`, as the validator and the API's 422s name it) is in
// a spec's YAML or JSON text: character offsets an editor can underline. Pure and browser-safe
// (the console's editor uses it), like path.ts whose format it reads.
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

export interface TextSpan {
  /** Offsets into the text, `from` inclusive, `to` exclusive. */
  from: number;
  to: number;
  /** 1-based line and column of `from`. */
  line: number;
  col: number;
  /** False when only an ancestor of the path was found (the node or key it names is missing). */
  exact: boolean;
}

const SEGMENT = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;

/** `nodes[2].config["order id"]` -> `['nodes', 2, 'config', 'order id']`; null when it is not such a path. */
export function parsePath(path: string): (string | number)[] | null {
  const segments: (string | number)[] = [];
  let rest = path;
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) return null;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else {
      try {
        segments.push(JSON.parse(m[3]!) as string);
      } catch {
        return null;
      }
    }
    rest = rest.slice(m[0].length);
  }
  return segments;
}

/**
 * The span of what `path` names in `text`: a key for a map entry (so a wrong value and a missing
 * one point at the same place), an item for a list entry. Falls back to the deepest ancestor found
 * (`exact: false`); null when the text does not parse or the path is not one.
 */
export function locatePath(text: string, path: string): TextSpan | null {
  const segments = parsePath(path);
  if (!segments) return null;
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: false, keepSourceTokens: false });
  } catch {
    return null;
  }
  if (doc.errors.length > 0 || !doc.contents) return null;
  let node: unknown = doc.contents;
  let span: [number, number] | undefined = range(doc.contents);
  let found = 0;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      span = range(pair.key as YamlNode) ?? span;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
      span = range(node as YamlNode) ?? span;
    } else break;
    found++;
  }
  if (!span) return null;
  const { line, col } = lineCol(text, span[0]);
  return { from: span[0], to: Math.max(span[1], span[0] + 1), line, col, exact: found === segments.length };
}

function range(node: YamlNode | null | undefined): [number, number] | undefined {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}
