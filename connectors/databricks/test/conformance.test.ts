// databricks.read through the connector conformance suite (test/conformance), against the
// Statement Execution API mock (mock.ts): a 5-chunk result (and, as a variant, the same result of a
// statement that is polled while it runs), a result with values that do not fit their column
// types, and broken configs (unreachable host, wrong token, unknown warehouse).
import type { Row } from '../../../src/kit/index.js';
import { conformance } from '../../../test/conformance/index.js';
import { databricks } from '../index.js';
import { ALL_TYPE_COLUMNS, allTypesRaw, startDatabricksMock, type StatementScript } from './mock.js';

const TOKEN = 'dapi-conformance-3b9f1d2e7c';
const CHUNKS = 5;
const PER_CHUNK = 4;

const COLUMNS = ALL_TYPE_COLUMNS;

/** Row i (1-based) as Databricks sends it. */
const raw = (i: number): (string | null)[] => allTypesRaw(i, i % 7 === 0 ? null : `row ${i}, "quoted"`);

/** Row i as databricks.read hands it over: bigint and decimal as exact text, arrays as json. */
function row(i: number): Row {
  const r = raw(i);
  return { id: r[0], qty: i, amount: r[2], ratio: i / 8, ok: i % 2 === 0, day: r[5], at: r[6], label: r[7], tags: [`t${i}`, 'x'] };
}

function chunked(chunks: number, perChunk: number): (string | null)[][][] {
  return Array.from({ length: chunks }, (_, c) => Array.from({ length: perChunk }, (_, j) => raw(c * perChunk + j + 1)));
}

conformance(databricks, async () => {
  const mock = await startDatabricksMock({ token: TOKEN });
  const scripts: Record<string, StatementScript> = {
    'SELECT * FROM conformance.items ORDER BY id': { columns: COLUMNS, chunks: chunked(CHUNKS, PER_CHUNK) },
    'SELECT * FROM conformance.slow_items ORDER BY id': { columns: COLUMNS, chunks: chunked(CHUNKS, PER_CHUNK), pendingPolls: 1, runningPolls: 1 },
    // qty "many" is not an INT, ok "maybe" not a BOOLEAN.
    'SELECT * FROM conformance.bad_items ORDER BY id': {
      columns: COLUMNS,
      chunks: [
        [raw(1), raw(2).map((v, k) => (k === 1 ? 'many' : v)), raw(3)],
        [raw(4).map((v, k) => (k === 4 ? 'maybe' : v)), raw(5), raw(6)],
      ],
    },
  };
  for (const [sql, script] of Object.entries(scripts)) mock.scripts.set(sql, script);
  const base = { host: mock.url, token: { $secret: 'DBX_CONFORMANCE_TOKEN' }, warehouseId: mock.warehouseId };

  return {
    secrets: { DBX_CONFORMANCE_TOKEN: TOKEN, DBX_CONFORMANCE_WRONG_TOKEN: 'dapi-wrong-9e8d7c6b5a' },
    nodes: {
      read: {
        kind: 'source',
        config: { ...base, query: 'SELECT * FROM conformance.items ORDER BY id' },
        rows: Array.from({ length: CHUNKS * PER_CHUNK }, (_, k) => row(k + 1)),
        variants: { 'polled while it runs': { ...base, query: 'SELECT * FROM conformance.slow_items ORDER BY id', waitTimeout: '0s', maxPollInterval: '300ms' } },
        bad: { config: { ...base, query: 'SELECT * FROM conformance.bad_items ORDER BY id' }, positions: ['chunk 0 row 2', 'chunk 1 row 4'] },
        broken: [
          { why: 'an unreachable host', config: { ...base, host: 'http://127.0.0.1:1', query: 'SELECT 1' }, names: 'config.host' },
          { why: 'a wrong token', config: { ...base, token: { $secret: 'DBX_CONFORMANCE_WRONG_TOKEN' }, query: 'SELECT 1' }, names: 'config.token' },
          { why: 'an unknown warehouse', config: { ...base, warehouseId: 'no-such-warehouse', query: 'SELECT 1' }, names: 'config.warehouseId' },
        ],
        invalid: [
          { config: { ...base, host: 'dbc-1234.cloud.databricks.com', query: 'SELECT 1' }, path: 'config.host' },
          { config: { ...base, query: 'SELECT 1', waitTimeout: '60s' }, path: 'config.waitTimeout' },
        ],
      },
    },
    close: () => mock.close(),
  };
});
