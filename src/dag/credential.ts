// Credential fields of connector configs. A connector's schema marks the fields that hold
// credentials (kit: `credential()`), and the validator walks each config alongside its schema:
// a literal credential is refused at registration, so no stored spec and no run input ever holds
// one; only `{ $secret: NAME }`, resolved on the worker that runs the node, may stand there.
// Pure: the registry is zod metadata, shared by the kit (which marks) and the validator (which reads).
import { z } from 'zod';
import { isRecord } from './draft.js';
import type { ValidationIssue } from './issue.js';
import { appendPath } from './path.js';
import { isSecretRef } from './secret.js';

/**
 * What a credential field accepts besides `{ $secret }`:
 * `never`: nothing else (tokens, passwords, secret keys);
 * `without-password`: a literal without a password in it (a connection URL);
 * `keys`: a record whose values under keys matching the pattern are credentials (auth headers).
 */
export type CredentialRule = { literal: 'never' } | { literal: 'without-password' } | { literal: 'allowed' } | { keys: RegExp };

export const credentialRegistry = z.registry<CredentialRule>();

/** Fields holding code (SQL, CEL): values must be bound (params), never spliced in by a `{{ }}` template. */
export type CodeKind = 'sql' | 'cel';
export const codeRegistry = z.registry<{ code: CodeKind }>();

const SECRET_HINT = 'keep credentials out of specs: set it in the environment of the worker that runs the node and write { $secret: NAME }';

/** Why `value` may not stand in a field with `rule`, or null when it may. */
function refusal(rule: CredentialRule, value: unknown): string | null {
  if (isSecretRef(value)) return null;
  if (typeof value === 'string' && /\{\{/.test(value)) return `a credential cannot come from a template (params would carry it into the run's input): ${SECRET_HINT}`;
  if ('keys' in rule || rule.literal === 'allowed') return null;
  if (rule.literal === 'never') return `a credential written in the spec: ${SECRET_HINT}`;
  if (typeof value === 'string' && hasPassword(value)) return `this connection string holds a password: ${SECRET_HINT} (the whole URL, or only the password through the worker's own configuration)`;
  return null;
}

function hasPassword(url: string): boolean {
  try {
    const u = new URL(url);
    return u.password !== '' || u.searchParams.has('password');
  } catch {
    // Not a URL (a libpq key=value string): a password= pair is still a password.
    return /(^|\s)password\s*=/i.test(url);
  }
}

type Def = { type: string; [k: string]: unknown };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Calls `found(path, rule, value)` for every field of `value` whose schema `registry` marks. */
function walk<M extends object>(registry: z.core.$ZodRegistry<M>, schema: z.ZodType, value: unknown, path: string, found: (path: string, rule: M, value: unknown) => void, depth = 0): void {
  if (value === undefined || depth > 64) return;
  const rule = registry.get(schema) as M | undefined;
  if (rule !== undefined) return found(path, rule, value);
  const def = defOf(schema);
  const next = (s: z.ZodType, v: unknown, p: string) => walk(registry, s, v, p, found, depth + 1);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return next(def.innerType as z.ZodType, value, path);
    case 'pipe':
      return next(def.in as z.ZodType, value, path);
    case 'object':
      if (!isRecord(value)) return;
      for (const [k, s] of Object.entries(def.shape as Record<string, z.ZodType>)) next(s, value[k], appendPath(path, k));
      return;
    case 'record':
      if (!isRecord(value)) return;
      for (const [k, v] of Object.entries(value)) next(def.valueType as z.ZodType, v, appendPath(path, k));
      return;
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => next(def.element as z.ZodType, v, appendPath(path, i)));
      return;
    case 'union':
      // Any option may be the one that applies: a field marked in one is treated as marked.
      for (const option of def.options as z.ZodType[]) next(option, value, path);
      return;
    case 'intersection':
      next(def.left as z.ZodType, value, path);
      next(def.right as z.ZodType, value, path);
      return;
    default:
      return;
  }
}

/** Every credential field present in `config`, with its rule (a `keys` record's matching values expanded). */
function credentialFields(schema: z.ZodType, config: unknown, basePath: string): Map<string, { rule: CredentialRule; value: unknown }> {
  const fields = new Map<string, { rule: CredentialRule; value: unknown }>();
  walk(credentialRegistry, schema, config, basePath, (path, rule, value) => {
    if (!('keys' in rule)) return void fields.set(path, { rule, value });
    if (!isRecord(value) || isSecretRef(value)) return;
    for (const [k, v] of Object.entries(value)) fields.set(appendPath(path, k), { rule: rule.keys.test(k) ? { literal: 'never' } : { literal: 'allowed' }, value: v });
  });
  return fields;
}

/** Every `{ $secret }` in `value`, with its path. */
function secretRefs(value: unknown, path: string, out: string[] = [], depth = 0): string[] {
  if (depth > 64) return out;
  if (isSecretRef(value)) out.push(path);
  else if (Array.isArray(value)) value.forEach((v, i) => secretRefs(v, appendPath(path, i), out, depth + 1));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) secretRefs(v, appendPath(path, k), out, depth + 1);
  return out;
}

/**
 * Literal credentials where the schema expects `{ $secret }`, and `{ $secret }` where the schema
 * expects no credential (a secret resolved into, say, a file path or a prefix would reach node
 * outputs and errors), each with its path under `basePath`.
 */
export function credentialIssues(schema: z.ZodType, config: unknown, basePath: string): ValidationIssue[] {
  const issues = new Map<string, string>();
  const fields = credentialFields(schema, config, basePath);
  for (const [path, { rule, value }] of fields) {
    const why = refusal(rule, value);
    if (why) issues.set(path, why);
  }
  for (const path of secretRefs(config, basePath)) {
    if (!fields.has(path)) issues.set(path, 'a { $secret } may stand only in a credential field (a connection, token, password, authentication header or access key); this field is not one');
  }
  return [...issues].map(([path, message]) => ({ path, message }));
}

/** `{{ }}` templates inside SQL or CEL text: values must be bound through params, never spliced into code. */
export function codeTemplateIssues(schema: z.ZodType, config: unknown, basePath: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  walk(codeRegistry, schema, config, basePath, (path, { code }, value) => {
    if (typeof value !== 'string' || !value.includes('{{')) return;
    issues.push({
      path,
      message:
        code === 'sql'
          ? 'a {{ }} template may not stand inside SQL text: write $1, $2 ... (or :name) and pass the values in params, which binds them'
          : 'a {{ }} template may not stand inside an expression: values reach expressions as fields of the row',
    });
  });
  return issues;
}

/** A copy of `config` with every literal credential replaced by `***` (specs stored before credentials were refused). */
export function redactCredentials(schema: z.ZodType, config: unknown): unknown {
  const paths = new Set([...credentialFields(schema, config, '')].filter(([, f]) => refusal(f.rule, f.value) !== null).map(([p]) => p));
  if (paths.size === 0) return config;
  const copy = (v: unknown, path: string): unknown => {
    if (paths.has(path)) return '***';
    if (Array.isArray(v)) return v.map((item, i) => copy(item, appendPath(path, i)));
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, copy(item, appendPath(path, k))]));
    return v;
  };
  return copy(config, '');
}
