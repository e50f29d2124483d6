// A DAG bigger than one execution's history: the run continues as new when its history grows
// long, carrying its node states (and the outputs nodes still to run need), so no execution's
// history passes the server's limit. Its own Temporal dev server is set to suggest continuing at
// 300 events and to terminate any execution past 1,500, so a 1,200-node run needs several
// segments and would be killed if one grew unbounded. Real API, real PostgreSQL, real worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import type { RunProgress } from '../src/workflows/messages.js';
import { uniqueName } from './helpers/env.js';
import type { TestApi } from './helpers/api.js';
import { startOwnStack, type OwnStack } from './helpers/segments.js';

const NODES = 1_200;
const HISTORY_LIMIT = 1_500;

let stack: OwnStack;
let client: Client;
let api: TestApi;

before(async () => {
  stack = await startOwnStack({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 300, 'limit.historyCount.error': HISTORY_LIMIT }, queue: 'big-dag' });
  ({ client, api } = stack);
});

after(() => stack?.close());

type Json = any;

test(`a ${NODES.toLocaleString('en')}-node run continues as new in segments, each history short, and pages its nodes`, async () => {
  const name = uniqueName('big').toLowerCase();
  const spec = {
    name,
    maxParallel: 16,
    nodes: [
      { id: 'root', type: 'control.sleep', config: { ms: 3 } },
      ...Array.from({ length: NODES - 2 }, (_, i) => ({ id: `n${i + 1}`, type: 'control.sleep', needs: 'root', config: { ms: 0 } })),
      // Runs last, and reads the root's outputs: they must have travelled through every segment.
      { id: 'last', type: 'control.sleep', needs: ['root', `n${NODES - 2}`], config: { ms: '{{ nodes.root.outputs.sleptMs }}' } },
    ],
  };
  const runId = await api.startPipelineRun(spec);

  const result = (await client.workflow.getHandle(runId).result()) as RunProgress;
  assert.equal(result.status, 'completed');
  assert.equal(result.summary!.nodes, NODES);
  assert.equal(result.summary!.byState.succeeded, NODES);
  assert.equal(result.detail, 'partial');
  assert.deepEqual(result.nodes, {}, 'a finished big run lists no active node');

  // Every execution of the run, the continued ones included, stayed under the limit.
  const lengths: number[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${runId}'` })) {
    lengths.push((await client.workflow.getHandle(runId, execution.runId).describe()).historyLength);
  }
  assert.ok(lengths.length >= 3, `several segments (${lengths.join(', ')} events)`);
  assert.equal(result.summary!.segments, lengths.length);
  for (const n of lengths) assert.ok(n < HISTORY_LIMIT, `an execution of ${n} events`);

  const view = await api.call('GET', `/api/v1/runs/${runId}`);
  assert.equal(view.status, 200);
  assert.equal(view.json.status, 'completed');
  assert.equal(view.json.detail, 'partial');
  assert.equal(view.json.summary.byState.succeeded, NODES);
  assert.ok(JSON.stringify(view.json).length < 10_000, 'the view stays small');

  // Paging in spec order through every node.
  const seen: Json[] = [];
  let cursor: string | null = null;
  do {
    const page: Json = await api.call('GET', `/api/v1/runs/${runId}/nodes?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200, JSON.stringify(page.json));
    seen.push(...page.json.nodes);
    cursor = page.json.next;
  } while (cursor);
  assert.deepEqual(seen.map((n) => n.id), spec.nodes.map((n) => n.id));
  assert.ok(seen.every((n) => n.state === 'succeeded' && n.attempt === 1 && n.startedAt && n.endedAt));
  const last = seen.find((n) => n.id === 'last');
  assert.deepEqual(last.outputs, { sleptMs: 3 }, "the last node read the root's outputs");

  const failed = await api.call('GET', `/api/v1/runs/${runId}/nodes?state=failed`);
  assert.deepEqual(failed.json, { runId, nodes: [], next: null });
  const bad = await api.call('GET', `/api/v1/runs/${runId}/nodes?state=bogus&limit=0`);
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json.errors.map((e: Json) => e.path).sort(), ['limit', 'state']);
});
