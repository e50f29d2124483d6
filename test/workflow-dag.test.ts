// runPipeline on a real Temporal dev server: ordering, parallelism, retries, failure, cancel,
// and visibility by search attribute.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { temporalEnv, uniqueName, waitFor, type TemporalTestEnv } from './helpers/env.js';
import { progressOf, spec, startRun, testActivities } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import type { RunProgress } from '../src/workflows/messages.js';

let env: TemporalTestEnv;
let worker: RunningWorker;
const taskQueue = uniqueName('dag');

before(async () => {
  env = await temporalEnv();
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, extraActivities: testActivities });
});

after(async () => {
  await worker?.stop();
  await env?.close();
});

const ms = (iso: string | null): number => {
  assert.ok(iso, 'timestamp expected');
  return Date.parse(iso);
};

describe('runPipeline', () => {
  test('a diamond DAG runs in dependency order with its two branches in parallel', async () => {
    const s = spec({
      name: uniqueName('diamond'),
      maxParallel: 4,
      nodes: [
        { id: 'a', type: 'control.sleep', config: { ms: 200 } },
        { id: 'b', type: 'control.sleep', needs: ['a'], config: { ms: 1500 } },
        { id: 'c', type: 'control.sleep', needs: ['a'], config: { ms: 1500 } },
        { id: 'd', type: 'control.sleep', needs: ['b', 'c'], config: { ms: 100 } },
      ],
    });
    const handle = await startRun(env.client, taskQueue, s);
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed');
    const n = result.nodes;
    for (const id of ['a', 'b', 'c', 'd']) assert.equal(n[id]!.state, 'succeeded', id);
    assert.ok(ms(n.a!.endedAt) <= ms(n.b!.startedAt) && ms(n.a!.endedAt) <= ms(n.c!.startedAt), 'b and c start after a ends');
    assert.ok(ms(n.b!.startedAt) < ms(n.c!.endedAt) && ms(n.c!.startedAt) < ms(n.b!.endedAt), 'b and c overlap');
    assert.ok(ms(n.d!.startedAt) >= Math.max(ms(n.b!.endedAt), ms(n.c!.endedAt)), 'd starts after both branches');
  });

  test('maxParallel 1 runs independent nodes one at a time', async () => {
    const s = spec({
      name: uniqueName('serial'),
      maxParallel: 1,
      nodes: [
        { id: 'x', type: 'control.sleep', config: { ms: 600 } },
        { id: 'y', type: 'control.sleep', config: { ms: 600 } },
      ],
    });
    const result = (await (await startRun(env.client, taskQueue, s)).result()) as RunProgress;
    const { x, y } = result.nodes;
    assert.ok(ms(x!.endedAt) <= ms(y!.startedAt) || ms(y!.endedAt) <= ms(x!.startedAt), 'x and y do not overlap');
  });

  test("a node's outputs feed a later node's config through {{ nodes.<id>.outputs... }}", async () => {
    const s = spec({
      name: uniqueName('templates'),
      params: { wait: { type: 'number', default: 5 } },
      nodes: [
        { id: 'first', type: 'control.sleep', config: { ms: '{{ params.wait }}' } },
        { id: 'second', type: 'control.sleep', needs: ['first'], config: { ms: '{{ nodes.first.outputs.sleptMs }}' } },
      ],
    });
    const result = (await (await startRun(env.client, taskQueue, s, { wait: 321 })).result()) as RunProgress;
    assert.deepEqual(result.nodes.first!.outputs, { sleptMs: 321 });
    assert.deepEqual(result.nodes.second!.outputs, { sleptMs: 321 });
  });

  test('a template that does not resolve at run time fails its node with the config path', async () => {
    const s = spec({
      name: uniqueName('badref'),
      nodes: [
        { id: 'first', type: 'control.sleep', config: { ms: 1 } },
        { id: 'second', type: 'control.sleep', needs: ['first'], config: { ms: '{{ nodes.first.outputs.nope }}' } },
      ],
    });
    const handle = await startRun(env.client, taskQueue, s);
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.match(String(err.cause?.message), /node "second" failed: config\.ms: \{\{ nodes\.first\.outputs\.nope \}\}/);
      return true;
    });
  });

  test('a node that fails twice then succeeds is retried and the run completes', async () => {
    const s = spec({
      name: uniqueName('flaky'),
      defaults: { retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 5 } },
      nodes: [{ id: 'flaky', type: 'test.flaky', config: { failures: 2 } }],
    });
    const result = (await (await startRun(env.client, taskQueue, s)).result()) as RunProgress;
    assert.equal(result.status, 'completed');
    assert.equal(result.nodes.flaky!.state, 'succeeded');
    assert.equal(result.nodes.flaky!.attempt, 3);
    assert.deepEqual(result.nodes.flaky!.outputs, { succeededOnAttempt: 3 });
  });

  test('a node that always fails fails the run with its message and cancels running siblings', async () => {
    const s = spec({
      name: uniqueName('failing'),
      nodes: [
        { id: 'slow', type: 'control.sleep', config: { ms: 60_000 } },
        { id: 'gate', type: 'control.sleep', config: { ms: 300 } },
        { id: 'boom', type: 'test.fail', needs: ['gate'], config: { message: 'table dw.orders is locked' } },
        { id: 'after', type: 'control.sleep', needs: ['boom'], config: { ms: 10 } },
      ],
    });
    const handle = await startRun(env.client, taskQueue, s);
    const started = Date.now();
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.match(err.cause.message, /node "boom" failed: table dw\.orders is locked/);
      return true;
    });
    assert.ok(Date.now() - started < 30_000, 'the 60s sibling was cancelled, not awaited');
    const p = await progressOf(handle);
    assert.equal(p.status, 'failed');
    assert.equal(p.nodes.boom!.state, 'failed');
    assert.equal(p.nodes.boom!.error, 'table dw.orders is locked');
    assert.equal(p.nodes.slow!.state, 'cancelled');
    assert.equal(p.nodes.after!.state, 'skipped');
  });

  test('cancelling a run stops its running node and reports cancelled', async () => {
    const s = spec({ name: uniqueName('cancel'), nodes: [{ id: 'wait', type: 'control.sleep', config: { ms: 60_000 } }, { id: 'next', type: 'control.sleep', needs: ['wait'], config: { ms: 1 } }] });
    const handle = await startRun(env.client, taskQueue, s);
    await waitFor(async () => (await progressOf(handle)).nodes.wait!.state === 'running', 'node running');
    await handle.cancel();
    await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
    const p = await progressOf(handle);
    assert.equal(p.status, 'cancelled');
    assert.equal(p.nodes.wait!.state, 'cancelled');
    assert.equal(p.nodes.next!.state, 'cancelled');
    const desc = await handle.describe();
    assert.equal(desc.status.name, 'CANCELLED');
  });

  test('a run is found in visibility by SluicePipeline and its final SluiceStatus', async () => {
    const name = uniqueName('visible');
    const s = spec({ name, nodes: [{ id: 'only', type: 'control.sleep', config: { ms: 10 } }] });
    const handle = await startRun(env.client, taskQueue, s);
    await handle.result();
    const found = await waitFor(async () => {
      const ids: string[] = [];
      for await (const wf of env.client.workflow.list({ query: `SluicePipeline="${name}" AND SluiceStatus="completed"` })) ids.push(wf.workflowId);
      return ids.length > 0 ? ids : null;
    }, 'visibility to index the run');
    assert.deepEqual(found, [handle.workflowId]);
  });
});
