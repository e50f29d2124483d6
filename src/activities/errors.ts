// Errors of node executors (the kit's ConfigError and DataError, and anything else thrown) turned
// into Temporal failures in one place (executor.ts), with secret values scrubbed from every message.
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../log.js';
import { ConfigError, DataError } from '../kit/errors.js';
import type { NodeFailureDetails } from '../workflows/node-task.js';

/** A node attempt whose rows and parts stood still for its stall timeout: retryable, the next attempt resumes from the checkpoint. */
export class StallError extends Error {
  override name = 'StallError';
}

/** Replaces every occurrence of a secret value (and a URL secret's password) with ***. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    const parts = [secret];
    try {
      const url = new URL(secret);
      if (url.password) parts.push(decodeURIComponent(url.password), url.password);
    } catch {
      // not a URL: only the whole value is sensitive
    }
    for (const part of parts) if (part.length >= 3) out = out.split(part).join('***');
  }
  return out;
}

/** `value` with every secret value scrubbed from every string in it (keys included), for outputs and dead letters. */
export function scrubDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return scrub(v, secrets);
    if (depth > 64 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [scrub(k, secrets), walk(item, depth + 1)]));
  };
  return walk(value, 0) as T;
}

/** A child of `log` whose every line has the secret values scrubbed: what a connector logs cannot leak them. */
export function scrubbingLogger(log: Logger, secrets: readonly string[]): Logger {
  if (secrets.length === 0) return log;
  return log.child({}, { formatters: { log: (o: object) => scrubDeep(o, secrets) } });
}

/** Converts anything thrown by a node into an ApplicationFailure safe to put in workflow history. */
export function toFailure(err: unknown, secrets: readonly string[], details: NodeFailureDetails): ApplicationFailure {
  const message = scrub(err instanceof Error ? err.message : String(err), secrets);
  const nonRetryable = err instanceof ConfigError || err instanceof DataError;
  const type = err instanceof Error ? err.name : 'Error';
  // Stack traces may quote config values; they stay in the worker's own logs.
  const failure = ApplicationFailure.create({ message, type, nonRetryable, details: [details] });
  failure.stack = `${type}: ${message}`;
  return failure;
}
