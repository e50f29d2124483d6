// A node with `site:` runs only on that site's worker, with that site's secrets and staging store;
// until such a worker polls, the node waits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { progressOf, spec, startRun } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import type { RunProgress } from '../src/workflows/messages.js';
import type { DatasetRef } from '../src/kit/dataset.js';
import { StagingStore } from '../src/activities/staging.js';

let env: TemporalTestEnv;
let db: TestDatabase;
let central: RunningWorker;
let siteWorker: RunningWorker | null = null;
const taskQueue = uniqueName('site');
const site = uniqueName('acme');

before(async () => {
  env = await temporalEnv();
  db = await createTestDatabase();
  await db.pool.query(`CREATE TABLE source_rows AS SELECT g AS id, 'v' || g AS label FROM generate_series(1, 500) g`);
  // The central worker does not know the site's secret: only the site worker can run the read.
  const centralEnv = { ...process.env };
  delete centralEnv.ACME_DB;
  central = await startWorker(env.address, { namespace: env.namespace, taskQueue, env: centralEnv });
});

after(async () => {
  await siteWorker?.stop();
  await central?.stop();
  await env?.close();
  await db?.drop();
});

test('a site node waits for its site worker, then runs there with the site secret and staging store', async () => {
  const s = spec({
    name: uniqueName('site-run'),
    nodes: [
      { id: 'extract', type: 'postgres.read', site, config: { connection: { $secret: 'ACME_DB' }, query: 'select id, label from source_rows order by id', batchSize: 100 } },
      { id: 'load', type: 'postgres.write', site, needs: ['extract'], config: { connection: { $secret: 'ACME_DB' }, table: 'copied_rows' } },
    ],
  });
  const handle = await startRun(env.client, taskQueue, s);

  // No site worker yet: the activity is scheduled on the site queue and nobody picks it up.
  await waitFor(async () => (await handle.describe()).raw.pendingActivities?.length === 1, 'the site activity to be scheduled');
  await new Promise((r) => setTimeout(r, 2000));
  const pending = (await handle.describe()).raw.pendingActivities![0]!;
  assert.equal(pending.activityType?.name, 'postgres.read');
  assert.equal(String(pending.state), String(1), 'still SCHEDULED: no worker has started it'); // PENDING_ACTIVITY_STATE_SCHEDULED
  const waiting = await progressOf(handle);
  assert.equal(waiting.nodes.extract!.state, 'running');
  assert.equal(waiting.nodes.extract!.site, site);
  assert.equal(waiting.nodes.extract!.stats.rowsOut, 0);

  siteWorker = await startWorker(env.address, { namespace: env.namespace, taskQueue, site, env: { ...process.env, ACME_DB: db.url } });
  const result = (await handle.result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.nodes.load!.outputs!.rows, 500);

  const ref = result.nodes.extract!.outputs!.dataset as { uri: string; rows: number };
  const dir = fileURLToPath(ref.uri);
  assert.ok(dir.startsWith(siteWorker.stagingDir), `dataset ${dir} is in the site's staging store`);
  assert.ok(fs.existsSync(dir));
  assert.equal(fs.readdirSync(central.stagingDir).length, 0, 'nothing was staged on the central worker');
  const copied = await db.pool.query(`select count(*)::int as n from copied_rows`);
  assert.equal(copied.rows[0].n, 500);
});

test('a mapped site node runs every instance on the site worker; only their outputs reach the central dataset', async () => {
  siteWorker ??= await startWorker(env.address, { namespace: env.namespace, taskQueue, site, env: { ...process.env, ACME_DB: db.url } });
  const s = spec({
    name: uniqueName('site-mapped'),
    nodes: [
      {
        id: 'extract',
        type: 'postgres.read',
        site,
        forEach: [0, 1, 2],
        config: { connection: { $secret: 'ACME_DB' }, query: 'select id, label from source_rows where id % 3 = $1 order by id', params: ['{{ item }}'], batchSize: 100 },
      },
    ],
  });
  const result = (await (await startRun(env.client, taskQueue, s)).result()) as RunProgress;
  assert.equal(result.status, 'completed', result.error ?? '');
  assert.equal(result.nodes.extract!.stats.rowsOut, 500);
  const gathered = result.nodes.extract!.outputs!.dataset as DatasetRef;
  assert.ok(fileURLToPath(gathered.uri).startsWith(central.stagingDir), 'the gathered outputs are a central dataset');
  const rows = await new StagingStore(central.stagingDir).readPart(gathered, 0);
  assert.deepEqual(rows.map((r) => (r.outputs as { dataset: DatasetRef }).dataset.rows), [166, 167, 167]);
  for (const row of rows) {
    const instance = (row.outputs as { dataset: DatasetRef }).dataset;
    assert.ok(fileURLToPath(instance.uri).startsWith(siteWorker.stagingDir), `instance ${String(row.index)} staged on the site`);
    assert.match(instance.uri, /\/extract(%5B|\[)\d(%5D|\])\/?$/, 'each instance has its own dataset');
  }
});
