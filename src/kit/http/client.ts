// One HTTP request with bounded retries, shared by the HTTP-based connectors. 429 and 5xx answers
// and network errors are retried with backoff (honouring Retry-After); when the tries run out the
// error is retryable, so the node's activity retry takes over and resumes from its checkpoint.
// Other 4xx answers are non-retryable. Requests already sent are never aborted by a pause: the
// answer is kept and staged, so a page is fetched once; only the waits between tries end early.
import type { Logger } from 'pino';
import { STATUS_CODES } from 'node:http';
import type { Access } from '../access.js';
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
  /** The site policy: every host asked, redirects included, must be allowed. */
  access: Access;
  /** The config path named when the policy refuses a host (default `config.url`). */
  urlPath?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * One fetch, following redirects itself: each hop's host must pass the site's egress policy, a
 * redirect never goes from https to http, and credentials (every header but a few harmless
 * ones) are sent to the first origin only.
 */
async function fetchFollowing(call: HttpCall, ctx: CallContext): Promise<HttpResult> {
  let url = call.url;
  let method = call.method;
  let body = call.body;
  let headers = call.headers;
  for (let hop = 0; ; hop++) {
    await ctx.access.egress(url, ctx.urlPath ?? 'config.url');
    const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(call.timeoutMs) });
    const location = res.headers.get('location');
    if (!REDIRECTS.has(res.status) || location === null) {
      return { status: res.status, headers: res.headers, body: await res.text(), url: url.toString() };
    }
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw new ConfigError(`${describeRequest(call.method, call.url)} redirected more than ${MAX_REDIRECTS} times`);
    const next = new URL(location, url);
    if (url.protocol === 'https:' && next.protocol !== 'https:') {
      throw new ConfigError(`${describeRequest(method, url)} redirected from https to ${next.protocol.replace(':', '')}: refused, so nothing is sent unencrypted`);
    }
    if (next.origin !== call.url.origin) headers = harmlessHeaders(headers);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    url = next;
  }
}

const HARMLESS_HEADERS = new Set(['accept', 'content-type', 'user-agent', 'accept-encoding', 'accept-language']);

function harmlessHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => HARMLESS_HEADERS.has(name.toLowerCase())));
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
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (HARMLESS_HEADERS.has(name.toLowerCase())) continue;
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
      const result = await fetchFollowing(call, ctx);
      if ((result.status >= 200 && result.status < 300) || call.accept?.includes(result.status)) return result;
      const statusText = STATUS_CODES[result.status] ?? '';
      if (!isRetryableStatus(result.status)) throw statusError(call, result, statusText);
      problem = `answered ${result.status} ${statusText}`;
      wait = parseRetryAfter(result.headers.get('retry-after'));
      if (wait !== undefined && wait > call.retry.maxDelay) {
        throw new TransientHttpError(`${what} ${problem} and asked to retry after ${Math.ceil(wait / 1000)}s, longer than retry.maxDelay`);
      }
    } catch (err) {
      if (err instanceof HttpStatusError || err instanceof TransientHttpError || err instanceof ConfigError) throw err;
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
