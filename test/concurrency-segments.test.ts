// A run with a concurrency slot that continues as new (a long history) keeps its slot through every
// segment: it waits for it once, holds it while later executions run, and gives it back when it
// closes. Its own Temporal dev server suggests continuing at 300 events, as in big-dag.test.ts.
// Real API, real PostgreSQL, real worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { ACQUIRE_SLOT_ACTIVITY, RELEASE_SLOT_ACTIVITY } from '../src/workflows/messages.js';
import { uniqueName, waitFor, type TestDatabase } from './helpers/env.js';
import type { TestApi } from './helpers/api.js';
import { startOwnStack, type OwnStack } from './helpers/segments.js';

const NODES = 400;

let stack: OwnStack;
let client: Client;
let api: TestApi;
let db: TestDatabase;

before(async () => {
  stack = await startOwnStack({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 300 }, queue: 'conc-segments', dbPrefix: 'sluice_conc_seg', workerEnv: (url) => ({ ...process.env, DATABASE_URL: url }) });
  ({ client, api, db } = stack);
});

after(() => stack?.close());

type Json = any;

/** Activity types every execution of the run scheduled, in order. */
async function activityTypes(runId: string): Promise<string[]> {
  const types: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${runId}'` })) {
    const history = await client.workflow.getHandle(runId, execution.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      if (name) types.push(name);
    }
  }
  return types;
}

test('a run continued as new in segments keeps its concurrency slot throughout, waits for it once, and gives it back once', async () => {
  const name = uniqueName('conc-seg');
  const runId = await api.startPipelineRun({
    name,
    concurrency: { limit: 1, onConflict: 'fail' },
    maxParallel: 16,
    nodes: [
      { id: 'root', type: 'control.sleep', config: { ms: 1 } },
      ...Array.from({ length: NODES }, (_, i) => ({ id: `n${i + 1}`, type: 'control.sleep', needs: 'root', config: { ms: 0 } })),
      // Still running when the test looks: the run is then in a later segment, holding its slot.
      { id: 'last', type: 'control.sleep', needs: [`n${NODES}`], config: { ms: 600_000 } },
    ],
  });
  const view: Json = await waitFor(async () => {
    const r = await api.call('GET', `/api/v1/runs/${runId}`);
    return r.json.nodes?.last?.state === 'running' ? r.json : null;
  }, 'the last node to run', 120_000);
  assert.ok(view.summary.segments >= 2, `the run continued as new (${view.summary.segments} segments)`);
  assert.equal(view.status, 'running');

  const rows = (await db.pool.query('SELECT run_id, state FROM sluice.run_slots WHERE pipeline = $1', [name])).rows;
  assert.deepEqual(rows, [{ run_id: runId, state: 'holding' }], 'the slot is still the run’s in its later segment');
  const refused = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {});
  assert.equal(refused.status, 409, JSON.stringify(refused.json));
  assert.match(refused.json.detail, new RegExp(`held by ${runId}`));

  assert.equal((await api.call('POST', `/api/v1/runs/${runId}/cancel`)).status, 202);
  await client.workflow.getHandle(runId).result().catch(() => undefined);
  const types = await activityTypes(runId);
  assert.equal(types.filter((t) => t === ACQUIRE_SLOT_ACTIVITY).length, 1, 'the slot was waited for once, by the first execution');
  assert.equal(types.filter((t) => t === RELEASE_SLOT_ACTIVITY).length, 1, 'and given back once, as the run closed');
  assert.deepEqual((await db.pool.query('SELECT run_id FROM sluice.run_slots WHERE pipeline = $1', [name])).rows, []);
  const next = await api.call('POST', `/api/v1/pipelines/${name}/runs`, {});
  assert.equal(next.status, 201, JSON.stringify(next.json));
  await api.call('POST', `/api/v1/runs/${next.json.runId}/cancel`);
});
