// Spec text to a value, JSON or YAML, with every cost bounded by the text's size: nesting is measured
// before a parser recurses into it, YAML duplicate keys are found with one set per map (the `yaml`
// package's own check compares every pair), and aliases are expanded here, counting the size and depth
// they expand to, so an anchor repeated by aliases cannot turn a small document into a huge value.
import { isAlias, isMap, isPair, isScalar, isSeq, Lexer, parseDocument, type Document } from 'yaml';
import { clip } from './echo.js';
import type { ValidationIssue } from './issue.js';
import { MAX_ISSUES, MAX_PARSE_DEPTH, MAX_YAML_EXPANDED_BYTES } from './limits.js';

export type ParseTextResult = { ok: true; value: unknown } | { ok: false; errors: ValidationIssue[] };

const TOO_DEEP = `nested deeper than ${MAX_PARSE_DEPTH} levels of objects and arrays`;

/** Parses a spec file's text (YAML by default, a superset of JSON); syntax errors carry `line:col`. */
export function parsePipelineText(text: string, format: 'json' | 'yaml' = 'yaml'): ParseTextResult {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = new Lines(source);
  try {
    return format === 'json' ? parseJson(source, lines) : parseYaml(source, lines);
  } catch (err) {
    // A parser that runs out of stack on a pathological document: still the document's problem.
    return failure(`could not parse the ${format === 'json' ? 'JSON' : 'YAML'} text: ${(err as Error).message}`);
  }
}

function failure(...messages: string[]): ParseTextResult {
  return { ok: false, errors: messages.slice(0, MAX_ISSUES).map((m) => ({ path: '', message: clip(m) })) };
}

function parseJson(text: string, lines: Lines): ParseTextResult {
  const deep = jsonTooDeep(text);
  if (deep >= 0) return failure(`${lines.at(deep)}: ${TOO_DEEP}`);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const message = (err as Error).message;
    // V8 reports an offset; people need a line and column.
    const offset = /at position (\d+)/.exec(message)?.[1];
    const where = offset === undefined ? '' : `${lines.at(Number(offset))}: `;
    return failure(`${where}invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
}

/** Offset of the first bracket opening a level past MAX_PARSE_DEPTH, or -1 (exact for valid JSON). */
function jsonTooDeep(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_PARSE_DEPTH) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return -1;
}

function parseYaml(text: string, lines: Lines): ParseTextResult {
  // The parser recurses into flow collections ([[[[...): their depth is read off the tokens first.
  const deep = yamlFlowTooDeep(text);
  if (deep >= 0) return failure(`${lines.at(deep)}: ${TOO_DEEP}`);
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) return failure(...doc.errors.map((e) => `${lines.at(e.pos[0])}: ${e.message.split('\n')[0] ?? ''}`));
  return yamlValue(doc, lines);
}

function yamlFlowTooDeep(text: string): number {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_PARSE_DEPTH) return offset;
    } else if ((token === ']' || token === '}') && depth > 0) depth--;
    offset += token.length;
  }
  return -1;
}

type YamlNode = NonNullable<Document['contents']>;

interface Built {
  value: unknown;
  /** About the size of the value as JSON, aliases expanded. */
  size: number;
  /** Levels of objects and arrays, aliases expanded. */
  depth: number;
}

/**
 * The document's value, built in one pass with its own stack: an alias is the value of its anchor (shared,
 * as `yaml` does), counted at its full size and depth wherever it appears; a key given twice in a map, a
 * key that is not a scalar and an alias inside its own anchor are errors.
 */
function yamlValue(doc: Document, lines: Lines): ParseTextResult {
  const root = doc.contents;
  if (root === null) return { ok: true, value: null };
  // Aliases name the latest anchor defined before them: read in document order.
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<YamlNode, YamlNode>();
  const stack: YamlNode[] = [root as YamlNode];
  while (stack.length > 0) {
    const node = stack.pop() as YamlNode;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return failure(`${lines.at(node.range?.[0] ?? 0)}: unknown alias *${clip(node.source, 40)}`);
      targets.set(node, target);
      continue;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    // Depth-first in document order: a node's children before its later siblings.
    const children = childrenOf(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as YamlNode);
  }
  return build(root as YamlNode, targets, lines);
}

function childrenOf(node: YamlNode): YamlNode[] {
  if (isMap(node)) return node.items.flatMap((pair) => [pair.key, pair.value].filter((n): n is YamlNode => isNode(n)));
  if (isSeq(node)) return node.items.filter((n): n is YamlNode => isNode(n));
  return [];
}

function isNode(n: unknown): boolean {
  return isScalar(n) || isMap(n) || isSeq(n) || isAlias(n);
}

function build(root: YamlNode, targets: Map<YamlNode, YamlNode>, lines: Lines): ParseTextResult {
  const built = new Map<YamlNode, Built>();
  const open = new Set<YamlNode>();
  const stack: { node: YamlNode; expanded: boolean }[] = [{ node: root, expanded: false }];
  const where = (node: YamlNode | null | undefined): string => lines.at(node?.range?.[0] ?? 0);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { node: YamlNode; expanded: boolean };
    const node = top.node;
    if (built.has(node)) {
      stack.pop();
      continue;
    }
    const children = isAlias(node) ? [targets.get(node) as YamlNode] : childrenOf(node);
    if (!top.expanded) {
      top.expanded = true;
      open.add(node);
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i] as YamlNode;
        if (open.has(child)) return failure(`${where(node)}: an alias refers to a node that contains it`);
        if (!built.has(child)) stack.push({ node: child, expanded: false });
      }
      continue;
    }
    stack.pop();
    open.delete(node);
    const result = combine(node, children, built);
    if ('error' in result) return failure(`${where(result.at)}: ${result.error}`);
    if (result.size > MAX_YAML_EXPANDED_BYTES) {
      return failure(`${where(node)}: the document expands (aliases included) to more than ${MAX_YAML_EXPANDED_BYTES} bytes`);
    }
    if (result.depth > MAX_PARSE_DEPTH) return failure(`${where(node)}: ${TOO_DEEP} (aliases included)`);
    built.set(node, result);
  }
  return { ok: true, value: (built.get(root) as Built).value };
}

function combine(node: YamlNode, children: YamlNode[], built: Map<YamlNode, Built>): Built | { error: string; at: YamlNode } {
  const of = (n: unknown): Built => built.get(n as YamlNode) ?? { value: null, size: 4, depth: 0 };
  if (isAlias(node)) return of(children[0]);
  if (isScalar(node)) {
    const v = node.value;
    return { value: v, size: (typeof v === 'string' ? v.length : String(v).length) + 2, depth: 0 };
  }
  if (isSeq(node)) {
    const items = node.items.map((item) => of(item));
    return {
      value: items.map((b) => b.value),
      size: items.reduce((sum, b) => sum + b.size + 1, 2),
      depth: 1 + items.reduce((max, b) => Math.max(max, b.depth), 0),
    };
  }
  if (isMap(node)) {
    const value: Record<string, unknown> = {};
    const seen = new Set<string>();
    let size = 2;
    let depth = 0;
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key;
      if (!isScalar(key)) return { error: 'keys must be plain scalars (text or numbers), not collections or aliases', at: isNode(key) ? (key as YamlNode) : node };
      const name = key.value === null || key.value === undefined ? '' : String(key.value);
      if (seen.has(name)) return { error: 'Map keys must be unique', at: key };
      seen.add(name);
      const item = of(pair.value);
      // Defined, not assigned, so a key named __proto__ stays an own key (the guard then refuses it).
      Object.defineProperty(value, name, { value: item.value, enumerable: true, writable: true, configurable: true });
      size += name.length + 4 + item.size;
      depth = Math.max(depth, item.depth);
    }
    return { value, size, depth: depth + 1 };
  }
  return { error: 'unsupported YAML node', at: node };
}

/** `line:col` of offsets, from the line starts found once. */
class Lines {
  private starts: number[] | null = null;

  constructor(private readonly text: string) {}

  at(offset: number): string {
    if (this.starts === null) {
      this.starts = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    }
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return `${lo + 1}:${offset - (starts[lo] as number) + 1}`;
  }
}
