// The Databricks SQL Statement Execution API 2.0, as far as databricks.read uses it: submit a
// statement (INLINE, JSON_ARRAY), poll it, fetch result chunks, cancel it. Every call goes through
// the shared HTTP client (retries on 429/5xx, Retry-After); the token is sent as a bearer header
// and blanked out of any answer quoted in an error.
import { z } from 'zod';
import { ConfigError, type ConnectorContext } from '../../src/kit/index.js';
import { sleep } from '../../src/kit/http/backoff.js';
import { describeRequest, excerpt, request, type HttpCall, type HttpResult } from '../../src/kit/http/client.js';
import type { DatabricksReadConfig } from './schema.js';

const STATES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'CLOSED'] as const;
export type StatementState = (typeof STATES)[number];

const resultData = z.looseObject({
  chunk_index: z.number().int().optional(),
  row_offset: z.number().int().optional(),
  row_count: z.number().int().optional(),
  data_array: z.array(z.array(z.unknown())).optional(),
  next_chunk_index: z.number().int().optional(),
});

const statementResponse = z.looseObject({
  statement_id: z.string().min(1),
  status: z.looseObject({
    state: z.enum(STATES),
    error: z.looseObject({ error_code: z.string().optional(), message: z.string().optional() }).optional(),
    sql_state: z.string().optional(),
  }),
  manifest: z
    .looseObject({
      schema: z
        .looseObject({
          columns: z.array(z.looseObject({ name: z.string(), type_name: z.string().optional(), type_text: z.string().optional(), position: z.number().optional() })).optional(),
        })
        .optional(),
      total_chunk_count: z.number().int().optional(),
      total_row_count: z.number().int().optional(),
      chunks: z.array(z.looseObject({ chunk_index: z.number().int(), row_offset: z.number().int().optional(), row_count: z.number().int().optional() })).optional(),
      truncated: z.boolean().optional(),
    })
    .optional(),
  result: resultData.optional(),
});

export type Statement = z.output<typeof statementResponse>;
export type ResultData = z.output<typeof resultData>;

/** Failure codes Databricks uses for conditions that pass; the others (BAD_REQUEST for SQL errors, ...) do not. */
const TRANSIENT_CODES = new Set([
  'INTERNAL_ERROR', 'TEMPORARILY_UNAVAILABLE', 'IO_ERROR', 'SERVICE_UNDER_MAINTENANCE', 'WORKSPACE_TEMPORARILY_UNAVAILABLE',
  'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED',
]);

/** A statement that ended FAILED on a transient condition; the activity retry submits it again. */
export class StatementFailedTransiently extends Error {
  override name = 'DatabricksStatementFailed';
}

const FIRST_POLL_MS = 250;
const CANCEL_TIMEOUT_MS = 5_000;

export function isRunning(s: Statement): boolean {
  return s.status.state === 'PENDING' || s.status.state === 'RUNNING';
}

export class StatementApi {
  constructor(
    private readonly config: DatabricksReadConfig,
    private readonly ctx: ConnectorContext,
  ) {}

  private base(): string {
    return this.config.host.replace(/\/+$/, '');
  }

  private async call(method: string, path: string, options: { body?: unknown; accept?: number[]; timeoutMs?: number; once?: boolean } = {}): Promise<HttpResult> {
    const call: HttpCall = {
      method,
      url: new URL(this.base() + path),
      headers: { authorization: `Bearer ${this.config.token}`, accept: 'application/json', ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      timeoutMs: options.timeoutMs ?? this.config.timeout,
      retry: options.once ? { maxAttempts: 1, initialDelay: 0, maxDelay: 0 } : this.config.retry,
      authHint: 'config.token',
      redact: [this.config.token],
      ...(options.accept ? { accept: options.accept } : {}),
    };
    return request(call, this.ctx);
  }

  private parse<T>(schema: z.ZodType<T>, res: HttpResult, method: string): T {
    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      doc = undefined;
    }
    const parsed = schema.safeParse(doc);
    if (!parsed.success) {
      throw new ConfigError(`config.host: ${describeRequest(method, res.url)} did not answer like the Databricks SQL Statement Execution API: ${excerpt(res.body, [this.config.token], 120)}`);
    }
    return parsed.data;
  }

  /** Submits the query; the answer holds the result when it finished within waitTimeout. */
  async submit(): Promise<Statement> {
    const c = this.config;
    const body = {
      statement: c.query,
      warehouse_id: c.warehouseId,
      ...(c.catalog ? { catalog: c.catalog } : {}),
      ...(c.schema ? { schema: c.schema } : {}),
      ...(c.parameters
        ? { parameters: c.parameters.map((p) => ({ name: p.name, ...(p.value === null ? {} : { value: String(p.value) }), ...(p.type ? { type: p.type } : {}) })) }
        : {}),
      wait_timeout: c.waitTimeout,
      on_wait_timeout: 'CONTINUE',
      disposition: 'INLINE',
      format: 'JSON_ARRAY',
    };
    const res = await this.call('POST', '/api/2.0/sql/statements', { body, timeoutMs: parseInt(c.waitTimeout, 10) * 1000 + c.timeout });
    return this.parse(statementResponse, res, 'POST');
  }

  /** The statement, or null when it is gone (404) or can no longer give results (CANCELED, CLOSED). */
  async find(id: string): Promise<Statement | null> {
    const res = await this.call('GET', `/api/2.0/sql/statements/${encodeURIComponent(id)}`, { accept: [404] });
    if (res.status === 404) return null;
    const s = this.parse(statementResponse, res, 'GET');
    return s.status.state === 'CANCELED' || s.status.state === 'CLOSED' ? null : s;
  }

  /** Polls until the statement leaves PENDING/RUNNING, slowing down to maxPollInterval; throws StopRequested on pause. */
  async settle(statement: Statement): Promise<Statement> {
    let s = statement;
    let delay = Math.min(FIRST_POLL_MS, this.config.maxPollInterval);
    while (isRunning(s)) {
      await sleep(delay, this.ctx.signal);
      delay = Math.min(Math.round(delay * 1.5), this.config.maxPollInterval);
      const res = await this.call('GET', `/api/2.0/sql/statements/${encodeURIComponent(s.statement_id)}`);
      s = this.parse(statementResponse, res, 'GET');
    }
    if (s.status.state === 'SUCCEEDED') return s;
    const err = s.status.error;
    const detail = `${err?.message ?? 'no message'}${err?.error_code ? ` [${err.error_code}${s.status.sql_state ? `, SQLSTATE ${s.status.sql_state}` : ''}]` : ''}`;
    const message = `Databricks statement ${s.status.state === 'FAILED' ? 'failed' : `was ${s.status.state.toLowerCase()}`}: ${detail}`;
    if (s.status.state === 'FAILED' && err?.error_code && TRANSIENT_CODES.has(err.error_code)) throw new StatementFailedTransiently(message);
    throw new ConfigError(message);
  }

  /** Result chunk `index`; null when the statement's results are gone (404). */
  async chunk(id: string, index: number): Promise<ResultData | null> {
    const res = await this.call('GET', `/api/2.0/sql/statements/${encodeURIComponent(id)}/result/chunks/${index}`, { accept: [404] });
    if (res.status === 404) return null;
    return this.parse(resultData, res, 'GET');
  }

  /** Asks Databricks to stop the statement; best effort, one try (it runs on the way out of a pause). */
  async cancel(id: string): Promise<void> {
    try {
      await this.call('POST', `/api/2.0/sql/statements/${encodeURIComponent(id)}/cancel`, { body: {}, once: true, timeoutMs: CANCEL_TIMEOUT_MS });
      this.ctx.log.info({ statementId: id }, 'cancelled the running Databricks statement');
    } catch (err) {
      this.ctx.log.warn({ statementId: id, error: (err as Error).message }, 'could not cancel the Databricks statement');
    }
  }

  /** The warehouse, for check(): a cheap authenticated call that does not start the warehouse. */
  async warehouse(): Promise<{ state?: string }> {
    const res = await this.call('GET', `/api/2.0/sql/warehouses/${encodeURIComponent(this.config.warehouseId)}`, { accept: [404], once: true, timeoutMs: Math.min(this.config.timeout, 10_000) });
    if (res.status === 404) throw new ConfigError(`config.warehouseId: there is no SQL warehouse "${this.config.warehouseId}" in this workspace (or the token may not see it)`);
    return this.parse(z.looseObject({ state: z.string().optional() }), res, 'GET');
  }
}
