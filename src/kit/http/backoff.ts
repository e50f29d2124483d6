// Waiting between attempts: exponential backoff with jitter, the server's Retry-After, and
// sleeps that end early when the node is asked to stop (pause, cancel, worker shutdown).

/** Thrown out of a wait when the node must stop; readers turn it into a checkpoint, not a failure. */
export class StopRequested extends Error {
  override name = 'StopRequested';
  constructor() {
    super('the node was asked to stop while waiting');
  }
}

/** Delay before retry `attempt` (1-based): doubling from `initial`, capped, with "equal jitter" (half fixed, half random). */
export function backoffDelay(attempt: number, initial: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, initial * 2 ** (attempt - 1));
  // Jitter spreads the retries of many workers hitting one API, so they do not come back in lockstep.
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Milliseconds a Retry-After header asks for (delay-seconds or an HTTP date), or undefined if absent or malformed. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Resolves after `ms`; rejects with StopRequested as soon as `signal` is aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new StopRequested());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new StopRequested());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
