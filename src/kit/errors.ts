// The errors a connector throws. Their names are the failure types the workflow and the API read
// (src/dag/vocabulary.ts), so a config problem is never retried whoever raised it.
import { ERROR_TYPES } from '../dag/vocabulary.js';

/** A problem retrying cannot fix: bad config, a missing secret, a missing table or column. */
export class ConfigError extends Error {
  override name: string = ERROR_TYPES.config;
}

/** Bad data that retrying cannot fix (e.g. a value that cannot be cast). */
export class DataError extends Error {
  override name = ERROR_TYPES.data;
}

/**
 * The site's own policy forbids what the node asked for (a secret, a file, a host, a node type).
 * Never retried; the message names the rule and the config path, never the value.
 */
export class PolicyError extends ConfigError {
  override name = ERROR_TYPES.policy;
}
