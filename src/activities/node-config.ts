// A node's config as an activity sees it: secrets resolved from this worker's environment, then
// parsed by the node type's own schema. Shared by node executions and connection checks.
import type { z } from 'zod';
import { formatPath } from '../dag/path.js';
import { ConfigError } from '../kit/errors.js';
import type { SitePolicy } from '../kit/access.js';
import { resolveSecrets } from './secrets.js';

export interface ParsedNodeConfig<T> {
  config: T;
  /** The secret values substituted, to scrub from messages. */
  secrets: string[];
}

/** Every zod issue as `config.<path>: <message>`, joined. */
export function configProblems(error: z.ZodError): string {
  return error.issues.map((i) => `${formatPath(['config', ...i.path.filter((p): p is string | number => typeof p !== 'symbol')])}: ${i.message}`).join('; ');
}

/**
 * Resolves secrets and parses; throws ConfigError naming every problem. `onSecrets` receives the
 * secret values before parsing, so a caller can scrub them even from a parse failure.
 */
export function parseNodeConfig<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  env: NodeJS.ProcessEnv,
  where: string,
  policy: SitePolicy,
  onSecrets?: (secrets: string[]) => void,
): ParsedNodeConfig<z.output<S>> {
  const resolved = resolveSecrets(raw, env, where, policy);
  onSecrets?.(resolved.secrets);
  const parsed = schema.safeParse(resolved.value);
  if (!parsed.success) throw new ConfigError(configProblems(parsed.error));
  return { config: parsed.data, secrets: resolved.secrets };
}
