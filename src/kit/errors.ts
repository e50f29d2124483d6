// The errors a connector throws. Their names are the failure types the workflow and the API read
// (src/dag/vocabulary.ts), so a config problem is never retried whoever raised it.
import { ERROR_TYPES } from '../dag/vocabulary.js';

/** A problem retrying cannot fix: bad config, a missing secret, a missing table or column. */
export class ConfigError extends Error {
  override name = ERROR_TYPES.config;
}

/** Bad data that retrying cannot fix (e.g. a value that cannot be cast). */
export class DataError extends Error {
  override name = ERROR_TYPES.data;
}
