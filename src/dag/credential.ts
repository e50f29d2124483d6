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
export type CredentialRule = { literal: 'never' } | { literal: 'without-password' } | { keys: RegExp };

export const credentialRegistry = z.registry<CredentialRule>();

const SECRET_HINT = 'keep credentials out of specs: set it in the environment of the worker that runs the node and write { $secret: NAME }';

/** Why `value` may not stand in a field with `rule`, or null when it may. */
function refusal(rule: CredentialRule, value: unknown): string | null {
  if (isSecretRef(value)) return null;
  if (typeof value === 'string' && /\{\{/.test(value)) return `a credential cannot come from a template (params would carry it into the run's input): ${SECRET_HINT}`;
  if ('keys' in rule) return null;
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

/** Calls `found(path, rule, value)` for every credential field present in `value`. */
function walk(schema: z.ZodType, value: unknown, path: string, found: (path: string, rule: CredentialRule, value: unknown) => void, depth = 0): void {
  if (value === undefined || depth > 64) return;
  const rule = credentialRegistry.get(schema) as CredentialRule | undefined;
  if (rule) {
    found(path, rule, value);
    if (!('keys' in rule)) return;
    if (isRecord(value) && !isSecretRef(value)) {
      for (const [k, v] of Object.entries(value)) if (rule.keys.test(k)) found(appendPath(path, k), { literal: 'never' }, v);
    }
    return;
  }
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return walk(def.innerType as z.ZodType, value, path, found, depth + 1);
    case 'pipe':
      return walk(def.in as z.ZodType, value, path, found, depth + 1);
    case 'object':
      if (!isRecord(value)) return;
      for (const [k, s] of Object.entries(def.shape as Record<string, z.ZodType>)) walk(s, value[k], appendPath(path, k), found, depth + 1);
      return;
    case 'record':
      if (!isRecord(value)) return;
      for (const [k, v] of Object.entries(value)) walk(def.valueType as z.ZodType, v, appendPath(path, k), found, depth + 1);
      return;
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => walk(def.element as z.ZodType, v, appendPath(path, i), found, depth + 1));
      return;
    case 'union':
      // Any option may be the one that applies: a field that is a credential in one is treated as one.
      for (const option of def.options as z.ZodType[]) walk(option, value, path, found, depth + 1);
      return;
    case 'intersection':
      walk(def.left as z.ZodType, value, path, found, depth + 1);
      walk(def.right as z.ZodType, value, path, found, depth + 1);
      return;
    default:
      return;
  }
}

/** Literal credentials in `config` (under `basePath`), each with its path. */
export function credentialIssues(schema: z.ZodType, config: unknown, basePath: string): ValidationIssue[] {
  const issues = new Map<string, string>();
  walk(schema, config, basePath, (path, rule, value) => {
    const why = refusal(rule, value);
    if (why && !issues.has(path)) issues.set(path, why);
  });
  return [...issues].map(([path, message]) => ({ path, message }));
}

/** A copy of `config` with every literal credential replaced by `***` (specs stored before credentials were refused). */
export function redactCredentials(schema: z.ZodType, config: unknown): unknown {
  const paths = new Set(credentialIssues(schema, config, '').map((i) => i.path));
  if (paths.size === 0) return config;
  const copy = (v: unknown, path: string): unknown => {
    if (paths.has(path)) return '***';
    if (Array.isArray(v)) return v.map((item, i) => copy(item, appendPath(path, i)));
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, copy(item, appendPath(path, k))]));
    return v;
  };
  return copy(config, '');
}
