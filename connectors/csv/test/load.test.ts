// csv.read (and jsonl.read beside it) feeding postgres.write on a real Temporal server and a real
// PostgreSQL: exact values, gzip, and config errors. Malformed JSON lines: connectors/jsonl/test/load.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { WorkflowFailedError } from '@temporalio/client';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun, testCatalog } from '../../../test/helpers/pipelines.js';
import { validatePipeline } from '../../../src/dag/validate.js';
import type { RunProgress } from '../../../src/workflows/messages.js';

let env: ConnectorTestEnv;

before(async () => {
  env = await connectorTestEnv({ queue: 'csv-load', workerEnv: (db) => ({ FILES_DB: db.url }), tempDir: 'sluice-csv-load-' });
});

after(() => env?.close());

const DB = { $secret: 'FILES_DB' };

// Quotes, delimiters and line breaks inside fields, empty (null) vs "" (empty string), unicode,
// a BOM, CRLF line endings, and values whose exact text matters (numeric scale, microseconds).
const ORDERS_CSV =
  '\uFEFFid,customer,amount,created_at,paid,meta,note,ref\r\n' +
  '1,"Smith, Jane",12.50,2024-01-02 03:04:05.123456+00,true,"{""tags"":[""a"",""b""]}","said ""hi""",\r\n' +
  '2,Zoë Łukasiewicz,,2024-02-29T12:00:00Z,f,,"",x\r\n' +
  '3,日本語 テキスト 🦀,-0.001,2024-03-01 00:00:00+05:30,,"[1,2]","two\r\nlines, and a comma",""\r\n';

const EXPECTED = [
  { id: '1', customer: 'Smith, Jane', amount: '12.50', created_at: '2024-01-02 03:04:05.123456+00', paid: true, meta: { tags: ['a', 'b'] }, note: 'said "hi"', ref: null },
  { id: '2', customer: 'Zoë Łukasiewicz', amount: null, created_at: '2024-02-29 12:00:00+00', paid: false, meta: null, note: '', ref: 'x' },
  { id: '3', customer: '日本語 テキスト 🦀', amount: '-0.001', created_at: '2024-02-29 18:30:00+00', paid: null, meta: [1, 2], note: 'two\r\nlines, and a comma', ref: '' },
];
const TYPES = { id: 'bigint', amount: 'numeric', created_at: 'timestamp', paid: 'boolean', meta: 'json' };

async function loaded(table: string): Promise<Record<string, unknown>[]> {
  const { rows } = await env.db.pool.query(
    `SELECT id::text, customer, amount::text, (created_at AT TIME ZONE 'UTC')::text || '+00' AS created_at, paid, meta, note, ref FROM ${table} ORDER BY id`,
  );
  return rows;
}

async function run(nodes: unknown[], extra: Record<string, unknown> = {}): Promise<RunProgress> {
  const handle = await startRun(env.client, env.taskQueue, spec({ name: uniqueName('files'), nodes, ...extra }));
  return (await handle.result()) as RunProgress;
}

describe('file sources into postgres.write', () => {
  test('a CSV with quotes, commas, line breaks, empty values and unicode loads exactly, typed columns included', async () => {
    const file = path.join(env.dir, 'orders.csv');
    fs.writeFileSync(file, ORDERS_CSV);
    const result = await run([
      { id: 'extract', type: 'csv.read', config: { path: file, types: TYPES } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection: DB, table: 'csv_orders' } },
    ]);
    assert.equal(result.status, 'completed');
    assert.equal(result.nodes.extract!.outputs!.rows, 3);
    assert.equal(result.nodes.load!.outputs!.rows, 3);
    assert.deepEqual(await loaded('csv_orders'), EXPECTED);
    const columns = await env.db.pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'csv_orders' ORDER BY ordinal_position`);
    assert.deepEqual(
      columns.rows.map((r) => r.data_type),
      ['bigint', 'text', 'numeric', 'timestamp with time zone', 'boolean', 'jsonb', 'text', 'text'],
    );
  });

  test('gzip CSV (detected from the content) and gzip JSON lines (named .gz) load the same rows', async () => {
    const csvFile = path.join(env.dir, 'orders-csv.data');
    fs.writeFileSync(csvFile, zlib.gzipSync(ORDERS_CSV));
    const jsonlFile = path.join(env.dir, 'orders.jsonl.gz');
    const jsonl = EXPECTED.map((r, i) => JSON.stringify({ ...r, id: Number(r.id), created_at: i === 2 ? '2024-03-01 00:00:00+05:30' : i === 0 ? '2024-01-02 03:04:05.123456+00' : '2024-02-29T12:00:00Z' })).join('\n');
    fs.writeFileSync(jsonlFile, zlib.gzipSync(jsonl + '\n'));
    const result = await run([
      { id: 'csv', type: 'csv.read', config: { path: csvFile, types: TYPES, batchSize: 2 } },
      { id: 'jsonl', type: 'jsonl.read', config: { path: jsonlFile, types: { amount: 'numeric', created_at: 'timestamp' }, batchSize: 2 } },
      { id: 'load_csv', type: 'postgres.write', needs: ['csv'], config: { connection: DB, table: 'gz_csv' } },
      { id: 'load_jsonl', type: 'postgres.write', needs: ['jsonl'], config: { connection: DB, table: 'gz_jsonl' } },
    ]);
    assert.equal(result.status, 'completed');
    assert.equal(result.nodes.csv!.outputs!.rows, 3);
    assert.equal(result.nodes.jsonl!.outputs!.rows, 3);
    assert.deepEqual(await loaded('gz_csv'), EXPECTED);
    assert.deepEqual(await loaded('gz_jsonl'), EXPECTED);
  });
});

describe('bad config', () => {
  test('a file source without path is refused by validation at config.path', () => {
    const result = validatePipeline({ name: 'no-path', nodes: [{ id: 'r', type: 'csv.read', config: { header: true } }] }, testCatalog);
    assert.equal(result.ok, false);
    assert.deepEqual(
      !result.ok && result.errors.map((e) => e.path),
      ['nodes[0].config.path'],
    );
  });

  test('a run whose config has no path, or names a missing file, fails at once with config.path and no retry', async () => {
    const missing = path.join(env.dir, 'no-such.csv');
    const cases = [
      { node: { id: 'missing', type: 'csv.read', config: { path: missing } }, error: `config.path: ${missing}: does not exist` },
      // What a client that skips validation would send: the worker still refuses it by path.
      { node: { id: 'nopath', type: 'jsonl.read', config: { path: 'dropped below' } }, error: 'config.path: Invalid input: expected string, received undefined' },
    ];
    for (const c of cases) {
      const s = spec({ name: uniqueName('files-config'), defaults: { retry: { maximumAttempts: 5, initialInterval: '100ms' } }, nodes: [c.node] });
      if (c.node.id === 'nopath') delete (s.nodes[0]!.config as Record<string, unknown>).path;
      const handle = await startRun(env.client, env.taskQueue, s);
      await assert.rejects(handle.result(), WorkflowFailedError);
      const node = (await progressOf(handle)).nodes[c.node.id]!;
      assert.equal(node.state, 'failed');
      assert.equal(node.attempt, 1, `${c.node.id} is not retried`);
      assert.equal(node.error, c.error);
    }
  });
});
