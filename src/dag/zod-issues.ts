import { z } from 'zod';
import { didYouMean } from './suggest.js';

export type Segments = (string | number)[];

/** One readable problem, located by path segments relative to the parsed value. */
export interface ReadableIssue {
  segments: Segments;
  message: string;
  /** The last segment is a key that should not be there, rather than a value that is wrong. */
  unknownKey?: true;
}

export type ReadableResult<T> = { success: true; data: T } | { success: false; issues: ReadableIssue[] };

/** Parses like `safeParse`, with messages written for the people who write specs rather than zod's defaults. */
export function parseReadable<S extends z.ZodType>(schema: S, input: unknown): ReadableResult<z.output<S>> {
  // Most values are valid, and a parse with a per-call error map costs several times one without: the
  // readable messages are worked out only for a value that failed.
  const plain = schema.safeParse(input);
  if (plain.success) return { success: true, data: plain.data };
  // Unknown-key messages are computed where the object schema is known (the error map) and read back when
  // the issue is split per key, keyed by the offending object itself.
  const unknownKeys = new WeakMap<object, Map<string, string>>();
  const result = schema.safeParse(input, { error: (iss) => readableMessage(iss, unknownKeys) });
  if (result.success) return { success: true, data: result.data };
  return { success: false, issues: flatten(result.error.issues, [], input, unknownKeys) };
}

function flatten(
  issues: readonly z.core.$ZodIssue[],
  base: Segments,
  input: unknown,
  unknownKeys: WeakMap<object, Map<string, string>>,
): ReadableIssue[] {
  return issues.flatMap((issue): ReadableIssue[] => {
    const segments = [...base, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'unrecognized_keys') {
      const target = valueAt(input, segments);
      const messages = typeof target === 'object' && target !== null ? unknownKeys.get(target) : undefined;
      return issue.keys.map((key) => ({
        segments: [...segments, key],
        message: messages?.get(key) ?? `unknown key "${key}"`,
        unknownKey: true as const,
      }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // The one branch whose shape matched (its issues are all deeper than the union) says what is really wrong.
      const deep = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
      if (deep.length === 1) return flatten(deep[0] as z.core.$ZodIssue[], segments, input, unknownKeys);
    }
    return [{ segments, message: issue.message }];
  });
}

/** The value at a path inside a parsed input, or undefined. */
export function valueAt(root: unknown, segments: readonly (string | number)[]): unknown {
  let current = root;
  for (const s of segments) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, s)) return undefined;
    current = (current as Record<string | number, unknown>)[s];
  }
  return current;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const EXPECTED_NAMES: Record<string, string> = { record: 'object', int: 'an integer', nonoptional: 'a value' };

function readableMessage(iss: z.core.$ZodRawIssue, unknownKeys: WeakMap<object, Map<string, string>>): string | undefined {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'required';
      const got = iss.expected === 'int' && typeof iss.input === 'number' ? String(iss.input) : typeName(iss.input);
      return `expected ${EXPECTED_NAMES[iss.expected] ?? iss.expected}, got ${got}`;
    }
    case 'too_small':
      return sizeMessage(iss.origin, 'at least', '>', iss.minimum, iss.inclusive);
    case 'too_big':
      return sizeMessage(iss.origin, 'at most', '<', iss.maximum, iss.inclusive);
    case 'invalid_format':
      return iss.format === 'regex' ? `does not match ${iss.pattern ?? 'the expected pattern'}` : `expected a valid ${iss.format}`;
    case 'invalid_value':
      return `expected ${oneOf(iss.values)}${isPrimitive(iss.input) ? `, got ${JSON.stringify(iss.input)}` : ''}`;
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}`;
    case 'invalid_key':
      return iss.issues[0]?.message;
    case 'unrecognized_keys': {
      const known = iss.inst instanceof z.ZodObject ? Object.keys(iss.inst.shape) : [];
      const messages = new Map(iss.keys.map((k) => [k, `unknown key "${k}"${didYouMean(k, known)}`]));
      if (typeof iss.input === 'object' && iss.input !== null) unknownKeys.set(iss.input, messages);
      return [...messages.values()].join('; ');
    }
    case 'invalid_union':
      return unionMessage(iss);
    default:
      return undefined;
  }
}

function unionMessage(iss: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidUnion>): string {
  const discriminator = 'discriminator' in iss && typeof iss.discriminator === 'string' ? iss.discriminator : undefined;
  if (discriminator !== undefined) {
    const value = typeof iss.input === 'object' && iss.input !== null ? valueAt(iss.input, [discriminator]) : undefined;
    if (value === undefined) return 'required';
    const options = Array.isArray(iss.options) ? iss.options : [];
    return `expected ${oneOf(options)}, got ${JSON.stringify(value)}`;
  }
  const rootTypes = iss.errors.map((branch) => {
    const only = branch.length === 1 ? branch[0] : undefined;
    return only?.code === 'invalid_type' && only.path.length === 0 ? only.expected : undefined;
  });
  if (rootTypes.length > 0 && rootTypes.every((t) => t !== undefined)) {
    const names = [...new Set(rootTypes.map((t) => EXPECTED_NAMES[t] ?? t))];
    return `expected ${names.join(' or ')}, got ${typeName(iss.input)}`;
  }
  return 'does not match any of the allowed forms';
}

function sizeMessage(origin: string, bound: string, op: string, limit: number | bigint, inclusive = true): string {
  const n = Number(limit);
  if (origin === 'string') return n === 1 && bound === 'at least' ? 'must not be empty' : `must be ${bound} ${n} characters`;
  if (origin === 'array' || origin === 'set') {
    return n === 1 && bound === 'at least' ? 'must not be empty' : `must have ${bound} ${n} items`;
  }
  return `must be ${op}${inclusive ? '=' : ''} ${n}`;
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => JSON.stringify(v));
  return shown.length === 1 ? (shown[0] as string) : `one of ${shown.join(', ')}`;
}

function isPrimitive(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}
