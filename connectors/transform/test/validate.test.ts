// transform.validate between postgres.read and postgres.write on a real Temporal server and a real
// PostgreSQL: invalid rows go to the node's dead-letter dataset with reasons and positions, and the
// node fails only past its maxBadRecords / maxBadRatio, with a message naming the count and the limit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { isDatasetRef, type Row } from '../../../src/kit/dataset.js';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, type TestDatabase } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';

const ROWS = 1000;
const BATCH = 100;
// One invalid row in each of seven different parts, so the running count is known at every part.
const INVALID: Record<number, { set: string; reason: string }> = {
  5: { set: `email = 'no-at-sign'`, reason: 'email: "no-at-sign" does not match ^[^@]+@[^@]+$' },
  150: { set: `amount = -3`, reason: 'amount: "-3.00" is below min 0' },
  250: { set: `status = 'lost'`, reason: 'status: "lost" is not one of paid, shipped' },
  350: { set: `email = NULL, status = 'x'`, reason: 'email: is required; status: "x" is not one of paid, shipped' },
  450: { set: `amount = 20000`, reason: 'amount: "20000.00" is above max 10000' },
  550: { set: `email = 'a@b@c'`, reason: 'email: "a@b@c" does not match ^[^@]+@[^@]+$' },
  650: { set: `amount = -1, status = 'void'`, reason: 'amount: "-1.00" is below min 0; status: "void" is not one of paid, shipped' },
};
const BAD = Object.keys(INVALID).length;

let env: ConnectorTestEnv;

async function seed(db: TestDatabase): Promise<void> {
  await db.pool.query(`CREATE SCHEMA src; CREATE TABLE src.orders (id int PRIMARY KEY, email text, amount numeric(10,2), status text)`);
  await db.pool.query(
    `INSERT INTO src.orders SELECT g, 'user' || g || '@example.com', (g % 500) + 0.5, CASE WHEN g % 2 = 0 THEN 'paid' ELSE 'shipped' END FROM generate_series(1, $1) g`,
    [ROWS],
  );
  for (const [id, { set }] of Object.entries(INVALID)) await db.pool.query(`UPDATE src.orders SET ${set} WHERE id = $1`, [Number(id)]);
}

before(async () => {
  env = await connectorTestEnv({ queue: 'validate', seed, workerEnv: (db) => ({ VALIDATE_TEST_DB: db.url }) });
});

after(() => env?.close());

function pipeline(limits: { maxBadRecords?: number; maxBadRatio?: number }) {
  const table = `dw.${uniqueName('orders').replace('-', '_')}`;
  const s = spec({
    name: uniqueName('validate'),
    nodes: [
      {
        id: 'extract',
        type: 'postgres.read',
        config: { connection: { $secret: 'VALIDATE_TEST_DB' }, query: 'select id, email, amount, status from src.orders order by id', batchSize: BATCH },
      },
      {
        id: 'check',
        type: 'transform.validate',
        needs: ['extract'],
        ...limits,
        config: {
          fields: {
            id: { type: 'int', required: true },
            email: { type: 'string', required: true, pattern: '^[^@]+@[^@]+$' },
            amount: { type: 'numeric', min: 0, max: 10000 },
            status: { enum: ['paid', 'shipped'] },
          },
          allowExtra: false,
        },
      },
      { id: 'load', type: 'postgres.write', needs: ['check'], config: { connection: { $secret: 'VALIDATE_TEST_DB' }, table, mode: 'append' } },
    ],
  });
  return { s, table };
}

async function readAll(ref: unknown): Promise<Row[]> {
  assert.ok(isDatasetRef(ref), 'outputs.rejected is a dataset reference');
  return env.stagedRows(ref);
}

async function failure(handle: Awaited<ReturnType<typeof startRun>>): Promise<RunProgress> {
  await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
  return progressOf(handle);
}

test('with maxBadRecords above the invalid rows the run completes, and the dead letters hold exactly those rows', async () => {
  await env.db.pool.query('CREATE SCHEMA IF NOT EXISTS dw');
  const { s, table } = pipeline({ maxBadRecords: 10 });
  const handle = await startRun(env.client, env.taskQueue, s);
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');

  const node = result.nodes.check!;
  assert.equal(node.outputs!.badRows, BAD);
  assert.equal(node.stats.badRows, BAD);
  assert.equal(node.stats.rowsIn, ROWS);
  assert.equal(node.outputs!.rows, ROWS - BAD);
  assert.equal(result.nodes.load!.outputs!.rows, ROWS - BAD);

  const rejected = await readAll(node.outputs!.rejected);
  const byId = new Map(rejected.map((r) => [(r.record as { id: number }).id, r]));
  assert.equal(rejected.length, BAD);
  assert.deepEqual([...byId.keys()].sort((a, b) => a - b), Object.keys(INVALID).map(Number));
  for (const [id, { reason }] of Object.entries(INVALID)) {
    const row = byId.get(Number(id))!;
    assert.equal(row.reason, reason, `reason of row ${id}`);
    const part = Math.floor((Number(id) - 1) / BATCH);
    assert.equal(row.position, `part ${part} row ${id}`, `position of row ${id}`);
  }

  const loaded = await env.db.pool.query(`select count(*)::int as n, count(*) filter (where id = any($1))::int as bad from ${table}`, [Object.keys(INVALID).map(Number)]);
  assert.deepEqual(loaded.rows[0], { n: ROWS - BAD, bad: 0 });
});

test('with maxBadRecords below the invalid rows the node fails, naming the count and the threshold', async () => {
  const { s } = pipeline({ maxBadRecords: 5 });
  const handle = await startRun(env.client, env.taskQueue, s);
  const p = await failure(handle);
  assert.equal(p.nodes.check!.state, 'failed');
  // The sixth invalid row is in the sixth part: the node stops there.
  assert.match(p.nodes.check!.error ?? '', /^6 bad records, more than maxBadRecords \(5\); first in this batch: part 5 row 550: email: "a@b@c" does not match/);
  assert.notEqual(p.nodes.load!.state, 'succeeded', 'nothing downstream runs');
});

test('with maxBadRatio below the share of invalid rows the node fails, naming both', async () => {
  const { s } = pipeline({ maxBadRatio: 0.005 });
  const p = await failure(await startRun(env.client, env.taskQueue, s));
  assert.equal(p.nodes.check!.state, 'failed');
  assert.equal(p.nodes.check!.error, `7 of 1000 records were bad (0.70%), more than maxBadRatio 0.005`);
});

test('with maxBadRatio above the share of invalid rows the run completes', async () => {
  const { s } = pipeline({ maxBadRatio: 0.01 });
  const result = (await startRun(env.client, env.taskQueue, s).then((h) => h.result())) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.check!.outputs!.badRows, BAD);
});
