// transform.map with computed fields feeding transform.filter, between postgres.read and postgres.write
// on a real Temporal server and a real PostgreSQL: the loaded rows are exactly what the same
// computation and condition give in SQL, with the computed columns' declared and inferred types.
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import assert from 'node:assert/strict';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, type TestDatabase } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';

const ROWS = 3000;
let env: ConnectorTestEnv;

async function seed(db: TestDatabase): Promise<void> {
  await db.pool.query(`CREATE SCHEMA src; CREATE SCHEMA dw;
    CREATE TABLE src.orders (id int PRIMARY KEY, first text, last text, amount numeric(10,2), quantity int, status text)`);
  await db.pool.query(
    `INSERT INTO src.orders SELECT g, 'first' || g, 'last' || (g % 17), (g % 300) + 0.25, CASE WHEN g % 500 = 0 THEN NULL ELSE g % 7 END,
       (ARRAY['paid', 'shipped', 'cancelled'])[1 + g % 3] FROM generate_series(1, $1) g`,
    [ROWS],
  );
}

before(async () => {
  env = await connectorTestEnv({ queue: 'filter', seed, workerEnv: (db) => ({ FILTER_TEST_DB: db.url }) });
});

after(() => env?.close());

test('computed fields and a filter load exactly the rows SQL computes, with the computed types', async () => {
  const s = spec({
    name: uniqueName('filter-compute'),
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'FILTER_TEST_DB' }, table: 'src.orders', batchSize: 400 } },
      {
        id: 'enrich',
        type: 'transform.map',
        needs: ['extract'],
        // quantity is NULL in every 500th row: amount * quantity fails there, and those rows are dead-lettered.
        maxBadRecords: 10,
        config: {
          cast: { amount: 'float' },
          compute: { total: { expr: 'amount * quantity', type: 'float' }, full_name: "first + ' ' + last", units: 'quantity * 2' },
          drop: ['first', 'last'],
        },
      },
      { id: 'keep', type: 'transform.filter', needs: ['enrich'], config: { where: 'total > 100.0 && status != "cancelled"' } },
      { id: 'load', type: 'postgres.write', needs: ['keep'], config: { connection: { $secret: 'FILTER_TEST_DB' }, table: 'dw.big_orders', mode: 'append' } },
    ],
  });
  const result = (await (await startRun(env.client, env.taskQueue, s)).result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.enrich!.outputs!.badRows, ROWS / 500);

  const expected = await env.db.pool.query(
    `select count(*)::int as n from src.orders where quantity is not null and amount::float8 * quantity > 100 and status <> 'cancelled'`,
  );
  assert.ok(expected.rows[0].n > 0 && expected.rows[0].n < ROWS - ROWS / 500, 'the filter keeps some rows and drops others');
  assert.equal(result.nodes.keep!.outputs!.rows, expected.rows[0].n);
  assert.equal(result.nodes.keep!.stats.rowsIn, ROWS - ROWS / 500);

  const diff = await env.db.pool.query(
    `select count(*)::int as n from
       (select id, first || ' ' || last as full_name, amount::float8 * quantity as total, quantity * 2 as units, status
          from src.orders where quantity is not null and amount::float8 * quantity > 100 and status <> 'cancelled') e
       full join dw.big_orders d using (id)
     where d.id is null or e.id is null or d.full_name <> e.full_name or d.total <> e.total or d.units <> e.units or d.status <> e.status
       or d.amount <> (select amount::float8 from src.orders o where o.id = d.id)`,
  );
  assert.equal(diff.rows[0].n, 0, 'every loaded row is an expected row with the expected values, and none is missing');

  const columns = await env.db.pool.query(
    `select column_name, data_type from information_schema.columns where table_schema = 'dw' and table_name = 'big_orders' order by ordinal_position`,
  );
  assert.deepEqual(
    columns.rows.map((r) => `${r.column_name} ${r.data_type}`),
    ['id integer', 'amount double precision', 'quantity integer', 'status text', 'total double precision', 'full_name text', 'units bigint'],
  );
});

test('a where naming a field the input does not have fails the node at start, with its path, without retrying', async () => {
  const s = spec({
    name: uniqueName('filter-unknown'),
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'FILTER_TEST_DB' }, table: 'src.orders', batchSize: 1000 } },
      { id: 'keep', type: 'transform.filter', needs: ['extract'], config: { where: 'stauts == "paid"' } },
    ],
  });
  const handle = await startRun(env.client, env.taskQueue, s);
  await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
  const p = await progressOf(handle);
  assert.equal(p.nodes.keep!.state, 'failed');
  assert.equal(p.nodes.keep!.attempt, 1, 'a config error is not retried');
  assert.match(p.nodes.keep!.error ?? '', /^config\.where: unknown field "stauts" \(did you mean "status"\?\); the input has: id, first, last, amount, quantity, status$/);
});
