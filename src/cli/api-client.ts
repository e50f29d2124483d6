// The REST API as the `sluice` commands that talk to it see it: where it is and which key to send
// (SLUICE_API_URL / SLUICE_API_KEY, or --api-url / --api-key), JSON answers checked against the
// API's own response schemas, problems turned into errors that say what went wrong and where, and
// server-sent events read as a stream. The key goes into the Authorization header and nowhere else.
import type { z } from 'zod';
import { configSchema } from '../config.js';
import { problemResponse } from '../api/schemas.js';

/** An error the command line prints as-is (no stack) and exits with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** HTTP statuses that mean the command's input was wrong: exit code 2. */
const BAD_INPUT = new Set([400, 404, 413, 415, 422]);

/** A problem+json answer: its detail and each `path: message`. */
export class ApiProblem extends CliError {
  override name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors: { path: string; message: string }[],
  ) {
    super([`${detail} (HTTP ${status})`, ...errors.map((e) => `  ${e.path || '(body)'}: ${e.message}`)].join('\n'), BAD_INPUT.has(status) ? 2 : 1);
  }
}

export interface ApiOptions {
  apiUrl?: string | undefined;
  apiKey?: string | undefined;
}

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** Why fetch failed, in words: `connect ECONNREFUSED 127.0.0.1:3000` rather than `fetch failed`. */
function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.message) return cause.message;
  if (cause?.code) return cause.code;
  return err instanceof Error ? err.message : String(err);
}

export class ApiClient {
  private constructor(
    /** The API's base URL without a trailing slash or /api/v1. */
    readonly baseUrl: string,
    private readonly key: string,
  ) {}

  /** From the flags, else the environment; says what to set when either is missing. */
  static fromOptions(opts: ApiOptions, env: NodeJS.ProcessEnv = process.env): ApiClient {
    const parsed = configSchema.pick({ SLUICE_API_URL: true, SLUICE_API_KEY: true }).safeParse({
      SLUICE_API_URL: opts.apiUrl ?? env.SLUICE_API_URL,
      SLUICE_API_KEY: opts.apiKey ?? env.SLUICE_API_KEY,
    });
    // Messages name the variable, never its value.
    if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), 2);
    const { SLUICE_API_URL: url, SLUICE_API_KEY: key } = parsed.data;
    const missing = [url ? null : 'SLUICE_API_URL (the API, e.g. http://127.0.0.1:3000) or --api-url', key ? null : 'SLUICE_API_KEY (a key from `sluice keys create` or `sluice dev`) or --api-key'].filter(Boolean);
    if (missing.length > 0) throw new CliError(`set ${missing.join(', and ')}`, 2);
    return new ApiClient(url!.replace(/\/+$/, '').replace(/\/api\/v1$/, ''), key!);
  }

  private url(path: string): string {
    return `${this.baseUrl}/api/v1${path}`;
  }

  private async send(method: string, path: string, body: unknown, signal: AbortSignal | undefined, accept = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(this.url(path), { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(signal ? { signal } : {}) });
    } catch (err) {
      throw new CliError(`cannot reach the API at ${this.baseUrl}: ${networkReason(err)} (is SLUICE_API_URL right, and the API running?)`);
    }
  }

  /** Throws the answer's problem (or a plain description of a non-problem error answer). */
  private async fail(res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const problem = problemResponse.partial().safeParse(json);
    if (problem.success && problem.data.detail !== undefined) throw new ApiProblem(res.status, problem.data.detail, problem.data.errors ?? []);
    throw new ApiProblem(res.status, `${res.statusText || 'error'} from ${this.baseUrl}${text ? `: ${text.slice(0, 200)}` : ''}`, []);
  }

  /** Sends a request and returns its JSON answer checked against `schema`. */
  async request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const res = await this.send(method, path, body, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    if (!res.ok) await this.fail(res);
    let json: unknown;
    try {
      json = await res.json();
    } catch (err) {
      throw new CliError(`the answer from ${this.baseUrl}${path} is not JSON (${networkReason(err)}): is SLUICE_API_URL the Sluice API?`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CliError(`unexpected answer from ${this.baseUrl}/api/v1${path}: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
    }
    return parsed.data;
  }

  /**
   * Reads a text/event-stream answer, yielding each event. Ends when the server ends the stream;
   * `idleMs` of silence (no event, no keep-alive) is an error, as is a connection lost mid-stream.
   */
  async *events(path: string, idleMs = 45_000): AsyncGenerator<SseEvent> {
    const abort = new AbortController();
    let idle = setTimeout(() => abort.abort(), idleMs);
    try {
      const res = await this.send('GET', path, undefined, abort.signal, 'text/event-stream');
      if (!res.ok) await this.fail(res);
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      let event: SseEvent = { event: 'message', id: undefined, data: '' };
      let hasData = false;
      try {
        for await (const chunk of res.body) {
          clearTimeout(idle);
          idle = setTimeout(() => abort.abort(), idleMs);
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).replace(/\r$/, '');
            buffer = buffer.slice(nl + 1);
            if (line === '') {
              if (hasData) yield event;
              event = { event: 'message', id: undefined, data: '' };
              hasData = false;
              continue;
            }
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event.event = value;
            else if (field === 'id') event.id = value;
            else if (field === 'data') {
              event.data = hasData ? `${event.data}\n${value}` : value;
              hasData = true;
            }
          }
        }
      } catch (err) {
        throw new CliError(`the stream from ${this.baseUrl} broke off: ${abort.signal.aborted ? `nothing for ${idleMs / 1000}s` : networkReason(err)}`);
      }
    } finally {
      clearTimeout(idle);
    }
  }
}
