// http.read through the connector conformance suite (test/conformance), against the local JSON API
// (json-api.ts) behind a bearer token: the same 20 items by page number, and as variants by offset,
// by cursor and by Link header; a page whose records are not all objects; and broken configs
// (unreachable host, wrong token, records path that is not there).
import type { Row } from '../../../src/kit/index.js';
import { conformance } from '../../../test/conformance/index.js';
import { http } from '../index.js';
import { item, startJsonApi } from './json-api.js';

const TOKEN = 'conformance-token-5d1e9b7a';
const TOTAL = 20;

/** Item i as http.read hands it over: whole numbers as bigint text, objects as json. */
function row(i: number): Row {
  const it = item(i);
  return { id: String(it.id), name: it.name, price: it.price, active: it.active, tags: it.tags, note: it.note };
}

conformance(http, async () => {
  const api = await startJsonApi({ token: TOKEN });
  const headers = { authorization: { $secret: 'HTTP_CONFORMANCE_AUTH' } };
  const query = { total: TOTAL };
  const page = { url: `${api.url}/items/page`, headers, query, records: 'data.items', pagination: { type: 'page', size: 4, sizeParam: 'per_page' } };

  return {
    secrets: { HTTP_CONFORMANCE_AUTH: `Bearer ${TOKEN}`, HTTP_CONFORMANCE_WRONG_AUTH: 'Bearer wrong-token-8c2f4e' },
    nodes: {
      read: {
        kind: 'source',
        config: page,
        rows: Array.from({ length: TOTAL }, (_, k) => row(k + 1)),
        variants: {
          offset: { url: `${api.url}/items/offset`, headers, query, records: 'results', pagination: { type: 'offset', limit: 6 } },
          cursor: { url: `${api.url}/items/cursor`, headers, query: { ...query, size: 5 }, records: 'items', pagination: { type: 'cursor', param: 'cursor', cursorPath: 'meta.next_cursor' } },
          link: { url: `${api.url}/items/link`, headers, query: { ...query, per_page: 5 }, pagination: { type: 'link' } },
        },
        bad: { config: { url: `${api.url}/items/mixed`, headers, records: 'data.items' }, positions: ['page 1 record 2', 'page 1 record 3', 'page 1 record 5'] },
        broken: [
          { why: 'an unreachable host', config: { ...page, url: 'http://127.0.0.1:1/items' }, names: 'config.url' },
          { why: 'a wrong token', config: { ...page, headers: { authorization: { $secret: 'HTTP_CONFORMANCE_WRONG_AUTH' } } }, names: 'config.headers' },
          { why: 'a records path that is not in the answer', config: { ...page, records: 'data.nope' }, names: 'config.records' },
        ],
        invalid: [
          { config: { url: 'ftp://example.com/items' }, path: 'config.url' },
          { config: { url: `${api.url}/items/offset`, pagination: { type: 'offset' } }, path: 'config.pagination.limit' },
        ],
      },
    },
    close: () => api.close(),
  };
});
