// The REST API as the `sluice` commands that talk to it see it: where it is and which key to send
// (SLUICE_API_URL / SLUICE_API_KEY, or --api-url / --api-key), requests through the typed client
// generated from the OpenAPI document (src/api/client), problems turned into errors that say what
// went wrong and where, and server-sent events read as a stream. The key goes into the
// Authorization header and nowhere else.
import { configSchema } from '../config.js';
import { createSluiceClient, problemOf, type SluiceClient } from '../api/client/index.js';

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
  /** The typed client: `api.answer(api.http.GET('/api/v1/runs/{runId}', ...))`. */
  readonly http: SluiceClient;

  private constructor(
    /** The API's base URL without a trailing slash or /api/v1. */
    readonly baseUrl: string,
    private readonly key: string,
  ) {
    this.http = createSluiceClient({
      baseUrl,
      key,
      fetch: async (request: Request) => {
        try {
          return await fetch(new Request(request, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }));
        } catch (err) {
          throw new CliError(`cannot reach the API at ${this.baseUrl}: ${networkReason(err)} (is SLUICE_API_URL right, and the API running?)`);
        }
      },
    });
  }

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

  /**
   * The data of a typed call's answer; a problem answer throws ApiProblem, an answer that is not
   * the API's (not JSON, not an object) a CliError saying so.
   */
  async answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    let result: { data?: T; error?: unknown; response: Response };
    try {
      result = await call;
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`the answer from ${this.baseUrl} is not JSON (${networkReason(err)}): is SLUICE_API_URL the Sluice API?`);
    }
    const { data, error, response } = result;
    if (!response.ok) {
      const problem = problemOf(error);
      if (problem) throw new ApiProblem(response.status, problem.detail, problem.errors);
      const text = typeof error === 'string' ? error : JSON.stringify(error ?? '');
      throw new ApiProblem(response.status, `${response.statusText || 'error'} from ${this.baseUrl}${text ? `: ${text.slice(0, 200)}` : ''}`, []);
    }
    if (typeof data !== 'object' || data === null) throw new CliError(`unexpected answer from ${response.url}: (body): expected a JSON object; is SLUICE_API_URL the Sluice API?`);
    return data;
  }

  private async send(path: string, signal: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${this.key}`, accept: 'text/event-stream' }, signal });
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
    const problem = problemOf(json);
    if (problem) throw new ApiProblem(res.status, problem.detail, problem.errors);
    throw new ApiProblem(res.status, `${res.statusText || 'error'} from ${this.baseUrl}${text ? `: ${text.slice(0, 200)}` : ''}`, []);
  }

  /**
   * Reads a text/event-stream answer, yielding each event. Ends when the server ends the stream;
   * `idleMs` of silence (no event, no keep-alive) is an error, as is a connection lost mid-stream.
   */
  async *events(path: string, idleMs = 45_000): AsyncGenerator<SseEvent> {
    const abort = new AbortController();
    let idle = setTimeout(() => abort.abort(), idleMs);
    try {
      const res = await this.send(path, abort.signal);
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
