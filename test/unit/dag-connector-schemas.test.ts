import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalog } from '../../src/catalog.js';
import { connectionSchema } from '../../src/kit/config.js';
import { controlSleepConfig } from '../../connectors/control/schema.js';
import { postgresReadConfig, postgresWriteConfig } from '../../connectors/postgres/schema.js';
import { transformMapConfig } from '../../connectors/transform/schema.js';

const PG = 'postgresql://etl@db/orders';

function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string[] {
  return (result.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('the catalog declares each node type with the dataset role of its kind', () => {
  const roles = new Map([...catalog.values()].map((d) => [d.type, [d.consumesDataset, d.producesDataset]]));
  assert.deepEqual(roles.get('postgres.read'), [false, true]);
  assert.deepEqual(roles.get('postgres.write'), [true, false]);
  assert.deepEqual(roles.get('transform.map'), [true, true]);
  assert.deepEqual(roles.get('control.sleep'), [false, false]);
  for (const def of catalog.values()) {
    assert.match(def.type, /^[a-z0-9_]+\.[a-z0-9_]+$/);
    assert.ok(def.description.length > 0, `${def.type} has a description`);
  }
});

test('a connection is a postgres URL', () => {
  assert.ok(connectionSchema.safeParse('postgres://u@h:5432/db').success);
  assert.ok(connectionSchema.safeParse(PG).success);
  assert.equal(connectionSchema.safeParse('mysql://u@h/db').success, false);
});

test('postgres.read defaults batchSize and accepts only scalar query params', () => {
  assert.deepEqual(postgresReadConfig.parse({ connection: PG, query: 'select 1' }), { connection: PG, query: 'select 1', batchSize: 5000, statementTimeout: 3_600_000, connectTimeout: 30_000 });
  assert.ok(postgresReadConfig.safeParse({ connection: PG, query: 'q', params: ['a', 1, true, null] }).success);
  assert.equal(postgresReadConfig.safeParse({ connection: PG, query: 'q', params: [{}] }).success, false);
  assert.equal(postgresReadConfig.safeParse({ connection: PG, query: '  ' }).success, false);
});

test('postgres.write defaults to append and requires a key for upsert', () => {
  assert.deepEqual(postgresWriteConfig.parse({ connection: PG, table: 'dw.orders' }), {
    connection: PG,
    table: 'dw.orders',
    mode: 'append',
    statementTimeout: 3_600_000,
    connectTimeout: 30_000,
  });
  assert.equal(postgresWriteConfig.safeParse({ connection: PG, table: 'dw.orders', batchSize: 10 }).success, false, 'batches are the input\'s parts: no batchSize');
  assert.deepEqual(issues(postgresWriteConfig.safeParse({ connection: PG, table: 'orders', mode: 'upsert' })), [
    'key: required when mode is upsert',
  ]);
  assert.ok(postgresWriteConfig.safeParse({ connection: PG, table: 'orders', mode: 'upsert', key: ['id'] }).success);
});

test('postgres.write accepts table names like orders or dw.orders only', () => {
  for (const table of ['orders', 'dw.orders', '_t1']) assert.ok(postgresWriteConfig.safeParse({ connection: PG, table }).success, table);
  for (const table of ['dw.orders.x', 'orders; drop table x', '1orders', '']) {
    assert.deepEqual(issues(postgresWriteConfig.safeParse({ connection: PG, table })), ['table: expected a table name like orders or dw.orders']);
  }
});

test('transform.map accepts known cast types only and no unknown keys', () => {
  assert.ok(transformMapConfig.safeParse({ rename: { a: 'b' }, drop: ['c'], cast: { d: 'timestamp' }, input: 'x' }).success);
  assert.equal(transformMapConfig.safeParse({ cast: { d: 'date' } }).success, false);
  assert.equal(transformMapConfig.safeParse({ renames: {} }).success, false);
});

test('control.sleep takes whole milliseconds up to seven days', () => {
  assert.ok(controlSleepConfig.safeParse({ ms: 0 }).success);
  assert.ok(controlSleepConfig.safeParse({ ms: 7 * 86_400_000 }).success);
  assert.equal(controlSleepConfig.safeParse({ ms: 7 * 86_400_000 + 1 }).success, false);
  assert.equal(controlSleepConfig.safeParse({ ms: 1.5 }).success, false);
  assert.equal(controlSleepConfig.safeParse({}).success, false);
});
