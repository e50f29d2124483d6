// http.read: pages through a JSON API, one page per batch. The cursor handed to the engine is the
// request state of the next page (plus the pages read and the columns so far), so a pause, retry
// or crash continues at the next page and never fetches a staged page again.
import { type ColumnSchema, ConfigError, type ConnectorContext, type SourceBatch, type SourceContext } from '../../src/kit/index.js';
import { StopRequested } from '../../src/kit/http/backoff.js';
import { describeRequest, excerpt, request, sensitiveValues, type RetryOptions } from '../../src/kit/http/client.js';
import { conformPage } from './infer.js';
import { describeJson, valueAt } from './json-path.js';
import { describeState, firstState, nextState, pageUrl, type FetchedPage, type PageState } from './pagination.js';
import type { HttpReadConfig } from './schema.js';

export interface HttpCursor {
  /** The next request, or null once the last page is staged. */
  next: PageState | null;
  pages: number;
  columns: ColumnSchema[];
}

function restoreCursor(config: HttpReadConfig, saved: unknown): HttpCursor {
  const c = saved as Partial<HttpCursor> | undefined;
  if (!c || typeof c !== 'object' || typeof c.pages !== 'number' || !Array.isArray(c.columns) || c.next === undefined) {
    return { next: firstState(config), pages: 0, columns: [] };
  }
  return { next: c.next, pages: c.pages, columns: c.columns };
}

/** Values that must not appear in quoted response bodies: header credentials and query values. */
export function redactions(config: HttpReadConfig): string[] {
  const query = Object.values(config.query ?? {}).map(String);
  return [...sensitiveValues(config.headers), ...query].sort((a, b) => b.length - a.length);
}

/** Fetches the page for `state` and finds its records. */
export async function fetchPage(
  config: HttpReadConfig,
  state: PageState,
  ctx: ConnectorContext,
  limits: { timeoutMs: number; retry: RetryOptions } = { timeoutMs: config.timeout, retry: config.retry },
): Promise<FetchedPage> {
  const url = pageUrl(config, state);
  const headers: Record<string, string> = { accept: 'application/json', ...config.headers };
  let body: string | undefined;
  if (config.method === 'POST') {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(config.body ?? {});
  }
  const redact = redactions(config);
  const res = await request({ method: config.method, url, headers, body, timeoutMs: limits.timeoutMs, retry: limits.retry, authHint: 'config.headers', redact }, ctx);
  let doc: unknown;
  try {
    doc = JSON.parse(res.body);
  } catch {
    const type = res.headers.get('content-type') ?? 'no content type';
    throw new ConfigError(`${describeRequest(config.method, url)} (${describeState(state)}) did not answer JSON (${type}): ${excerpt(res.body, redact, 120)}`);
  }
  const found = config.records === undefined ? doc : valueAt(doc, config.records);
  if (found === null) return { body: doc, records: [], headers: res.headers, url: res.url || url.href };
  if (!Array.isArray(found)) {
    const where = config.records === undefined ? 'the response itself is not an array; set config.records to the path of the array' : `config.records: no array at "${config.records}"`;
    throw new ConfigError(`${where} in the answer of ${describeRequest(config.method, url)} (${describeState(state)}), found ${describeJson(found)}`);
  }
  return { body: doc, records: found, headers: res.headers, url: res.url || url.href };
}

export async function* read(config: HttpReadConfig, ctx: SourceContext): AsyncIterable<SourceBatch> {
  let cursor = restoreCursor(config, ctx.cursor);
  while (cursor.next !== null) {
    const state = cursor.next;
    let page: FetchedPage;
    try {
      page = await fetchPage(config, state, ctx);
    } catch (err) {
      if (!(err instanceof StopRequested)) throw err;
      // Stopped between tries: nothing new is staged, and the checkpoint keeps this page as the next one.
      yield { rows: [], cursor };
      throw new Error('http.read was resumed after it was asked to stop');
    }
    const number = cursor.pages + 1;
    const last = config.maxPages !== undefined && number >= config.maxPages;
    const next = last ? null : nextState(config, state, page);
    const { rows, bad, columns } = conformPage(page.records, cursor.columns, config.types, (i) => `page ${number} record ${i + 1}`);
    cursor = { next, pages: number, columns };
    ctx.log.debug({ page: number, records: page.records.length, more: next !== null }, 'http.read page');
    yield { rows, bad, cursor, ...(columns.length > 0 ? { schema: columns } : {}) };
  }
}
