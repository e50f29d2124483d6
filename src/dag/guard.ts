// The first look at any parsed body (a spec, a run's params...): bounded nesting, bounded strings and
// keys, no NUL or unpaired surrogates (PostgreSQL and protobuf refuse them: a 500 later), no keys that
// reach a prototype, only JSON values. It walks with its own stack, so no input can overflow ours, and
// once it passes, every later recursive walk and every message quoting a key is bounded too.
import { clip } from './echo.js';
import type { ValidationIssue } from './issue.js';
import { FORBIDDEN_KEYS, MAX_DEPTH, MAX_ISSUES, MAX_KEY_LENGTH, MAX_STRING_LENGTH } from './limits.js';
import { appendPath } from './path.js';

// NUL, or a high surrogate not followed by a low one, or a low one not preceded by a high one.
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored or sent on as text, or null when it can. */
export function textProblem(s: string): string | null {
  const bad = BAD_TEXT.exec(s);
  if (bad === null) return null;
  return bad[0] === '\u0000' ? 'must not contain NUL characters (\\u0000)' : 'must not contain unpaired UTF-16 surrogates (not valid Unicode)';
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Every problem (up to MAX_ISSUES) with the shape of a parsed body, at paths under `prefix`; empty
 * when the value is plain JSON within the limits of src/dag/limits.ts.
 */
export function guardValue(value: unknown, prefix = ''): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  // Frames are values to look at, or a key's problem held back so problems come in document order.
  type Frame = { value: unknown; path: string; depth: number } | { issue: ValidationIssue };
  const stack: Frame[] = [{ value, path: prefix, depth: 1 }];
  while (stack.length > 0 && issues.length <= MAX_ISSUES) {
    const frame = stack.pop() as Frame;
    if ('issue' in frame) {
      issues.push(frame.issue);
      continue;
    }
    const { value: v, path, depth } = frame;
    const at = path || '(root)';
    if (typeof v === 'string') {
      if (v.length > MAX_STRING_LENGTH) issues.push({ path: at, message: `must be at most ${MAX_STRING_LENGTH} characters (got ${v.length})` });
      const problem = textProblem(v);
      if (problem !== null) issues.push({ path: at, message: problem });
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) issues.push({ path: at, message: `expected a finite number, got ${String(v)}` });
      continue;
    }
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v !== 'object' || !(Array.isArray(v) || isPlainObject(v))) {
      issues.push({ path: at, message: `expected a JSON value, got ${typeof v === 'object' ? 'an object of another kind' : typeof v}` });
      continue;
    }
    if (depth > MAX_DEPTH) {
      issues.push({ path: at, message: `nested deeper than ${MAX_DEPTH} levels of objects and arrays` });
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: appendPath(path, i), depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      const keyPath = appendPath(path, clip(key));
      const problem = keyProblem(key);
      stack.push(problem === null ? { value: (v as Record<string, unknown>)[key], path: keyPath, depth: depth + 1 } : { issue: { path: keyPath, message: problem } });
    }
  }
  return capIssues(issues);
}

function keyProblem(key: string): string | null {
  if (FORBIDDEN_KEYS.has(key)) return `"${key}" is not allowed as a key: it names a member of every object's prototype`;
  if (key.length > MAX_KEY_LENGTH) return `keys must be at most ${MAX_KEY_LENGTH} characters (got ${key.length})`;
  const problem = textProblem(key);
  return problem === null ? null : `key ${problem}`;
}

/** At most MAX_ISSUES problems: the first ones, then one entry saying how many more there were. */
export function capIssues(issues: ValidationIssue[]): ValidationIssue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  return [...issues.slice(0, MAX_ISSUES - 1), { path: '(root)', message: 'more problems not listed; fix these first' }];
}
