// postgres.read and postgres.write config as users write it: every wrong combination is reported
// with its path when the pipeline is validated, before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalog } from '../../../src/catalog.js';
import { postgresReadConfig } from '../schema.js';
import { validatePipeline } from '../../../src/dag/validate.js';

const PG = 'postgres://etl@db/orders';

function errorsOf(config: Record<string, unknown>): string[] {
  const result = validatePipeline({ name: 'p', nodes: [{ id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'DB' }, ...config } }] }, catalog);
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

test('postgres.read takes a query, or a table with optional columns, where, key and incremental', () => {
  assert.deepEqual(errorsOf({ query: 'select * from orders order by id' }), []);
  assert.deepEqual(errorsOf({ query: 'select * from orders', key: ['id'] }), []);
  assert.deepEqual(errorsOf({ table: 'dw.orders' }), []);
  assert.deepEqual(errorsOf({ table: 'orders', columns: ['id', 'updated_at', 'total'], where: 'total > $1', params: [10], key: ['id'], incremental: { column: 'updated_at' } }), []);
  assert.deepEqual(errorsOf({ query: 'select * from orders', key: ['id'], incremental: { column: 'updated_at' } }), []);
  assert.deepEqual(postgresReadConfig.parse({ connection: PG, table: 'orders' }), { connection: PG, table: 'orders', batchSize: 5000, statementTimeout: 3_600_000, connectTimeout: 30_000 });
});

test('postgres.read reports a missing or doubled source with its path', () => {
  assert.deepEqual(errorsOf({}), ['nodes[0].config.query: required unless table is set']);
  assert.deepEqual(errorsOf({ query: 'select 1', table: 'orders' }), ['nodes[0].config.table: set either query or table, not both']);
});

test('postgres.read rejects table-only options in query mode, and incremental queries without a key', () => {
  assert.deepEqual(errorsOf({ query: 'select * from orders', columns: ['id'], where: 'id > 3' }), [
    'nodes[0].config.columns: only with table; in query mode, write it into the query',
    'nodes[0].config.where: only with table; in query mode, write it into the query',
  ]);
  assert.deepEqual(errorsOf({ query: 'select * from orders', incremental: { column: 'updated_at' } }), [
    'nodes[0].config.key: required with query and incremental: a unique key that orders rows sharing an incremental.column value',
  ]);
});

test('postgres.read requires the selected columns to include what it pages by, and names columns plainly', () => {
  assert.deepEqual(errorsOf({ table: 'orders', columns: ['total'], key: ['id'], incremental: { column: 'updated_at' } }), [
    'nodes[0].config.columns: must include id, updated_at: the read pages by them',
  ]);
  assert.deepEqual(errorsOf({ table: 'orders', key: ['id', 'id'] }), ['nodes[0].config.key: lists id more than once']);
  assert.deepEqual(errorsOf({ table: 'orders', key: ['id; drop table x'] }), ['nodes[0].config.key[0]: expected a column name like id or updated_at']);
  assert.deepEqual(errorsOf({ table: 'orders', incremental: { column: 'updated_at', since: 3 } }), ['nodes[0].config.incremental.since: unknown key "since"']);
  assert.deepEqual(errorsOf({ table: 'orders x' }), ['nodes[0].config.table: expected a table name like orders or dw.orders']);
});
