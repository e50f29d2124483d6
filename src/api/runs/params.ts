// Resolves a run's params against the params its pipeline declares: every problem is reported at once.
import type { PipelineSpec } from '../../dag/spec.js';
import { MAX_MAP_ITEMS } from '../../dag/limits.js';
import { BadRequestError, type FieldError } from '../errors.js';

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;
}

/** Declared defaults filled in, unknown or mistyped params rejected; throws a BadRequestError listing each. */
export function resolveParams(declared: PipelineSpec['params'], given: Record<string, unknown> = {}): Record<string, unknown> {
  const decl = declared ?? {};
  const errors: FieldError[] = [];
  const resolved: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    const spec = Object.hasOwn(decl, name) ? decl[name] : undefined;
    if (!spec) {
      const known = Object.keys(decl);
      errors.push({ path: `params.${name}`, message: `unknown param (declared: ${known.length ? known.join(', ') : 'none'})` });
    } else if (typeOf(value) !== spec.type || (spec.type === 'number' && !Number.isFinite(value))) {
      errors.push({ path: `params.${name}`, message: `expected ${spec.type}, got ${typeOf(value)}` });
    } else if (Array.isArray(value) && value.length > MAX_MAP_ITEMS) {
      errors.push({ path: `params.${name}`, message: `must list at most ${MAX_MAP_ITEMS} items, got ${value.length}` });
    } else {
      resolved[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(decl)) {
    if (Object.hasOwn(given, name)) continue;
    if (spec.default === undefined) errors.push({ path: `params.${name}`, message: `required (${spec.type}, no default)` });
    else resolved[name] = spec.default;
  }
  if (errors.length > 0) throw new BadRequestError('the run params do not match the pipeline params', errors);
  return resolved;
}
