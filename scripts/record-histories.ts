// Records the event histories of a few representative runs into test/histories/, for the replay
// test. Run it after an intentional, patched() change to the workflow: `npm run record-histories`
// records them all; `npm run record-histories -- retry-in-place` only the ones named. Histories
// recorded by earlier workflow code are worth keeping: they prove runs started before a change
// still replay after it.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { startDevServer, temporalCliPath } from '../temporal/dev-server.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor } from '../test/helpers/env.js';
import { progressOf, spec, startRun, testActivities } from '../test/helpers/pipelines.js';
import { startWorker } from '../test/helpers/worker.js';
import { retryUpdate } from '../src/workflows/messages.js';

const out = path.join('test', 'histories');
// Suggesting continue-as-new early lets a 200-node run record a segment; every other run stays far below it.
const server = await startDevServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 300 } });
process.env.TEMPORAL_ADDRESS = server.address;
const env = await temporalEnv();
const db = await createTestDatabase();
const taskQueue = uniqueName('record');
// DATABASE_URL: the central worker keeps concurrency slots and saved marks in the recording database.
const worker = await startWorker(env.address, { namespace: env.namespace, taskQueue, extraActivities: testActivities, env: { ...process.env, RECORD_DB: db.url, DATABASE_URL: db.url } });

const only = new Set(process.argv.slice(2));
const wanted = (name: string): boolean => only.size === 0 || only.has(name);

async function save(name: string, handle: WorkflowHandle): Promise<void> {
  await handle.result().catch(() => undefined);
  // The CLI's JSON export is the format historyFromJSON reads back.
  const json = execFileSync(temporalCliPath(), ['workflow', 'show', '--address', server.address, '--namespace', env.namespace, '--workflow-id', handle.workflowId, '--output', 'json'], { maxBuffer: 256 * 1024 * 1024 });
  fs.writeFileSync(path.join(out, `${name}.json`), json);
  console.log(`recorded ${name} (${(JSON.parse(json.toString()) as { events: unknown[] }).events.length} events)`);
}

try {
  fs.mkdirSync(out, { recursive: true });
  if (wanted('diamond')) await save('diamond', await startRun(env.client, taskQueue, spec({
    name: 'diamond', maxParallel: 2,
    nodes: [
      { id: 'a', type: 'control.sleep', config: { ms: 50 } },
      { id: 'b', type: 'control.sleep', needs: ['a'], config: { ms: 300 } },
      { id: 'c', type: 'control.sleep', needs: ['a'], when: '{{ params.full }}', config: { ms: 300 } },
      { id: 'd', type: 'control.sleep', needs: ['b', 'c'], config: { ms: '{{ params.wait }}' } },
    ],
    params: { full: { type: 'boolean', default: true }, wait: { type: 'number', default: 10 } },
  }), { full: true, wait: 10 }));

  if (wanted('retry-then-succeed')) await save('retry-then-succeed', await startRun(env.client, taskQueue, spec({
    name: 'flaky', defaults: { retry: { initialInterval: '100ms', backoffCoefficient: 1 } },
    nodes: [{ id: 'flaky', type: 'test.flaky', config: { failures: 2 } }],
  })));

  if (wanted('node-fails')) await save('node-fails', await startRun(env.client, taskQueue, spec({
    name: 'failing',
    nodes: [
      { id: 'slow', type: 'control.sleep', config: { ms: 30_000 } },
      { id: 'boom', type: 'test.fail', config: { message: 'broken on purpose' } },
      { id: 'after', type: 'control.sleep', needs: ['boom'], config: { ms: 1 } },
    ],
  })));

  await db.pool.query(`CREATE TABLE src AS SELECT g AS id, 'row ' || g AS label FROM generate_series(1, 3000) g`);
  if (wanted('etl-pause-resume')) {
  const etl = await startRun(env.client, taskQueue, spec({
    name: 'etl-paused',
    nodes: [
      { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'RECORD_DB' }, query: 'select * from src order by id', batchSize: 500 } },
      { id: 'wait', type: 'control.sleep', needs: ['extract'], config: { ms: 3000 } },
      { id: 'clean', type: 'transform.map', needs: ['extract', 'wait'], config: { rename: { label: 'name' } } },
      { id: 'load', type: 'postgres.write', needs: ['clean'], config: { connection: { $secret: 'RECORD_DB' }, table: 'dst', mode: 'upsert', key: ['id'] } },
    ],
  }));
  await waitFor(async () => (await progressOf(etl)).nodes.wait!.state === 'running', 'sleep to start');
  await etl.signal('pause');
  await waitFor(async () => (await progressOf(etl)).nodes.wait!.state === 'paused', 'sleep to pause');
  await etl.signal('resume');
  await save('etl-pause-resume', etl);
  }

  if (wanted('cancelled')) {
    const cancelled = await startRun(env.client, taskQueue, spec({ name: 'cancelled', nodes: [{ id: 'wait', type: 'control.sleep', config: { ms: 30_000 } }] }));
    await waitFor(async () => (await progressOf(cancelled)).nodes.wait!.state === 'running', 'sleep to start');
    await cancelled.cancel();
    await save('cancelled', cancelled);
  }

  if (wanted('retry-in-place')) {
    // The read fails for good (no such table); once the table exists, a retry in place completes the run.
    const retried = await startRun(env.client, taskQueue, spec({
      name: 'retried', recoveryWindow: '1h',
      nodes: [
        { id: 'first', type: 'control.sleep', config: { ms: 10 } },
        { id: 'extract', type: 'postgres.read', needs: ['first'], config: { connection: { $secret: 'RECORD_DB' }, query: 'select * from later', batchSize: 500 } },
        { id: 'after', type: 'control.sleep', needs: ['extract'], config: { ms: 10 } },
      ],
    }));
    await waitFor(async () => (await progressOf(retried)).status === 'failed', 'the read to fail');
    await db.pool.query('CREATE TABLE later AS SELECT 1 AS id');
    await retried.executeUpdate(retryUpdate, { args: [{}] });
    await save('retry-in-place', retried);
  }

  if (wanted('segments')) {
    // Long enough to continue as new: the recorded history is the last segment, which starts from the carried state.
    await save('segments', await startRun(env.client, taskQueue, spec({
      name: 'segmented', maxParallel: 8,
      nodes: [
        { id: 'root', type: 'control.sleep', config: { ms: 1 } },
        ...Array.from({ length: 198 }, (_, i) => ({ id: `n${i + 1}`, type: 'control.sleep', needs: 'root', config: { ms: 0 } })),
        { id: 'last', type: 'control.sleep', needs: ['root', 'n198'], config: { ms: '{{ nodes.root.outputs.sleptMs }}' } },
      ],
    })));
  }

  if (wanted('continue-then-close')) {
    await save('continue-then-close', await startRun(env.client, taskQueue, spec({
      name: 'continued', onFailure: 'continue', recoveryWindow: '1s',
      nodes: [
        { id: 'root', type: 'control.sleep', config: { ms: 10 } },
        { id: 'bad', type: 'test.fail', needs: ['root'], config: { message: 'broken on purpose' } },
        { id: 'after_bad', type: 'control.sleep', needs: ['bad'], config: { ms: 1 } },
        { id: 'side', type: 'control.sleep', needs: ['root'], config: { ms: 300 } },
      ],
    })));
  }

  if (wanted('mapped') || wanted('mapped-chunk')) {
    // A mapped node of 1,050 items (two chunks, the second of 50: the one recorded), paused and resumed while its chunks run.
    const mapped = await startRun(env.client, taskQueue, spec({
      name: 'mapped', maxParallel: 32,
      nodes: [
        { id: 'first', type: 'control.sleep', config: { ms: 1 } },
        { id: 'each', type: 'control.sleep', needs: 'first', forEach: Array.from({ length: 1050 }, (_, i) => (i % 10 === 0 ? 300 : 0)), config: { ms: '{{ item }}' } },
        { id: 'after', type: 'control.sleep', needs: 'each', config: { ms: '{{ nodes.each.outputs.items }}' } },
      ],
    }));
    await waitFor(async () => ((await progressOf(mapped)).nodes.each!.map?.running?.length ?? 0) > 0, 'chunks to run');
    await mapped.signal('pause');
    await new Promise((r) => setTimeout(r, 500));
    await mapped.signal('resume');
    await mapped.result();
    if (wanted('mapped')) await save('mapped', mapped);
    if (wanted('mapped-chunk')) await save('mapped-chunk', env.client.workflow.getHandle(`${mapped.workflowId}/each/chunk-1.1`));
  }

  if (wanted('concurrency-queued') || wanted('concurrency-cancelled')) {
    // Limit 1: the first run holds the slot while the second waits (queued) and the third is cancelled while it waits.
    const gated = spec({
      name: 'gated', concurrency: { limit: 1 },
      nodes: [
        { id: 'extract', type: 'postgres.read', config: { connection: { $secret: 'RECORD_DB' }, table: 'src', key: ['id'], incremental: { column: 'id' }, batchSize: 1000 } },
        { id: 'wait', type: 'control.sleep', needs: ['extract'], config: { ms: 3000 } },
      ],
    });
    const holder = await startRun(env.client, taskQueue, gated);
    await waitFor(async () => (await progressOf(holder)).nodes.wait!.state === 'running', 'the first run to hold the slot');
    const queued = await startRun(env.client, taskQueue, gated);
    const cancelled = await startRun(env.client, taskQueue, gated);
    await waitFor(async () => (await progressOf(cancelled)).status === 'queued' && (await progressOf(queued)).status === 'queued', 'the later runs to queue');
    await cancelled.cancel();
    if (wanted('concurrency-cancelled')) await save('concurrency-cancelled', cancelled);
    if (wanted('concurrency-queued')) await save('concurrency-queued', queued);
    await holder.result();
  }
} finally {
  await worker.stop();
  await env.close();
  await db.drop();
  await server.stop();
}
