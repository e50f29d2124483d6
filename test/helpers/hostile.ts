// Checks shared by the tests of hostile input (api-limits, api-fuzz): nothing long is echoed back, and
// the API keeps answering /healthz while it works on a request.
import assert from 'node:assert/strict';

/** How much of any one value sent may come back. */
export const MAX_ECHO = 200;
const WINDOW = MAX_ECHO + 1;
const STRIDE = 10;

function strings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 200) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out, depth + 1);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out, depth + 1);
    }
  }
  return out;
}

/**
 * No string of the response (values and keys) holds more than ~MAX_ECHO characters of any string sent
 * (values and keys): every stretch of MAX_ECHO + 1 characters of the input, sampled every STRIDE
 * characters, is looked for, so an echo of MAX_ECHO + STRIDE characters or more is always caught.
 */
export function assertNoLongEcho(sent: unknown, response: unknown): void {
  const answer = strings(response).join('\n');
  for (const s of strings(sent)) {
    if (s.length < WINDOW) continue;
    for (let i = 0; i + WINDOW <= s.length; i += STRIDE) {
      const piece = s.slice(i, i + WINDOW);
      if (answer.includes(piece)) assert.fail(`the response echoes more than ${MAX_ECHO} characters of a value sent: ${JSON.stringify(piece.slice(0, 60))}...`);
    }
  }
}

/** Runs `request` while timing GET /healthz every 25 ms; the latencies of those health checks come back too. */
export async function timedWithHealth<T>(url: string, request: () => Promise<T>): Promise<{ res: T; ms: number; health: number[] }> {
  const health: number[] = [];
  let done = false;
  const poll = (async () => {
    while (!done || health.length === 0) {
      const start = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      health.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  const start = performance.now();
  try {
    const res = await request();
    return { res, ms: performance.now() - start, health };
  } finally {
    done = true;
    await poll;
  }
}

/**
 * How long a hostile request and a /healthz during one may take in a test. The targets are 1 s and
 * 200 ms (docs/api.md; bench:validate prints the figures); the suite shares two cores with other
 * test files, so by default it fails only on a held event loop (the freezes this guards against
 * lasted from 46 s to minutes). SLUICE_STRICT_TIMING=1 asserts the targets themselves.
 */
const STRICT = process.env.SLUICE_STRICT_TIMING === '1';
export const REQUEST_LIMIT_MS = STRICT ? 1000 : 5000;
export const HEALTH_LIMIT_MS = STRICT ? 200 : 1000;

/**
 * The better of two timings of `attempt`: the second is made only when the first is over `limitMs`.
 * The machine is shared (two cores, other test files alongside), so one slow try proves little; two
 * in a row do. Returns the last result with the smaller time.
 */
export async function bestOfTwo<T>(limitMs: number, attempt: () => Promise<T & { ms: number }>): Promise<T & { ms: number }> {
  const first = await attempt();
  if (first.ms < limitMs) return first;
  const second = await attempt();
  return second.ms < first.ms ? second : first;
}
