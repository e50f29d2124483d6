// Concurrency per pipeline (`concurrency: { limit, onConflict }`), through the REST API on the real
// Temporal server, a real metadata database and a real central worker: fail answers 409 while the
// limit is reached, skip starts nothing, queue waits in FIFO order and starts from the marks the run
// before it saved, two API processes sharing only PostgreSQL and Temporal never let more than
// `limit` runs hold slots, slots come back on cancel, on failure and when a run is terminated from
// outside, and a saved mark only moves forward whatever order runs end in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { makeCatalog } from '../src/dag/catalog.js';
import { createStore } from '../src/store/store.js';
import type { Store } from '../src/store/types.js';
import type { NodeTaskInput, NodeTaskResult } from '../src/workflows/node-task.js';
import { createTestDatabase, temporalEnv, uniqueName, waitFor, type TemporalTestEnv, type TestDatabase } from './helpers/env.js';
import { testActivities, testCatalog } from './helpers/pipelines.js';
import { startWorker, type RunningWorker } from './helpers/worker.js';
import { startTestApi, type TestApi } from './helpers/api.js';

type Json = any;

// ---- test.gate: a node that runs until the test opens its gate ----------------------------------

/** Per gate (a run id): the promise the node waits on, and what opens it. */
const gates = new Map<string, { opened: Promise<void>; open(): void }>();
function gate(name: string): { opened: Promise<void>; open(): void } {
  let g = gates.get(name);
  if (!g) {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    g = { opened, open };
    gates.set(name, g);
  }
  return g;
}
const openGate = (runId: string): void => gate(runId).open();

/** Every gate node that started, in order: which run, and the saved state it was given. */
const entered: { runId: string; pipeline: string; state: unknown }[] = [];
/** Gate nodes running right now, per pipeline, and the most there ever were. */
const inside = new Map<string, number>();
const mostInside = new Map<string, number>();

const gateCatalog = makeCatalog([
  ...testCatalog.values(),
  {
    type: 'test.gate',
    description: 'waits until the test opens the gate `gate`; outputs `state: { run }`, saved as the node state',
    config: z.object({ gate: z.string() }),
    consumesDataset: false,
    producesDataset: false,
  },
]);

const gateActivity = async (task: NodeTaskInput): Promise<NodeTaskResult> => {
  const ctx = Context.current();
  entered.push({ runId: task.runId, pipeline: task.pipeline, state: task.state ?? null });
  inside.set(task.pipeline, (inside.get(task.pipeline) ?? 0) + 1);
  mostInside.set(task.pipeline, Math.max(mostInside.get(task.pipeline) ?? 0, inside.get(task.pipeline)!));
  const beat = setInterval(() => ctx.heartbeat(), 300);
  try {
    await Promise.race([gate((task.config as { gate: string }).gate).opened, ctx.cancelled]);
  } finally {
    clearInterval(beat);
    inside.set(task.pipeline, inside.get(task.pipeline)! - 1);
  }
  return { status: 'done', outputs: { state: { run: task.runId } }, stats: { rowsIn: 0, rowsOut: 0 }, attempt: ctx.info.attempt };
};

// ---- services -----------------------------------------------------------------------------------

let env: TemporalTestEnv;
let db: TestDatabase;
let store: Store;
let otherStore: Store;
let api: TestApi;
/** A second API process: its own store (pool) on the same database, its own HTTP server. */
let otherApi: TestApi;
let worker: RunningWorker;
const taskQueue = uniqueName('concurrency');

before(async () => {
  [env, db] = await Promise.all([temporalEnv(), createTestDatabase('sluice_conc')]);
  [store, otherStore] = await Promise.all([createStore(db.url), createStore(db.url)]);
  // The central worker finds the metadata database at DATABASE_URL, as `sluice worker` does.
  worker = await startWorker(env.address, {
    namespace: env.namespace,
    taskQueue,
    extraActivities: { ...testActivities, 'test.gate': gateActivity },
    env: { ...process.env, DATABASE_URL: db.url },
  });
  api = await startTestApi({ store, client: env.client, taskQueue, catalog: gateCatalog });
  otherApi = await startTestApi({ store: otherStore, client: env.client, taskQueue, catalog: gateCatalog });
});

after(async () => {
  for (const g of gates.values()) g.open();
  await api?.close();
  await otherApi?.close();
  await worker?.stop();
  await store?.close();
  await otherStore?.close();
  await db?.drop();
  await env?.close();
});

// ---- helpers ------------------------------------------------------------------------------------

/** Registers a pipeline of one gate node (gate = the run's id) with this concurrency; returns its name. */
async function gatedPipeline(prefix: string, concurrency: unknown, extra: Json = {}): Promise<string> {
  const name = uniqueName(prefix);
  const created = await api.call('POST', '/api/v1/pipelines', {
    name,
    recoveryWindow: 0,
    ...(concurrency === undefined ? {} : { concurrency }),
    nodes: [{ id: 'gate', type: 'test.gate', config: { gate: '{{ run.id }}' } }],
    ...extra,
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return name;
}

async function start(name: string, via: TestApi = api, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
  const r = await via.call('POST', `/api/v1/pipelines/${name}/runs`, {}, headers);
  return { status: r.status, json: r.json };
}

async function started(name: string): Promise<string> {
  const r = await start(name);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.runId;
}

function runWhere(runId: string, what: string, ok: (view: Json) => boolean, timeoutMs = 60_000): Promise<Json> {
  return waitFor(async () => {
    const r = await api.call('GET', `/api/v1/runs/${runId}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return ok(r.json) ? r.json : null;
  }, what, timeoutMs);
}

const gateRunning = (runId: string) => runWhere(runId, `the gate of ${runId} to run`, (v) => v.nodes.gate.state === 'running');
const completed = (runId: string) => runWhere(runId, `${runId} to complete`, (v) => v.status === 'completed');

async function slotRows(pipeline: string): Promise<{ run_id: string; state: string }[]> {
  return (await db.pool.query('SELECT run_id, state FROM sluice.run_slots WHERE pipeline = $1 ORDER BY seq', [pipeline])).rows;
}

// ---- tests --------------------------------------------------------------------------------------

test('concurrency in a spec is checked like any field: wrong types and limits out of 1..1000 are 422s at their path', async () => {
  const cases: [unknown, string][] = [
    [{ limit: 0 }, 'concurrency.limit'],
    [{ limit: -1 }, 'concurrency.limit'],
    [{ limit: 1e12 }, 'concurrency.limit'],
    [{ limit: 2.5 }, 'concurrency.limit'],
    [{ limit: '1' }, 'concurrency.limit'],
    [{ limit: null }, 'concurrency.limit'],
    [{}, 'concurrency.limit'],
    [{ limit: 1, onConflict: 'wait' }, 'concurrency.onConflict'],
    [{ limit: 1, onConflict: 3 }, 'concurrency.onConflict'],
    [{ limit: 1, extra: true }, 'concurrency.extra'],
    [[1], 'concurrency'],
    ['1', 'concurrency'],
  ];
  for (const [concurrency, path] of cases) {
    const r = await api.call('POST', '/api/v1/pipelines', { name: uniqueName('bad-conc'), concurrency, nodes: [{ id: 'a', type: 'control.sleep', config: { ms: 1 } }] });
    assert.equal(r.status, 422, `${JSON.stringify(concurrency)}: ${JSON.stringify(r.json)}`);
    assert.deepEqual(r.json.errors.map((e: Json) => e.path), [path], JSON.stringify(concurrency));
  }
  const yaml = await api.call('POST', '/api/v1/pipelines', `name: ${uniqueName('bad-conc')}\nconcurrency: { limit: .inf }\nnodes: [{ id: a, type: control.sleep, config: { ms: 1 } }]\n`, { 'content-type': 'application/yaml' });
  assert.equal(yaml.status, 422, JSON.stringify(yaml.json));
  assert.deepEqual(yaml.json.errors.map((e: Json) => e.path), ['concurrency.limit']);
});

test('onConflict fail: 409 naming the limit and the run holding it while one runs, 201 once it has ended', async () => {
  const name = await gatedPipeline('conc-fail', { limit: 1, onConflict: 'fail' });
  const first = await start(name);
  assert.equal(first.status, 201, JSON.stringify(first.json));
  assert.deepEqual(first.json, { runId: first.json.runId, queued: false });
  const a = first.json.runId;
  await gateRunning(a);

  const refused = await start(name, api, { 'idempotency-key': `conc-${a}` });
  assert.equal(refused.status, 409, JSON.stringify(refused.json));
  assert.equal(refused.json.type, 'urn:sluice:problem:conflict');
  assert.match(refused.json.detail, new RegExp(`^no run started: pipeline ${name} runs at most 1 run at a time \\(concurrency.limit 1\\), held by ${a}; onConflict is fail`));
  const listed = await waitFor(async () => {
    const r = await api.call('GET', `/api/v1/runs?pipeline=${name}`);
    return r.json.runs.length > 0 ? r.json.runs : null;
  }, 'the run to be listed');
  assert.deepEqual(listed.map((r: Json) => r.runId), [a], 'the refused start left no run behind');

  openGate(a);
  await completed(a);
  assert.deepEqual(await slotRows(name), [], 'a run that says completed has given its slot back');
  // The refusal was not kept for the Idempotency-Key: the same request now starts a run.
  const later = await start(name, api, { 'idempotency-key': `conc-${a}` });
  assert.equal(later.status, 201, JSON.stringify(later.json));
  assert.deepEqual(await slotRows(name), [{ run_id: later.json.runId, state: 'holding' }]);
  openGate(later.json.runId);
  await completed(later.json.runId);
  assert.deepEqual(await slotRows(name), [], 'a completed run gives its slot back');
});

test('onConflict skip: a 200 saying no run started, naming the run in the way; nothing is queued', async () => {
  const name = await gatedPipeline('conc-skip', { limit: 1, onConflict: 'skip' });
  const a = await started(name);
  await gateRunning(a);
  const skipped = await start(name);
  assert.equal(skipped.status, 200, JSON.stringify(skipped.json));
  assert.equal(skipped.json.runId, null);
  assert.deepEqual(skipped.json.holding, [a]);
  assert.match(skipped.json.skipped, new RegExp(`^no run started: pipeline ${name} runs at most 1 run at a time \\(concurrency.limit 1\\), held by ${a}; onConflict is skip$`));
  assert.deepEqual(await slotRows(name), [{ run_id: a, state: 'holding' }]);
  openGate(a);
  await completed(a);
  assert.equal((await start(name)).status, 201, 'free again once the run ended');
  const next = (await slotRows(name))[0]!.run_id;
  openGate(next);
  await completed(next);
});

test('onConflict queue: three runs start; the later ones wait as queued (FIFO), each running after the one before and from the mark it saved', async () => {
  const name = await gatedPipeline('conc-queue', { limit: 1 });
  const a = await started(name);
  await gateRunning(a);
  const second = await start(name);
  assert.equal(second.status, 201, JSON.stringify(second.json));
  assert.equal(second.json.queued, true);
  const b = second.json.runId;
  const c = await started(name);

  const queuedB = await runWhere(b, 'b to say where it waits', (v) => v.status === 'queued' && /^queued \(next in line\)/.test(v.waiting ?? ''));
  assert.equal(queuedB.waiting, `queued (next in line): pipeline ${name} runs at most 1 run at a time (concurrency.limit 1), held by ${a}`);
  assert.equal(queuedB.nodes.gate.state, 'pending');
  const queuedC = await runWhere(c, 'c to say where it waits', (v) => v.status === 'queued' && /^queued \(1 run ahead\)/.test(v.waiting ?? ''));
  assert.equal(queuedC.nodes.gate.state, 'pending');
  const listedQueued = await waitFor(async () => {
    const ids = (await api.call('GET', `/api/v1/runs?pipeline=${name}&status=queued`)).json.runs.map((r: Json) => r.runId).sort();
    return ids.length === 2 ? ids : null;
  }, 'GET /runs?status=queued to list the two waiting runs');
  assert.deepEqual(listedQueued, [b, c].sort());
  const paused = await api.call('POST', `/api/v1/runs/${b}/pause`);
  assert.equal(paused.status, 409, 'a queued run has nothing to pause');
  assert.match(paused.json.detail, /queued for a concurrency slot; it can be cancelled/);

  // Every gate open: only the slot decides who runs, one at a time, in the order they started.
  openGate(a);
  openGate(b);
  openGate(c);
  const [doneA, doneB, doneC] = await Promise.all([completed(a), completed(b), completed(c)]);
  const order = entered.filter((e) => e.pipeline === name);
  assert.deepEqual(order.map((e) => e.runId), [a, b, c], 'first in, first out');
  assert.equal(mostInside.get(name), 1, 'never two runs at once');
  assert.ok(doneB.nodes.gate.startedAt >= doneA.nodes.gate.endedAt, 'b ran after a ended');
  assert.ok(doneC.nodes.gate.startedAt >= doneB.nodes.gate.endedAt, 'c ran after b ended');
  assert.deepEqual(order.map((e) => e.state), [null, { run: a }, { run: b }], 'each run started from the mark the run before it saved, not from the marks at its start');
  assert.equal(doneC.waiting, undefined);
  assert.deepEqual(await slotRows(name), []);
});

test('two API processes racing starts: exactly `limit` runs take slots, the rest are refused', async () => {
  const name = await gatedPipeline('conc-race', { limit: 2, onConflict: 'fail' });
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => start(name, i % 2 === 0 ? api : otherApi)));
  const ok = answers.filter((r) => r.status === 201);
  assert.equal(ok.length, 2, JSON.stringify(answers));
  assert.equal(answers.filter((r) => r.status === 409).length, 6, JSON.stringify(answers));
  const rows = await slotRows(name);
  assert.deepEqual(rows.map((r) => r.state), ['holding', 'holding']);
  assert.deepEqual(rows.map((r) => r.run_id).sort(), ok.map((r) => r.json.runId).sort());
  for (const r of ok) openGate(r.json.runId);
  await Promise.all(ok.map((r) => completed(r.json.runId)));
  assert.ok((mostInside.get(name) ?? 0) <= 2);

  // Queued starts racing through both: two hold, the other four wait their turn, and all complete.
  const queueName = await gatedPipeline('conc-race-q', { limit: 2 });
  const queued = await Promise.all(Array.from({ length: 6 }, (_, i) => start(queueName, i % 2 === 0 ? api : otherApi)));
  assert.ok(queued.every((r) => r.status === 201), JSON.stringify(queued));
  const holders = queued.filter((r) => r.json.queued === false);
  assert.equal(holders.length, 2, JSON.stringify(queued));
  // Both holders' gate activities are inside (the API shows `running` as soon as the activity is
  // scheduled, which may be before a worker has picked it up).
  await waitFor(async () => ((inside.get(queueName) ?? 0) === 2 ? true : null), 'both holders inside their gate');
  for (const r of queued) openGate(r.json.runId);
  await Promise.all(queued.map((r) => completed(r.json.runId)));
  assert.equal(mostInside.get(queueName), 2, 'two at a time, never more');
});

test('cancelling gives the slot back: a running holder frees it for the next start, a queued run leaves the queue', async () => {
  const name = await gatedPipeline('conc-cancel', { limit: 1, onConflict: 'fail' });
  const a = await started(name);
  await gateRunning(a);
  assert.equal((await start(name)).status, 409);
  assert.equal((await api.call('POST', `/api/v1/runs/${a}/cancel`)).status, 202);
  await runWhere(a, 'a to be cancelled', (v) => v.status === 'cancelled');
  assert.deepEqual(await slotRows(name), []);
  const b = await started(name);
  openGate(b);
  await completed(b);

  const queueName = await gatedPipeline('conc-cancel-q', { limit: 1 });
  const holder = await started(queueName);
  await gateRunning(holder);
  const waiting = await started(queueName);
  await runWhere(waiting, 'the second run to queue', (v) => v.status === 'queued');
  assert.equal((await api.call('POST', `/api/v1/runs/${waiting}/cancel`)).status, 202);
  const cancelled = await runWhere(waiting, 'the queued run to be cancelled', (v) => v.status === 'cancelled');
  assert.equal(cancelled.nodes.gate.state, 'cancelled');
  assert.deepEqual(await slotRows(queueName), [{ run_id: holder, state: 'holding' }], 'the holder keeps its slot; the cancelled run is out of the queue');
  openGate(holder);
  await completed(holder);
  assert.ok(!entered.some((e) => e.runId === waiting), 'the cancelled run never ran a node');
});

test('a failed run keeps its slot through its recovery window and gives it back when the window closes it', async () => {
  const failing = async (recoveryWindow: string | number): Promise<string> => {
    const name = uniqueName('conc-failed');
    const created = await api.call('POST', '/api/v1/pipelines', {
      name,
      recoveryWindow,
      concurrency: { limit: 1, onConflict: 'fail' },
      nodes: [{ id: 'bad', type: 'test.fail', config: { message: 'broken on purpose' } }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return name;
  };
  // No window: failed means closed, and the slot is free.
  const now = await failing(0);
  const a = await started(now);
  await runWhere(a, 'the run to fail', (v) => v.status === 'failed');
  assert.deepEqual(await slotRows(now), [], 'a run that says failed, with no window to wait in, has given its slot back');
  const b = await started(now);
  assert.notEqual(b, a);

  // A short window: once it says failed with no recoverableUntil, the window has closed it and the slot is free.
  const soon = await failing('2s');
  const c = await started(soon);
  await runWhere(c, 'the window to close the run', (v) => v.status === 'failed' && !v.recoverableUntil);
  assert.deepEqual(await slotRows(soon), []);
  await assert.rejects(env.client.workflow.getHandle(c).result(), (err: unknown) => err instanceof WorkflowFailedError);
  assert.equal((await start(soon)).status, 201);

  // While a failed run waits in a long window it holds the slot: cancel it to free the slot.
  const longName = uniqueName('conc-failed-long');
  await api.call('POST', '/api/v1/pipelines', {
    name: longName,
    recoveryWindow: '1h',
    concurrency: { limit: 1, onConflict: 'fail' },
    nodes: [{ id: 'bad', type: 'test.fail', config: { message: 'broken on purpose' } }],
  });
  const waiting = await started(longName);
  await runWhere(waiting, 'the run to fail and wait for a retry', (v) => v.status === 'failed' && v.recoverableUntil);
  const refused = await start(longName);
  assert.equal(refused.status, 409);
  assert.match(refused.json.detail, new RegExp(`held by ${waiting}`));
  assert.equal((await api.call('POST', `/api/v1/runs/${waiting}/cancel`)).status, 202);
  await runWhere(waiting, 'the failed run to be cancelled', (v) => v.status === 'cancelled');
  const after = await start(longName);
  assert.equal(after.status, 201);
  assert.equal((await api.call('POST', `/api/v1/runs/${after.json.runId}/cancel`)).status, 202);
});

test('leaked slots are reconciled: a run terminated from outside, or a claim whose run never started, no longer blocks the pipeline', async () => {
  const name = await gatedPipeline('conc-leak', { limit: 1, onConflict: 'fail' });
  const a = await started(name);
  await gateRunning(a);
  await env.client.workflow.getHandle(a).terminate('gone without a word');
  assert.deepEqual(await slotRows(name), [{ run_id: a, state: 'holding' }], 'a terminated run never gave its slot back');
  const b = await started(name);
  assert.deepEqual(await slotRows(name), [{ run_id: b, state: 'holding' }], 'the leaked slot was dropped and taken');
  openGate(b);
  await completed(b);

  // A claim whose API process died before it started the workflow: Temporal never heard of the run.
  await db.pool.query(`INSERT INTO sluice.run_slots (run_id, pipeline, state, granted_at, queued_at) VALUES ($1, $2, 'holding', now(), now() - interval '2 minutes')`, [`${name}-ghost`, name]);
  const c = await started(name);
  assert.deepEqual(await slotRows(name), [{ run_id: c, state: 'holding' }]);
  openGate(c);
  await completed(c);

  // Queued behind a holder that is then terminated: the waiting run's own look drops the leak and it runs.
  const queueName = await gatedPipeline('conc-leak-q', { limit: 1 });
  const holder = await started(queueName);
  await gateRunning(holder);
  const next = await started(queueName);
  await runWhere(next, 'the second run to queue', (v) => v.status === 'queued');
  await env.client.workflow.getHandle(holder).terminate('gone without a word');
  openGate(next);
  await completed(next);
});

test('marks only move forward: of two overlapping runs, the one that started later keeps its state whichever ends last', async () => {
  // No concurrency limit: both run at once, the second started after the first.
  const name = await gatedPipeline('conc-marks', undefined);
  const saved = async () => (await db.pool.query(`SELECT state, run_id FROM sluice.node_state WHERE pipeline = $1`, [name])).rows;
  const first = await started(name);
  await gateRunning(first);
  const second = await started(name);
  await gateRunning(second);
  openGate(second);
  await completed(second);
  assert.deepEqual(await saved(), [{ state: { run: second }, run_id: second }]);
  openGate(first);
  await completed(first);
  assert.deepEqual(await saved(), [{ state: { run: second }, run_id: second }], 'the earlier run ended last and did not move the mark back');

  // In order, the later one still wins.
  const third = await started(name);
  await gateRunning(third);
  const fourth = await started(name);
  await gateRunning(fourth);
  openGate(third);
  await completed(third);
  assert.deepEqual(await saved(), [{ state: { run: third }, run_id: third }]);
  openGate(fourth);
  await completed(fourth);
  assert.deepEqual(await saved(), [{ state: { run: fourth }, run_id: fourth }]);
  assert.deepEqual(entered.filter((e) => e.runId === fourth).map((e) => e.state), [{ run: second }], 'the fourth started from the mark the second saved');
});

test('the store refuses a save from a run that started before the stored one, and saves from runs of older code go through', async () => {
  const pipeline = uniqueName('conc-cas');
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  assert.deepEqual(await store.saveNodeStates(pipeline, 'late', { x: 2, y: 2 }, t(20)), { saved: true });
  assert.deepEqual(await store.saveNodeStates(pipeline, 'early', { x: 1 }, t(10)), { saved: false, newer: { runId: 'late', startedAt: t(20) } });
  assert.deepEqual(await store.saveNodeStates(pipeline, 'same', { x: 3 }, t(20)), { saved: true }, 'a tie saves');
  assert.deepEqual(await store.getNodeStates(pipeline), { x: 3, y: 2 });
  // Two saves racing through two stores: the later start wins whatever order they commit in.
  await Promise.all([otherStore.saveNodeStates(pipeline, 'r40', { x: 40 }, t(40)), store.saveNodeStates(pipeline, 'r30', { x: 30 }, t(30))]);
  assert.equal((await store.getNodeStates(pipeline)).x, 40);
  assert.deepEqual(await store.saveNodeStates(pipeline, 'legacy', { x: 0 }, null), { saved: true });
  assert.equal((await store.getNodeStates(pipeline)).x, 0);
});
