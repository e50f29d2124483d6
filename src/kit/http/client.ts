// One HTTP request with bounded retries, shared by the HTTP-based connectors. 429 and 5xx answers
// and network errors are retried with backoff (honouring Retry-After); when the tries run out the
// error is retryable, so the node's activity retry takes over and resumes from its checkpoint.
// Other 4xx answers are non-retryable. Requests already sent are never aborted by a pause: the
// answer is kept and staged, so a page is fetched once; only the waits between tries end early.
import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import { backoffDelay, parseRetryAfter, sleep } from './backoff.js';

export interface RetryOptions {
  maxAttempts: number;
  /** ms */
  initialDelay: number;
  /** ms; also the longest Retry-After waited for. */
  maxDelay: number;
}

export interface HttpCall {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  retry: RetryOptions;
  /** Statuses handed back to the caller instead of raised (e.g. 404 of an expired statement). */
  accept?: readonly number[];
  /** The config that holds the credentials, named in 401/403 errors (e.g. `config.headers`). */
  authHint: string;
  /** Values (credentials) blanked out of response bodies quoted in errors. */
  redact: readonly string[];
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: string;
  /** Final URL (after redirects). */
  url: string;
}

export interface CallContext {
  signal: AbortSignal;
  log: Logger;
}

/** A 4xx answer retrying cannot fix (bad URL, parameters or credentials). */
export class HttpStatusError extends ConfigError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The tries ran out on answers or errors that may pass (429, 5xx, network); retryable by the activity. */
export class TransientHttpError extends Error {
  override name = 'TransientHttpError';
}

/** `GET https://host/path`: the query string is left out because it may carry credentials. */
export function describeRequest(method: string, url: URL | string): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return `${method} ${u.origin}${u.pathname}`;
}

/** The start of a response body, on one line, with credentials blanked out. */
export function excerpt(body: string, redact: readonly string[], max = 200): string {
  let text = body.replace(/\s+/g, ' ').trim();
  for (const value of redact) if (value.length >= 4) text = text.split(value).join('***');
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** Header values worth hiding: every value but a few harmless ones, and the credential after a scheme ("Bearer x"). */
export function sensitiveValues(headers: Record<string, string> | undefined): string[] {
  const harmless = new Set(['accept', 'content-type', 'user-agent', 'accept-encoding', 'accept-language']);
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (harmless.has(name.toLowerCase())) continue;
    out.push(value);
    const parts = value.trim().split(/\s+/);
    if (parts.length > 1) out.push(parts[parts.length - 1]!);
  }
  // Longest first, so a whole value is blanked before its own last word.
  return out.sort((a, b) => b.length - a.length);
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs}ms`;
  const code = e.cause?.code;
  return code ? `cannot connect (${code})` : `request failed (${e.cause?.message ?? e.message})`;
}

function statusError(call: HttpCall, res: HttpResult, statusText: string): HttpStatusError {
  const what = describeRequest(call.method, res.url || call.url);
  const quoted = excerpt(res.body, call.redact);
  const hint = res.status === 401 || res.status === 403 ? `; authentication failed: check ${call.authHint}` : '';
  return new HttpStatusError(`${what} answered ${res.status} ${statusText}${quoted ? `: ${quoted}` : ''}${hint}`, res.status);
}

/** Sends `call`, retrying transient failures; returns a 2xx (or accepted) answer, or throws. */
export async function request(call: HttpCall, ctx: CallContext): Promise<HttpResult> {
  const what = describeRequest(call.method, call.url);
  for (let attempt = 1; ; attempt++) {
    let problem: string;
    let wait: number | undefined;
    try {
      const res = await fetch(call.url, {
        method: call.method,
        headers: call.headers,
        body: call.body,
        signal: AbortSignal.timeout(call.timeoutMs),
      });
      const result: HttpResult = { status: res.status, headers: res.headers, body: await res.text(), url: res.url };
      if ((res.status >= 200 && res.status < 300) || call.accept?.includes(res.status)) return result;
      if (!isRetryableStatus(res.status)) throw statusError(call, result, res.statusText);
      problem = `answered ${res.status} ${res.statusText}`;
      wait = parseRetryAfter(res.headers.get('retry-after'));
      if (wait !== undefined && wait > call.retry.maxDelay) {
        throw new TransientHttpError(`${what} ${problem} and asked to retry after ${Math.ceil(wait / 1000)}s, longer than retry.maxDelay`);
      }
    } catch (err) {
      if (err instanceof HttpStatusError || err instanceof TransientHttpError) throw err;
      problem = networkReason(err, call.timeoutMs);
    }
    if (attempt >= call.retry.maxAttempts) {
      throw new TransientHttpError(`${what} ${problem} (${attempt} ${attempt === 1 ? 'try' : 'tries'})`);
    }
    const delay = wait ?? backoffDelay(attempt, call.retry.initialDelay, call.retry.maxDelay);
    ctx.log.warn({ request: what, problem, attempt, delayMs: delay }, 'retrying HTTP request');
    await sleep(delay, ctx.signal);
  }
}
