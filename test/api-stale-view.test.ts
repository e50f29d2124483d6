// GET /runs/{id} while no worker runs the workflow: the view comes from Temporal's history, the
// execution's search attributes and the last heartbeats, marked stale, in well under a second,
// and says what the workflow itself would (node states, attempts, outputs, errors). Payloads are
// encrypted here, as with SLUICE_PAYLOAD_KEYS, so results, heartbeats and failure messages must be
// decoded through the API's data converter. Real API, PostgreSQL, Temporal server and workers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { Context } from '@temporalio/activity';
import { makeCatalog } from '../src/dag/catalog.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import { payloadDataConverter } from '../src/codec/data-converter.js';
import { parsePayloadKeys } from '../src/codec/keys.js';
import type { NodeHeartbeat, NodeTaskResult } from '../src/workflows/node-task.js';
import { createTestDatabase, temporalEnv, uniqueName, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { testActivities, testCatalog } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';
import { bestOfTwo } from './helpers/hostile.js';

/**
 * The target is 1 s (docs/api.md); the suite shares two cores with other test files, so by default
 * the bound is looser, yet far below the ~5 s the route took before it answered without a worker.
 * SLUICE_STRICT_TIMING=1 asserts the target itself (as test/helpers/hostile.ts does).
 */
const STALE_LIMIT_MS = process.env.SLUICE_STRICT_TIMING === '1' ? 1000 : 1500;

const parsed = parsePayloadKeys(`stale:${crypto.randomBytes(32).toString('base64')}`);
if (!parsed.ok) throw new Error(parsed.errors.join('; '));
const dataConverter = payloadDataConverter(parsed.keyring)!;

/** test.hold: heartbeats growing row counts every 100 ms until it is cancelled (at most 2 minutes). */
const holdActivity = async (): Promise<NodeTaskResult> => {
  const ctx = Context.current();
  for (let i = 1; i <= 1200; i++) {
    const stats = { rowsIn: i * 10, rowsOut: i * 10 };
    const hb: NodeHeartbeat = { ...stats, checkpoint: i, stats };
    ctx.heartbeat(hb);
    await ctx.sleep(100); // rejects once the activity is cancelled (e.g. its run was terminated)
  }
  return { status: 'done', outputs: {}, stats: { rowsIn: 12_000, rowsOut: 12_000 }, attempt: ctx.info.attempt };
};

const catalog = makeCatalog([
  ...testCatalog.values(),
  { type: 'test.hold', description: 'heartbeats row counts until cancelled', config: z.object({}), consumesDataset: false, producesDataset: false },
]);

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let api: TestApi;
let siteWorker: RunningWorker;
const taskQueue = uniqueName('stale-view');
const site = uniqueName('plant');

before(async () => {
  [env, db] = await Promise.all([temporalEnv({ dataConverter }), createTestDatabase()]);
  store = await createStore(db.url);
  api = await startTestApi({ store, client: env.client, taskQueue, catalog });
  siteWorker = await startWorker(env.address, { namespace: env.namespace, taskQueue, site, extraActivities: { 'test.hold': holdActivity }, dataConverter });
});

after(async () => {
  await api?.close();
  await siteWorker?.stop();
  await store?.close();
  await db?.drop();
  await env?.close();
});

type Json = any;

/** A central worker (the workflow and central nodes) until stop(). */
function centralWorker(): Promise<RunningWorker> {
  return startWorker(env.address, { namespace: env.namespace, taskQueue, extraActivities: testActivities, dataConverter });
}



async function timedView(runId: string): Promise<{ status: number; json: Json; ms: number }> {
  const start = performance.now();
  const r = await api.call('GET', `/api/v1/runs/${runId}`);
  return { status: r.status, json: r.json, ms: performance.now() - start };
}

test('with no worker running the workflow, a running run answers 200 within a second from history, marked stale, each node in its state', async () => {
  const central = await centralWorker();
  let runId = '';
  try {
    runId = await api.startPipelineRun(
      {
        name: uniqueName('stale-running'),
        params: { extra: { type: 'boolean', default: false } },
        nodes: [
          { id: 'first', type: 'control.sleep', config: { ms: 10 } },
          { id: 'read', type: 'test.hold', site, config: {} },
          { id: 'load', type: 'control.sleep', needs: ['read'], config: { ms: 10 } },
          // Alone in its scheduling pass: a false `when` beside a node being started launches that node twice (workflow.ts).
          { id: 'optional', type: 'control.sleep', needs: ['first'], when: '{{ params.extra }}', config: { ms: 10 } },
        ],
      },
    );
    const live = await api.runWhere(runId, 'the site node to report rows', (v) => v.nodes.read.state === 'running' && v.nodes.read.stats.rowsIn > 0);
    assert.equal(live.stale, undefined, 'answered by the workflow itself while its worker runs');
    assert.equal(live.nodes.optional.state, 'skipped');
  } finally {
    // From here on nothing polls the run's workflow task queue; the site worker still runs `read`.
    await central.stop();
  }

  const { status, json: view, ms } = await bestOfTwo(STALE_LIMIT_MS, () => timedView(runId));
  assert.equal(status, 200, JSON.stringify(view));
  assert.ok(ms < STALE_LIMIT_MS, `GET /runs/{id} took ${Math.round(ms)} ms without a worker (limit ${STALE_LIMIT_MS} ms)`);
  assert.equal(view.stale, true);
  assert.equal(view.runId, runId);
  assert.equal(view.version, 1);
  assert.equal(view.status, 'running');
  assert.equal(view.endedAt, null);
  assert.equal(view.error, null);

  const { first, read, load, optional } = view.nodes;
  assert.equal(first.state, 'succeeded');
  assert.equal(first.attempt, 1);
  assert.deepEqual(first.outputs, { sleptMs: 10 });
  assert.equal(first.site, 'central');
  assert.ok(first.startedAt && first.endedAt && first.startedAt <= first.endedAt, JSON.stringify(first));

  assert.equal(read.state, 'running');
  assert.equal(read.site, site);
  assert.equal(read.attempt, 1);
  assert.ok(read.stats.rowsIn > 0 && read.stats.rowsOut > 0, `heartbeat row counts: ${JSON.stringify(read.stats)}`);
  assert.ok(read.startedAt, 'scheduled when the run started');
  assert.equal(read.endedAt, null);
  assert.equal(read.waiting, undefined, 'the site worker polls its queue');

  assert.equal(load.state, 'pending');
  assert.equal(load.attempt, 0);
  assert.equal(load.startedAt, null);
  // `when` is evaluated by the workflow without leaving an event; the view infers it from the params.
  assert.equal(optional.state, 'skipped');

  // The heartbeats keep coming from the site worker, so the stale view's counts move.
  await sleep(500);
  const later = await timedView(runId);
  assert.equal(later.status, 200);
  assert.equal(later.json.stale, true);
  assert.ok(later.json.nodes.read.stats.rowsIn > read.stats.rowsIn, `${later.json.nodes.read.stats.rowsIn} after ${read.stats.rowsIn}`);

  await env.client.workflow.getHandle(runId).terminate('test over');
});

test("a failed run's view from history, with no worker, names the failed node and its error as the workflow did", async () => {
  const central = await centralWorker();
  let runId = '';
  let fresh: Json;
  try {
    runId = await api.startPipelineRun({
      name: uniqueName('stale-failed'),
      nodes: [
        { id: 'ok', type: 'control.sleep', config: { ms: 10 } },
        { id: 'boom', type: 'test.fail', needs: ['ok'], config: { message: 'disk on fire' } },
        { id: 'after', type: 'control.sleep', needs: ['boom'], config: { ms: 10 } },
        { id: 'side', type: 'control.sleep', config: { ms: 60_000 } },
      ],
    });
    fresh = await api.runWhere(runId, 'the run to fail', (v) => v.status === 'failed');
    assert.equal(fresh.stale, undefined);
  } finally {
    await central.stop();
  }

  const { status, json: view, ms } = await bestOfTwo(STALE_LIMIT_MS, () => timedView(runId));
  assert.equal(status, 200, JSON.stringify(view));
  assert.ok(ms < STALE_LIMIT_MS, `GET /runs/{id} took ${Math.round(ms)} ms without a worker (limit ${STALE_LIMIT_MS} ms)`);
  assert.equal(view.stale, true);
  assert.equal(view.status, 'failed');
  assert.match(view.error, /^node "boom" failed: disk on fire/);
  assert.ok(view.endedAt);
  assert.equal(view.nodes.boom.state, 'failed');
  assert.match(view.nodes.boom.error, /disk on fire/);
  assert.equal(view.nodes.boom.attempt, 1);
  assert.equal(view.nodes.ok.state, 'succeeded');
  assert.deepEqual(view.nodes.ok.outputs, { sleptMs: 10 });
  assert.equal(view.nodes.after.state, 'skipped', 'what needed the failed node');
  assert.equal(view.nodes.side.state, 'cancelled', 'the sibling the failure stopped');

  // The history says what the workflow said: same states, attempts, errors and outputs per node.
  const essentials = (v: Json) =>
    Object.fromEntries(
      Object.entries(v.nodes as Record<string, Json>).map(([id, n]) => [id, { state: n.state, attempt: n.attempt, error: n.error, outputs: n.outputs, site: n.site }]),
    );
  assert.deepEqual(essentials(view), essentials(fresh));
  assert.equal(view.error, fresh.error);
  assert.equal(view.pipeline, fresh.pipeline);
});
