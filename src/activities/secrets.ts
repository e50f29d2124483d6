// Resolves { $secret: NAME } references inside the activity, from the worker's own environment,
// so secret values exist only in the process of the site that runs the node.
import { isSecretRef } from '../dag/secret.js';
import { secretRefusal, type SitePolicy } from '../kit/access.js';
import { ConfigError, PolicyError } from '../kit/errors.js';

export interface ResolvedConfig {
  value: unknown;
  /** The values substituted, so they can be scrubbed from errors and logs. */
  secrets: string[];
}

export function resolveSecrets(value: unknown, env: NodeJS.ProcessEnv, where: string, policy: SitePolicy): ResolvedConfig {
  const secrets: string[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (isSecretRef(v)) {
      // The owner's policy first: a forbidden name is refused before its value is ever read.
      const refused = secretRefusal(policy, v.$secret);
      if (refused) throw new PolicyError(`forbidden by the policy of ${policy.owner}: ${refused} (${path})`);
      const secret = env[v.$secret];
      if (secret === undefined || secret === '') {
        throw new ConfigError(`${path}: secret ${v.$secret} is not set on ${where}, which runs this node; set the environment variable ${v.$secret} there`);
      }
      secrets.push(secret);
      return secret;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, `${path}.${k}`)]));
    }
    return v;
  };
  return { value: walk(value, 'config'), secrets };
}
