// Bundled into the deterministic workflow sandbox: no zod and no I/O here (type imports only).
import { appendPath } from './path.js';
import { isSecretRef } from './secret.js';

/** What `{{ }}` paths can read: run params, outputs of finished nodes, the run itself, and in a mapped node's instance its item. */
export interface TemplateContext {
  params: Record<string, unknown>;
  nodes: Record<string, { outputs: Record<string, unknown> | null }>;
  /** `scheduledAt`: the logical time of the run (ISO 8601): the time its schedule or backfill started it for, else when it started. */
  run: { id: string; pipeline: string; scheduledAt: string };
  /** In one instance of a mapped node (`forEach`): its item and the item's index in the list. */
  mapped?: { item: unknown; index: number };
}

/** A template that cannot be resolved; `path` locates the string that holds it (`config.params[0]`). */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    readonly path: string,
    readonly template: string,
    reason: string,
  ) {
    super(`${template}: ${reason}`);
  }
}

// No braces inside, so `{{ a }} and {{ b }}` is two templates and JSON-ish text is left alone. The spaces
// around the path are trimmed in code: `\s*([^{}]*?)\s*` would backtrack cubically on a long `{{    `.
const TEMPLATE = /\{\{([^{}]*)\}\}/g;
const SINGLE_TEMPLATE = /^\{\{([^{}]*)\}\}$/;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** The path inside a string that is exactly one template (`"{{ params.since }}"`), else null. */
export function singleTemplate(s: string): string | null {
  return SINGLE_TEMPLATE.exec(s)?.[1]?.trim() ?? null;
}

/** Every `{{ }}` reference in a value, with the path of the string holding it; `ref` is the path split on '.'. */
export function templateRefs(value: unknown, basePath = ''): { path: string; ref: string[] }[] {
  const found: { path: string; ref: string[] }[] = [];
  walk(value, basePath, (s, path) => {
    for (const match of s.matchAll(TEMPLATE)) found.push({ path, ref: (match[1] ?? '').trim().split('.') });
    return s;
  });
  return found;
}

/**
 * A copy of `value` with every template resolved. A string that is exactly one template becomes the raw
 * value (a number stays a number); templates inside text are interpolated. Secret refs are left as they are.
 */
export function resolveTemplates(value: unknown, ctx: TemplateContext, basePath = ''): unknown {
  return walk(value, basePath, (s, path) => {
    const single = singleTemplate(s);
    if (single !== null) return lookupAt(single, ctx, path);
    return s.replace(TEMPLATE, (_, expr: string) => interpolate(lookupAt(expr.trim(), ctx, path)));
  });
}

/** Whether a `when` condition holds: false for false, 'false', '', 0, '0', null, undefined and 'no'. */
export function evaluateWhen(expr: string, ctx: TemplateContext): boolean {
  const v = resolveTemplates(expr, ctx, 'when');
  if (typeof v === 'string') return !['false', '', '0', 'no'].includes(v.trim().toLowerCase());
  return !(v === false || v === 0 || v === null || v === undefined);
}

function walk(value: unknown, path: string, onString: (s: string, path: string) => unknown): unknown {
  if (typeof value === 'string') return onString(value, path);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, appendPath(path, i), onString));
  if (typeof value === 'object' && value !== null && !isSecretRef(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, appendPath(path, k), onString)]));
  }
  return value;
}

// JSON for everything but strings, so objects and null read the same as in the node's outputs.
function interpolate(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function lookupAt(expr: string, ctx: TemplateContext, path: string): unknown {
  try {
    return lookup(expr, ctx);
  } catch (err) {
    throw new TemplateError(path, `{{ ${expr} }}`, (err as Error).message);
  }
}

function lookup(expr: string, ctx: TemplateContext): unknown {
  const ref = expr.split('.');
  if (!ref.every((s) => SEGMENT.test(s))) {
    throw new Error('not a plain path; templates are lookups like params.name or nodes.<id>.outputs.<field>');
  }
  const [root, first, ...rest] = ref as [string, ...string[]];
  if (root === 'params') {
    if (first === undefined || !has(ctx.params, first)) throw new Error(`no value for param "${first ?? ''}"`);
    return walkFields(ctx.params[first], rest, `params.${first}`);
  }
  if (root === 'run') {
    if (first === undefined || !has(ctx.run, first)) throw new Error('expected run.id, run.pipeline or run.scheduledAt');
    return walkFields(ctx.run[first as keyof TemplateContext['run']], rest, `run.${first}`);
  }
  if (root === 'nodes') {
    const [outputsKey, ...fields] = rest;
    if (first === undefined || outputsKey !== 'outputs') throw new Error('expected nodes.<id>.outputs.<field>');
    if (!has(ctx.nodes, first)) throw new Error(`no node "${first}" in this run`);
    const outputs = ctx.nodes[first]?.outputs;
    if (outputs === null || outputs === undefined) throw new Error(`nodes.${first} has no outputs (it has not succeeded)`);
    return walkFields(outputs, fields, `nodes.${first}.outputs`);
  }
  if (root === 'item' || root === 'index') {
    if (ctx.mapped === undefined) throw new Error(`${root} is defined only in the config of a node with forEach`);
    if (root === 'index') {
      if (first !== undefined) throw new Error('index has no fields');
      return ctx.mapped.index;
    }
    return walkFields(ctx.mapped.item, first === undefined ? [] : [first, ...rest], 'item');
  }
  throw new Error(`unknown reference "${root}"; use params.<name>, nodes.<id>.outputs.<field>, run.id, run.pipeline or run.scheduledAt`);
}

function walkFields(value: unknown, fields: string[], prefix: string): unknown {
  let current = value;
  let at = prefix;
  for (const field of fields) {
    if (typeof current !== 'object' || current === null || !has(current, field)) {
      throw new Error(`${at} has no field "${field}"`);
    }
    current = (current as Record<string, unknown>)[field];
    at = `${at}.${field}`;
  }
  return current;
}

// Own properties only, so a path can never reach `constructor`, `__proto__` or other prototype members.
function has(obj: object, key: string): boolean {
  return Object.hasOwn(obj, key) && (obj as Record<string, unknown>)[key] !== undefined;
}
