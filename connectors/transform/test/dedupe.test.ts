// transform.dedupe across a whole dataset on a real Temporal server and a real PostgreSQL: duplicates
// spread over many parts leave exactly one row per key (the first), also when the run is paused in
// the middle of the dedupe node and resumed, which rebuilds the seen keys from its staged output.
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { uniqueName, waitFor, type TestDatabase } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun } from '../../../test/helpers/pipelines.js';

const ROWS = 150_000;
const KEYS = 5000;
// Small parts: 3000 of them keep the dedupe node busy for a few seconds, so a pause lands in the middle.
const BATCH = 50;

let env: ConnectorTestEnv;

async function seed(db: TestDatabase): Promise<void> {
  // Key (account, day) repeats every KEYS rows, so every part after the first few holds only keys seen in earlier parts.
  await db.pool.query(`CREATE SCHEMA src; CREATE SCHEMA dw; CREATE TABLE src.events (id int PRIMARY KEY, account text NOT NULL, day int NOT NULL, payload text)`);
  await db.pool.query(
    `INSERT INTO src.events SELECT g, 'acct-' || (g % $2 % 1000), (g % $2) / 1000, md5(g::text) FROM generate_series(1, $1) g`,
    [ROWS, KEYS],
  );
}

before(async () => {
  env = await connectorTestEnv({ queue: 'dedupe', seed, workerEnv: (db) => ({ DEDUPE_TEST_DB: db.url }) });
});

after(() => env?.close());

function pipeline() {
  const table = `dw.${uniqueName('events').replace('-', '_')}`;
  const s = spec({
    name: uniqueName('dedupe'),
    nodes: [
      {
        id: 'extract',
        type: 'postgres.read',
        // Table mode pages by the primary key, so the order (and so which row is first) is by id.
        config: { connection: { $secret: 'DEDUPE_TEST_DB' }, table: 'src.events', batchSize: BATCH },
      },
      { id: 'unique', type: 'transform.dedupe', needs: ['extract'], config: { key: ['account', 'day'] } },
      { id: 'load', type: 'postgres.write', needs: ['unique'], config: { connection: { $secret: 'DEDUPE_TEST_DB' }, table, mode: 'append' } },
    ],
  });
  return { s, table };
}

/** The loaded table holds exactly the first row (lowest id) of every key, once. */
async function assertFirstPerKey(table: string): Promise<void> {
  const got = await env.db.pool.query(`select count(*)::int as n, count(distinct (account, day))::int as keys, min(id)::int as lo, max(id)::int as hi from ${table}`);
  assert.deepEqual(got.rows[0], { n: KEYS, keys: KEYS, lo: 1, hi: KEYS });
  const wrong = await env.db.pool.query(
    `select count(*)::int as n from ${table} t join (select account, day, min(id) as id from src.events group by 1, 2) f using (account, day) where t.id <> f.id`,
  );
  assert.equal(wrong.rows[0].n, 0, 'each key keeps its first row');
}

test('dedupe keeps exactly one row per key, the first, when duplicates are in different parts', async () => {
  const { s, table } = pipeline();
  const result = (await (await startRun(env.client, env.taskQueue, s)).result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.unique!.stats.rowsIn, ROWS);
  assert.equal(result.nodes.unique!.outputs!.rows, KEYS);
  assert.equal(result.nodes.unique!.outputs!.badRows, 0);
  await assertFirstPerKey(table);
});

test('pausing in the middle of dedupe and resuming keeps exactly one row per key (seen keys are restored)', async () => {
  const { s, table } = pipeline();
  const handle = await startRun(env.client, env.taskQueue, s);
  // Progress reports a node's counts when it stops; while it runs, its staged parts show how far it got.
  const parts = path.join(env.worker.stagingDir, handle.workflowId, 'unique');
  const staged = () => (fs.existsSync(parts) ? fs.readdirSync(parts).filter((f) => f.startsWith('part-')).length : 0);
  // Signal as soon as the node is under way: a pause reaches it with its next heartbeat, and it
  // must still have parts left by then.
  const deadline = Date.now() + 60_000;
  while (staged() < 2) {
    if (Date.now() > deadline) throw new Error('dedupe did not start within 60s');
    await new Promise((r) => setTimeout(r, 10));
  }
  await handle.signal('pause');
  const paused = await waitFor(async () => {
    const p = await progressOf(handle);
    return p.status === 'paused' && p.nodes.unique!.state === 'paused' ? p : null;
  }, 'the dedupe node to stop between parts');
  const stoppedAt = paused.nodes.unique!.stats.rowsIn;
  assert.ok(stoppedAt > 0 && stoppedAt < ROWS, `paused mid-node (${stoppedAt} of ${ROWS} rows read)`);
  assert.equal(stoppedAt % BATCH, 0, 'stopped at a part boundary');
  assert.equal(staged(), stoppedAt / BATCH, 'one output part per input part read');

  await handle.signal('resume');
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.unique!.outputs!.rows, KEYS);
  await assertFirstPerKey(table);
});
