// Mapped nodes (`forEach`) on a real Temporal dev server: one instance per item in chunks of child
// workflows, outputs gathered as a dataset, failures named by item, retry in place of failed chunks
// only, pause and resume forwarded to the chunks, cancel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { temporalEnv, uniqueName, waitFor, type TemporalTestEnv } from './helpers/env.js';
import { progressOf, spec, startRun, testActivities } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { StagingStore } from '../src/activities/staging.js';
import { getRunView } from '../src/api/runs/view.js';
import type { DatasetRef } from '../src/kit/dataset.js';
import { MAP_CHUNK_ITEMS, type RunProgress } from '../src/workflows/messages.js';
import type { NodeTaskInput, NodeTaskResult } from '../src/workflows/node-task.js';

let env: TemporalTestEnv;
let worker: RunningWorker;
const taskQueue = uniqueName('mapped');
/** Items (by `n`) whose instance fails, until a test lets them through. */
const failing = new Set<number>();
/** Instances run so far, by instance node id. */
const ran = new Map<string, number>();

const itemActivity = async (task: NodeTaskInput): Promise<NodeTaskResult> => {
  const { n, name } = task.config as { n: number; name?: string };
  const key = `${task.runId}/${task.nodeId}`;
  ran.set(key, (ran.get(key) ?? 0) + 1);
  const attempt = Context.current().info.attempt;
  if (failing.has(n)) throw ApplicationFailure.nonRetryable(`item ${n} is refused`, 'TestFailure', { attempt, stats: { rowsIn: 0, rowsOut: 0 } });
  return { status: 'done', outputs: { n, name: name ?? null, doubled: n * 2 }, stats: { rowsIn: 1, rowsOut: 1 }, attempt };
};

before(async () => {
  env = await temporalEnv();
  worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, extraActivities: { ...testActivities, 'test.item': itemActivity } });
});

after(async () => {
  await worker?.stop();
  await env?.close();
});

async function historyLength(workflowId: string): Promise<number> {
  return (await env.client.workflow.getHandle(workflowId).describe()).historyLength;
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

async function readDataset(ref: DatasetRef): Promise<Record<string, unknown>[]> {
  const store = new StagingStore(worker.stagingDir);
  const rows: Record<string, unknown>[] = [];
  for (let part = 0; part < ref.parts; part++) rows.push(...(await store.readPart(ref, part)));
  return rows;
}

describe('mapped nodes', () => {
  test('2,500 items of an upstream list run as chunks; instance outputs are gathered as a dataset, in item order', async () => {
    const count = 2_500;
    const s = spec({
      name: uniqueName('map-list'),
      maxParallel: 32,
      nodes: [
        { id: 'list', type: 'test.list', config: { count } },
        { id: 'each', type: 'test.item', needs: 'list', forEach: '{{ nodes.list.outputs.items }}', config: { n: '{{ item.n }}', name: '{{ item.name }} of {{ run.pipeline }}' } },
        { id: 'after', type: 'control.sleep', needs: 'each', config: { ms: '{{ nodes.each.outputs.items }}' } },
      ],
    });
    const handle = await startRun(env.client, taskQueue, s);
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed', result.error ?? '');
    const each = result.nodes.each!;
    assert.equal(each.state, 'succeeded');
    assert.deepEqual(each.map, { items: count, chunks: 3, chunksDone: 3, byState: { succeeded: count } });
    assert.deepEqual(each.stats, { rowsIn: count, rowsOut: count });
    assert.equal(each.outputs!.items, count);
    assert.equal(result.nodes.after!.outputs!.sleptMs, count, 'a downstream node reads the item count');

    const ref = each.outputs!.dataset as DatasetRef;
    assert.equal(ref.rows, count);
    assert.equal(ref.parts, Math.ceil(count / MAP_CHUNK_ITEMS));
    const rows = await readDataset(ref);
    assert.equal(rows.length, count);
    rows.forEach((row, i) => {
      assert.equal(row.index, i);
      assert.deepEqual(row.item, { n: i, name: `item-${i}` });
      assert.equal(row.state, 'succeeded');
      assert.deepEqual(row.outputs, { n: i, name: `item-${i} of ${s.name}`, doubled: i * 2 });
    });

    // No history holds the instances' outputs as one array: the run's is small, each chunk's below 10,000 events.
    assert.ok((await historyLength(handle.workflowId)) < 100, 'the run itself has a short history');
    for (let k = 0; k < 3; k++) {
      const events = await historyLength(`${handle.workflowId}/each/chunk-${k}.1`);
      assert.ok(events < 10_000, `chunk ${k}: ${events} events`);
    }
    assert.ok(JSON.stringify(each).length < 2_000, 'the mapped node reports a summary, not its instances');
  });

  test('a failed item fails the node with its index and item; retry in place runs only the chunk that failed', async () => {
    failing.clear();
    failing.add(2_050);
    const s = spec({
      name: uniqueName('map-retry'),
      // 16 at once: one chunk at a time, so chunks 0 and 1 have ended before chunk 2 fails.
      maxParallel: 16,
      recoveryWindow: '1h',
      nodes: [{ id: 'each', type: 'test.item', forEach: Array.from({ length: 2_100 }, (_, n) => n), config: { n: '{{ item }}' } }],
    });
    const handle = await startRun(env.client, taskQueue, s);
    // Each chunk gets its own 1,000 items, not the node's whole list.
    await waitFor(() => exists(`${handle.workflowId}/each/chunk-0.1`), 'the first chunk to start');
    const chunkInput = (await env.client.workflow.getHandle(`${handle.workflowId}/each/chunk-0.1`).fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!;
    assert.ok(chunkInput.length < 40_000, `chunk input of ${chunkInput.length} bytes`);
    const failed = await waitFor(async () => {
      const p = await progressOf(handle);
      return p.status === 'failed' ? p : null;
    }, 'the run fails on item 2050', 120_000);
    const each = failed.nodes.each!;
    assert.equal(each.state, 'failed');
    assert.equal(each.error, '1 of 2100 items failed: item 2050 (2050): item 2050 is refused');
    assert.equal(each.map!.chunksDone, 3);
    assert.equal(each.map!.byState.failed, 1);
    // onFailure: stop cancelled the rest of the failing chunk.
    assert.ok((each.map!.byState.succeeded ?? 0) < 2_099);
    assert.ok((each.map!.byState.cancelled ?? 0) > 0);

    failing.clear();
    await handle.executeUpdate('retry', { args: [{}] });
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed', result.error ?? '');
    assert.deepEqual(result.nodes.each!.map!.byState, { succeeded: 2_100 });
    assert.equal(result.nodes.each!.earlierTries?.length, 1);
    // Chunk 2 ran again under a new id; chunks 0 and 1, which fully succeeded, did not, nor did their instances.
    assert.ok(await exists(`${handle.workflowId}/each/chunk-2.2`));
    assert.equal(await exists(`${handle.workflowId}/each/chunk-0.2`), false);
    assert.equal(await exists(`${handle.workflowId}/each/chunk-1.2`), false);
    assert.equal(ran.get(`${handle.workflowId}/each[5]`), 1);
    assert.equal(ran.get(`${handle.workflowId}/each[1999]`), 1);
    assert.equal(ran.get(`${handle.workflowId}/each[2050]`), 2);
    const rows = await readDataset(result.nodes.each!.outputs!.dataset as DatasetRef);
    assert.equal(rows.length, 2_100);
    assert.ok(rows.every((row, i) => row.state === 'succeeded' && (row.outputs as { doubled: number }).doubled === i * 2));
  });

  test('onFailure: continue runs every item; the node fails naming how many failed', async () => {
    failing.clear();
    for (const n of [3, 17, 18, 19, 25]) failing.add(n);
    const s = spec({
      name: uniqueName('map-continue'),
      maxParallel: 8,
      onFailure: 'continue',
      nodes: [
        { id: 'each', type: 'test.item', forEach: Array.from({ length: 40 }, (_, n) => n), config: { n: '{{ item }}' } },
        { id: 'other', type: 'control.sleep', config: { ms: 10 } },
      ],
    });
    const handle = await startRun(env.client, taskQueue, s);
    await assert.rejects(handle.result());
    const p = await progressOf(handle);
    failing.clear();
    assert.equal(p.status, 'failed');
    assert.equal(p.nodes.other!.state, 'succeeded');
    assert.deepEqual(p.nodes.each!.map!.byState, { succeeded: 35, failed: 5 });
    assert.match(p.nodes.each!.error!, /^5 of 40 items failed: item 3 \(3\): item 3 is refused; item 17 \(17\): .*; 2 more failed$/);
  });

  test('pause stops a mapped node between instances and resume finishes it; cancel closes its chunks', async () => {
    const s = spec({
      name: uniqueName('map-pause'),
      maxParallel: 4,
      nodes: [{ id: 'each', type: 'control.sleep', forEach: Array.from({ length: 24 }, () => 400), config: { ms: '{{ item }}' } }],
    });
    const handle = await startRun(env.client, taskQueue, s);
    const chunkId = `${handle.workflowId}/each/chunk-0.1`;
    await waitFor(async () => (await exists(chunkId)) && (await pendingActivities(chunkId)) > 0, 'instances running');
    await handle.signal('pause');
    await waitFor(async () => (await progressOf(handle)).nodes.each!.state === 'paused', 'the node shows paused');
    await waitFor(async () => (await pendingActivities(chunkId)) === 0, 'running instances checkpoint and stop');
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(await pendingActivities(chunkId), 0, 'no instance starts while paused');
    await handle.signal('resume');
    const result = (await handle.result()) as RunProgress;
    assert.equal(result.status, 'completed');
    const rows = await readDataset(result.nodes.each!.outputs!.dataset as DatasetRef);
    assert.equal(rows.length, 24);
    assert.ok(rows.every((row) => (row.outputs as { sleptMs: number }).sleptMs === 400));

    const again = await startRun(env.client, taskQueue, spec({ ...s, name: uniqueName('map-cancel') }));
    const againChunk = `${again.workflowId}/each/chunk-0.1`;
    await waitFor(async () => (await exists(againChunk)) && (await pendingActivities(againChunk)) > 0, 'instances running');
    await again.cancel();
    await assert.rejects(again.result());
    assert.equal((await progressOf(again)).nodes.each!.state, 'cancelled');
    assert.equal((await env.client.workflow.getHandle(againChunk).describe()).status.name, 'CANCELLED');
  });

  test('the run view adds what the running chunks have done so far', async () => {
    const s = spec({
      name: uniqueName('map-live'),
      maxParallel: 4,
      nodes: [{ id: 'each', type: 'control.sleep', forEach: Array.from({ length: 40 }, () => 150), config: { ms: '{{ item }}' } }],
    });
    const handle = await startRun(env.client, taskQueue, s);
    const live = await waitFor(async () => {
      const view = await getRunView(env.client, handle.workflowId);
      const map = view.nodes.each?.map;
      return map && map.chunksDone === 0 && (map.byState.succeeded ?? 0) >= 8 ? view.nodes.each! : null;
    }, 'items of the running chunk counted');
    assert.deepEqual(live.map!.running, [`${handle.workflowId}/each/chunk-0.1`]);
    assert.ok(live.map!.byState.succeeded! < 40);
    const result = (await handle.result()) as RunProgress;
    assert.deepEqual(result.nodes.each!.map, { items: 40, chunks: 1, chunksDone: 1, byState: { succeeded: 40 } });
  });

  test('a list param feeds forEach; an empty list succeeds with an empty dataset', async () => {
    const s = spec({
      name: uniqueName('map-param'),
      params: { regions: { type: 'list' }, none: { type: 'list', default: [] } },
      nodes: [
        { id: 'each', type: 'test.item', forEach: '{{ params.regions }}', config: { n: '{{ index }}', name: 'region {{ item }}' } },
        { id: 'empty', type: 'test.item', forEach: '{{ params.none }}', config: { n: '{{ index }}' } },
      ],
    });
    const result = (await (await startRun(env.client, taskQueue, s, { regions: ['eu', 'us', 'ap'], none: [] })).result()) as RunProgress;
    assert.equal(result.status, 'completed', result.error ?? '');
    const rows = await readDataset(result.nodes.each!.outputs!.dataset as DatasetRef);
    assert.deepEqual(rows.map((r) => r.outputs), ['eu', 'us', 'ap'].map((region, n) => ({ n, name: `region ${region}`, doubled: n * 2 })));
    assert.deepEqual(result.nodes.empty!.outputs!.items, 0);
    assert.deepEqual({ ...(result.nodes.empty!.outputs!.dataset as DatasetRef), uri: '' }, { ...(result.nodes.empty!.outputs!.dataset as DatasetRef), uri: '', rows: 0, parts: 0, bytes: 0 });
  });

  test('a forEach that is not a list fails the node with what it is', async () => {
    const s = spec({
      name: uniqueName('map-not-list'),
      nodes: [
        { id: 'list', type: 'test.list', config: { count: 2 } },
        { id: 'each', type: 'control.sleep', needs: 'list', forEach: '{{ nodes.list.outputs.items }}', config: { ms: '{{ item }}' } },
        { id: 'bad', type: 'test.item', needs: 'list', forEach: '{{ run.id }}', config: { n: 1 } },
      ],
    });
    const handle = await startRun(env.client, taskQueue, { ...s, onFailure: 'continue' });
    await assert.rejects(handle.result());
    const p = await progressOf(handle);
    assert.match(p.nodes.bad!.error!, /^forEach: \{\{ run\.id \}\} is string, not a list$/);
    // {{ item }} is an object here, and ms must be a number: each instance fails with its config problem.
    assert.match(p.nodes.each!.error!, /^2 of 2 items failed: item 0 \(\{"n":0,"name":"item-0"\}\)/);
  });
});

async function pendingActivities(workflowId: string): Promise<number> {
  const desc = await env.client.workflow.getHandle(workflowId).describe();
  return desc.raw.pendingActivities?.length ?? 0;
}
