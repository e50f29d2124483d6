// A small JSON API on 127.0.0.1 for http.read tests: the same items behind four pagination styles,
// scripted failures (429 with Retry-After, 503s), a bearer-token check, and a log of every request.
//
// Routes (all take `total` = number of items, default 50, and `delay` = ms before answering):
//   GET /items/page?page=N&per_page=S      -> { data: { items: [...] }, page }
//   GET /items/offset?offset=O&limit=L     -> { results: [...], total }
//   GET /items/cursor?cursor=C&size=S      -> { items: [...], meta: { next_cursor: "..." | null } }
//   GET /items/link?page=N&per_page=S      -> [...] with `Link: <...>; rel="next"` (absolute URL)
//   GET /items/extra?page=N&per_page=S     -> like /items/page, but items from page 2 on carry a new key
//   GET /items/mixed                       -> { data: { items: [ {...}, 42, "x", {...} ] } }
// Scripted failures, counted per `key` (so concurrent tests do not share counters):
//   fail=503:N        the first N requests answer 503
//   fail=429:N:S      the first N requests answer 429 with `Retry-After: S` (seconds)
//   fail=429date:N:S  the same with Retry-After as an HTTP date S seconds ahead
//   failAt=K          the failures start at the K-th such request (default 1), e.g. on page 3
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Item {
  id: number;
  name: string;
  price: number;
  active: boolean;
  tags: { group: string; rank: number };
  note: string | null;
}

/** Item `i` (1-based) of every route. */
export function item(i: number): Item {
  return { id: i, name: `item-${i}`, price: i * 1.25, active: i % 3 === 0, tags: { group: `g${i % 4}`, rank: i }, note: i % 5 === 0 ? null : `note ${i}` };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  status: number;
  /** ms since epoch, when the request arrived. */
  at: number;
}

export interface JsonApi {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose query has `key=<key>`. */
  requestsFor(key: string): RecordedRequest[];
  close(): Promise<void>;
}

function slice(total: number, from: number, count: number): Item[] {
  const out: Item[] = [];
  for (let i = from + 1; i <= Math.min(total, from + count); i++) out.push(item(i));
  return out;
}

/** Starts the API; with `token`, every request needs `Authorization: Bearer <token>`. */
export async function startJsonApi(options: { token?: string } = {}): Promise<JsonApi> {
  const requests: RecordedRequest[] = [];
  const failures = new Map<string, number>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = Object.fromEntries(url.searchParams);
    const entry: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: q, headers: req.headers, status: 0, at: Date.now() };
    requests.push(entry);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const answer = (): void => {
      if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
        // Echoes what it was given, as careless APIs do: the client must not repeat it in its errors.
        return send(401, { error: 'invalid credentials', presented: req.headers.authorization ?? null });
      }
      if (q.fail) {
        const [kind, times, seconds] = q.fail.split(':');
        const counter = `${q.key ?? ''}|${q.fail}`;
        const seen = (failures.get(counter) ?? 0) + 1;
        failures.set(counter, seen);
        const from = Number(q.failAt ?? 1);
        if (seen >= from && seen < from + Number(times)) {
          if (kind === '503') return send(503, { error: 'service unavailable' });
          const after = kind === '429date' ? new Date(Date.now() + Number(seconds) * 1000).toUTCString() : String(seconds);
          return send(429, { error: 'slow down' }, { 'retry-after': after });
        }
      }
      const total = Number(q.total ?? 50);
      const base = `http://${req.headers.host}${url.pathname}`;
      switch (url.pathname) {
        case '/items/page':
        case '/items/extra': {
          const page = Number(q.page ?? 1);
          const size = Number(q.per_page ?? 10);
          let items: object[] = slice(total, (page - 1) * size, size);
          if (url.pathname === '/items/extra' && page >= 2) items = items.map((it) => ({ ...it, discount: page / 10 }));
          return send(200, { data: { items }, page });
        }
        case '/items/offset': {
          const offset = Number(q.offset ?? 0);
          const limit = Number(q.limit ?? 10);
          return send(200, { results: slice(total, offset, limit), total });
        }
        case '/items/cursor': {
          const from = q.cursor ? Number(Buffer.from(q.cursor, 'base64url').toString()) : 0;
          const size = Number(q.size ?? 10);
          const next = from + size < total ? Buffer.from(String(from + size)).toString('base64url') : null;
          return send(200, { items: slice(total, from, size), meta: { next_cursor: next } });
        }
        case '/items/link': {
          const page = Number(q.page ?? 1);
          const size = Number(q.per_page ?? 10);
          const headers: Record<string, string> = {};
          if (page * size < total) {
            const next = new URL(base);
            for (const [k, v] of Object.entries(q)) next.searchParams.set(k, v);
            next.searchParams.set('page', String(page + 1));
            headers.link = `<${next.href}>; rel="next", <${base}?page=1>; rel="first"`;
          }
          return send(200, slice(total, (page - 1) * size, size), headers);
        }
        case '/items/mixed':
          return send(200, { data: { items: [item(1), 42, 'not an object', item(2), null] } });
        default:
          return send(404, { error: `no route ${url.pathname}` });
      }
    };
    const delay = Number(q.delay ?? 0);
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    requestsFor: (key) => requests.filter((r) => r.query.key === key),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
