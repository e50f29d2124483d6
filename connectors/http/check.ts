// http.read's check: the first page, once, with a short timeout, so wrong URLs, credentials and
// record paths show up before a run.
import { ConfigError, type ConnectorContext } from '../../src/kit/index.js';
import { TransientHttpError } from '../../src/kit/http/client.js';
import { firstState } from './pagination.js';
import { fetchPage } from './read.js';
import type { HttpReadConfig } from './schema.js';

const CHECK_TIMEOUT_MS = 10_000;

export async function check(config: HttpReadConfig, ctx: ConnectorContext): Promise<void> {
  const retry = { maxAttempts: 1, initialDelay: 0, maxDelay: 0 };
  try {
    await fetchPage(config, firstState(config), ctx, { timeoutMs: Math.min(config.timeout, CHECK_TIMEOUT_MS), retry });
  } catch (err) {
    // Unreachable hosts and 5xx answers are worth reporting as such, not as "try again later".
    if (err instanceof TransientHttpError) throw new ConfigError(`config.url: ${err.message}`);
    throw err;
  }
}
