// The request state of each pagination style: what the next request sends, and how a response
// gives the state after it. The state is part of the node's cursor (so of its checkpoint), so it
// holds positions only: never headers, and never a query value from the config (see linkState).
import { ConfigError } from '../../src/kit/index.js';
import { describeJson, valueAt } from './json-path.js';
import { linkTarget } from './link.js';
import type { HttpReadConfig } from './schema.js';

/** Position of the next request: a page number, an offset, a cursor, or a next link. */
export interface PageState {
  page?: number;
  offset?: number;
  cursor?: string;
  url?: string;
}

export interface FetchedPage {
  body: unknown;
  records: unknown[];
  headers: Headers;
  /** URL the page was fetched from. */
  url: string;
}

export function firstState(config: HttpReadConfig): PageState {
  const p = config.pagination;
  if (p.type === 'page') return { page: p.start };
  if (p.type === 'offset') return { offset: 0 };
  return {};
}

function setQuery(url: URL, query: HttpReadConfig['query'], onlyMissing: boolean): void {
  for (const [k, v] of Object.entries(query ?? {})) if (!onlyMissing || !url.searchParams.has(k)) url.searchParams.set(k, String(v));
}

/** The URL of the request for `state`. */
export function pageUrl(config: HttpReadConfig, state: PageState): URL {
  if (state.url !== undefined) {
    const url = new URL(state.url);
    // linkState took the config's query values out of the stored link; they go back on here.
    setQuery(url, config.query, true);
    return url;
  }
  const url = new URL(config.url);
  setQuery(url, config.query, false);
  const p = config.pagination;
  if (p.type === 'page') {
    url.searchParams.set(p.param, String(state.page ?? p.start));
    if (p.sizeParam && p.size !== undefined) url.searchParams.set(p.sizeParam, String(p.size));
  } else if (p.type === 'offset') {
    url.searchParams.set(p.param, String(state.offset ?? 0));
    url.searchParams.set(p.limitParam, String(p.limit));
  } else if (p.type === 'cursor' && state.cursor !== undefined) {
    url.searchParams.set(p.param, state.cursor);
  }
  return url;
}

/** For messages and logs: `page 3`, `offset 200`, ... */
export function describeState(state: PageState): string {
  if (state.page !== undefined) return `page ${state.page}`;
  if (state.offset !== undefined) return `offset ${state.offset}`;
  if (state.cursor !== undefined) return 'the next cursor';
  if (state.url !== undefined) return 'the next link';
  return 'the first page';
}

/**
 * A next link, as stored in the cursor: query parameters the config sets (an API key, say) are
 * dropped when the server echoes them unchanged, so no credential reaches the checkpoint, and put
 * back by pageUrl. Links to another origin are refused: the request headers belong to config.url's host.
 */
function linkState(config: HttpReadConfig, target: string, base: string): PageState {
  const url = new URL(target, base);
  const origin = new URL(config.url).origin;
  if (url.origin !== origin) {
    throw new ConfigError(`config.pagination: the next link points to ${url.origin}, not ${origin}; it is not followed, so the request headers stay with config.url's host`);
  }
  for (const [k, v] of Object.entries(config.query ?? {})) if (url.searchParams.get(k) === String(v)) url.searchParams.delete(k);
  return { url: url.href };
}

/** The state after `page`, or null when it was the last. */
export function nextState(config: HttpReadConfig, state: PageState, page: FetchedPage): PageState | null {
  const p = config.pagination;
  const n = page.records.length;
  switch (p.type) {
    case 'none':
      return null;
    case 'page':
      if (n === 0 || (p.size !== undefined && n < p.size)) return null;
      return { page: (state.page ?? p.start) + 1 };
    case 'offset':
      if (n < p.limit) return null;
      return { offset: (state.offset ?? 0) + n };
    case 'cursor': {
      const next = valueAt(page.body, p.cursorPath);
      if (next === undefined || next === null || next === '' || next === false) return null;
      if (typeof next !== 'string' && typeof next !== 'number') {
        throw new ConfigError(`config.pagination.cursorPath: expected a string or number at "${p.cursorPath}", found ${describeJson(next)}`);
      }
      // An API that hands back the cursor it was given would be read forever.
      if (String(next) === state.cursor) throw new ConfigError(`config.pagination.cursorPath: the API returned the same cursor it was sent; stopping instead of looping`);
      return { cursor: String(next) };
    }
    case 'link': {
      const target = linkTarget(page.headers.get('link'), 'next');
      return target === undefined ? null : linkState(config, target, page.url);
    }
  }
}
