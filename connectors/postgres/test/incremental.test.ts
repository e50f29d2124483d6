// Incremental postgres.read through the REST API, on a real metadata store, PostgreSQL and
// Temporal: a run saves its high-water mark only when it succeeds, and the next run, started by
// the API with the saved marks, reads only the rows past it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { createStore } from '../../../src/store/store.js';
import type { Store } from '../../../src/store/types.js';
import type { RunProgress } from '../../../src/workflows/messages.js';
import { startTestApi, type TestApi } from '../../../test/helpers/api.js';
import { connectorTestEnv, type ConnectorTestEnv } from '../../../test/helpers/connector.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../../../test/helpers/env.js';
import { progressOf, spec, startRun, testActivities, testCatalog } from '../../../test/helpers/pipelines.js';
import { startWorker, workflowBundle } from '../../../test/helpers/worker.js';

let env: ConnectorTestEnv;
let meta: TestDatabase;
let store: Store;
let api: TestApi;
const connection = { $secret: 'INC_DB' };

async function seed(data: TestDatabase): Promise<void> {
  // 1000 events, ten per timestamp, so ties straddle the batches of 7.
  await data.pool.query(`CREATE TABLE events (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, payload text NOT NULL)`);
  await data.pool.query(`INSERT INTO events SELECT g, timestamp '2024-01-01 00:00:00.000001' + (g / 10) * interval '1 second', 'v1-' || g FROM generate_series(1, 1000) g`);
}

before(async () => {
  meta = await createTestDatabase('sluice_meta');
  store = await createStore(meta.url);
  env = await connectorTestEnv({
    queue: 'incremental',
    seed,
    // The central worker saves marks in the metadata database it finds at DATABASE_URL.
    workerEnv: (data) => ({ INC_DB: data.url, DATABASE_URL: meta.url }),
    worker: { extraActivities: testActivities },
  });
  api = await startTestApi({ store, client: env.client, taskQueue: env.taskQueue, catalog: testCatalog });
});

after(async () => {
  await api?.close();
  await env?.close();
  await store?.close();
  await meta?.drop();
});

type Json = Record<string, unknown>;

function pipeline(name: string, table: string, extra: Json[] = []): Json {
  return {
    name,
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection, table: 'events', incremental: { column: 'updated_at' }, batchSize: 7 } },
      { id: 'load', type: 'postgres.write', needs: ['extract'], config: { connection, table, mode: 'upsert', key: ['id'] } },
      ...extra,
    ],
  };
}

/** Registers `spec` (a new version when it differs from the latest) and runs it over REST to its end. */
async function runViaApi(s: Json): Promise<RunProgress> {
  const created = await api.call('POST', '/api/v1/pipelines', s);
  assert.ok(created.status === 201 || created.status === 200, JSON.stringify(created.json));
  const run = await api.call('POST', `/api/v1/pipelines/${s.name}/runs`, {});
  assert.equal(run.status, 201, JSON.stringify(run.json));
  const handle = env.client.workflow.getHandle(run.json.runId);
  await handle.result().catch(() => undefined);
  return progressOf(handle);
}

async function savedMark(name: string): Promise<{ run_id: string; state: { column: string; mark: string; key: Json } } | undefined> {
  const r = await meta.pool.query(`SELECT run_id, state FROM sluice.node_state WHERE pipeline = $1 AND node_id = 'extract'`, [name]);
  return r.rows[0];
}

async function sameAsEvents(table: string): Promise<number> {
  const r = await env.db.pool.query(
    `SELECT count(*)::int AS n FROM events e FULL JOIN ${table} d USING (id) WHERE d.id IS NULL OR e.id IS NULL OR d.payload <> e.payload OR d.updated_at <> e.updated_at`,
  );
  return r.rows[0].n;
}

test('an incremental read saves its mark when the run succeeds, and the next run reads only rows past it', async () => {
  const name = uniqueName('inc');
  const first = await runViaApi(pipeline(name, 'inc_dst'));
  assert.equal(first.status, 'completed', first.error ?? '');
  assert.equal(first.nodes.extract!.outputs!.rows, 1000);
  const mark1 = await savedMark(name);
  assert.ok(mark1, 'a mark was saved');
  assert.equal(mark1.run_id, first.runId);
  assert.equal(mark1.state.column, 'updated_at');
  assert.deepEqual(mark1.state.key, { id: '1000' });
  const top = await env.db.pool.query(`SELECT $1::timestamptz = max(updated_at) AS same FROM events`, [mark1.state.mark]);
  assert.equal(top.rows[0].same, true, `the mark ${mark1.state.mark} is the newest updated_at, to the microsecond`);

  // The save is one guarded activity at the run's end, and the history replays with today's code.
  const history = await env.client.workflow.getHandle(first.runId).fetchHistory();
  // (sluice.recordRun writes the run history as the run starts and closes.)
  const scheduled = (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []).filter((t) => t !== 'sluice.recordRun');
  assert.deepEqual(scheduled, ['postgres.read', 'postgres.write', 'sluice.saveState']);
  assert.ok((history.events ?? []).some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch'), 'the patch marker is recorded');
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);

  // New rows, updated rows, and rows sharing the mark's timestamp with a higher key.
  await env.db.pool.query(`INSERT INTO events SELECT g, timestamp '2024-02-01' + g * interval '1 millisecond', 'v1-' || g FROM generate_series(1001, 1030) g`);
  await env.db.pool.query(`UPDATE events SET updated_at = timestamp '2024-03-01', payload = 'changed' WHERE id <= 20`);
  await env.db.pool.query(`INSERT INTO events SELECT g, $1::timestamptz, 'tie-' || g FROM generate_series(2001, 2005) g`, [mark1.state.mark]);

  const second = await runViaApi(pipeline(name, 'inc_dst'));
  assert.equal(second.status, 'completed', second.error ?? '');
  assert.equal(second.nodes.extract!.outputs!.rows, 30 + 20 + 5, 'only new, updated and tied rows are read');
  assert.equal(await sameAsEvents('inc_dst'), 0, 'the destination matches the source');
  const mark2 = await savedMark(name);
  assert.equal(mark2?.run_id, second.runId);
  assert.deepEqual(mark2?.state.key, { id: '20' }, 'the mark is the last row of the newest timestamp');

  const third = await runViaApi(pipeline(name, 'inc_dst'));
  assert.equal(third.status, 'completed');
  assert.equal(third.nodes.extract!.outputs!.rows, 0, 'nothing new, nothing read');
  assert.deepEqual(await savedMark(name), mark2, 'a run that read nothing leaves the mark');
});

test('a failed run does not advance the mark, so the next run reads its rows again', async () => {
  const name = uniqueName('inc-fail');
  const ok = await runViaApi(pipeline(name, 'fail_dst'));
  assert.equal(ok.status, 'completed');
  const before = await savedMark(name);
  assert.ok(before);

  await env.db.pool.query(`INSERT INTO events SELECT g, timestamp '2024-04-01' + g * interval '1 second', 'late-' || g FROM generate_series(3001, 3040) g`);
  // recoveryWindow 0: the failed run closes at once instead of waiting for a retry in place.
  const failing = await runViaApi({ ...pipeline(name, 'fail_dst', [{ id: 'report', type: 'test.fail', needs: ['load'], config: { message: 'report failed' } }]), recoveryWindow: 0 });
  assert.equal(failing.status, 'failed');
  assert.equal(failing.nodes.extract!.outputs!.rows, 40, 'the failed run read the new rows');
  assert.ok(failing.nodes.extract!.outputs!.state, 'and reported a new mark');
  assert.deepEqual(await savedMark(name), before, 'which was not saved');

  const retried = await runViaApi(pipeline(name, 'fail_dst'));
  assert.equal(retried.status, 'completed');
  assert.equal(retried.nodes.extract!.outputs!.rows, 40, 'the rows of the failed run are read again');
  assert.equal((await savedMark(name))?.run_id, retried.runId);
  assert.equal(await sameAsEvents('fail_dst'), 0);
});

test('a central worker without a metadata database fails the run clearly rather than dropping the mark', async () => {
  const queue = uniqueName('inc-nodb');
  const { DATABASE_URL: _, ...noDb } = process.env;
  const bare = await startWorker(env.address, { namespace: env.namespace, taskQueue: queue, env: { ...noDb, INC_DB: env.db.url } });
  try {
    const s = spec(pipeline(uniqueName('inc-nodb'), 'nodb_dst'));
    const handle = await startRun(env.client, queue, s);
    await assert.rejects(handle.result());
    const closed = await handle.describe();
    const saveMs = closed.closeTime!.getTime() - Date.parse((await progressOf(handle)).nodes.load!.endedAt!);
    assert.ok(saveMs < 5000, `not retried (${saveMs}ms from the load's end to the run's end)`);
    const p = await progressOf(handle);
    assert.equal(p.status, 'failed');
    assert.equal(p.nodes.load!.state, 'succeeded');
    assert.match(p.error ?? '', /^node state not saved: cannot save the state of extract of pipeline inc-nodb-\w+: this central worker has no metadata database: set DATABASE_URL/);
  } finally {
    await bare.stop();
  }
});
